"""ObserverActor: events in, ServerEvent out, in order, on trio's clock."""

from __future__ import annotations

from typing import Any

import structlog
import trio

from actors.observer import OBSERVED, BotOutputTransformResult, ObserverActor, ObserverParams
from rtvi_actors import Context
from rtvi_actors import messages as m
from rtvi_actors import voice as v
from rtvi_actors.protocol import encode
from rtvi_actors.testing import After, run_actor

TS = "2026-08-21T10:00:00.123+00:00"


def wire(result) -> list[dict]:
    events = result.emitted.of(v.ServerEvent)
    assert len(events) == len(result.emitted.messages)
    return [encode(e.message) for e in events]


def kinds(result) -> list[str]:
    return [env["type"] for env in wire(result)]


def test_declares_every_observed_event() -> None:
    assert ObserverActor.accepts == OBSERVED
    assert ObserverActor.emits == (v.ServerEvent,)


class _Clocked(ObserverActor):
    def __init__(self) -> None:
        super().__init__(now_iso=lambda: TS)


async def test_a_turn_in_order(autojump_clock) -> None:
    inputs = [
        m.UserStartedSpeaking(at=0.0),
        After(0.5, m.Transcript(text="what's the weather", at=0.5)),
        m.UserStoppedSpeaking(at=0.6),
        v.UserTurn(text="what's the weather", at=0.6),
        v.LlmStarted(epoch=0, at=0.7),
        v.LlmText(epoch=0, text="It's sunny."),
        v.LlmStopped(epoch=0, text="It's sunny.", at=0.8),
        v.TtsStarted(epoch=0, at=0.8),
        v.BotSegment(epoch=0, segment_id="s", text="It's sunny.", status="new", at=1.0),
        m.BotStartedSpeaking(epoch=0, at=1.0),
        v.TtsStopped(epoch=0, at=1.1),
        After(1.0, v.BotSegment(epoch=0, segment_id="s", text="It's sunny.", status="completed",
                                at=2.0)),
        m.BotStoppedSpeaking(epoch=0, at=2.0),
    ]  # fmt: skip
    result = await run_actor(_Clocked, inputs)
    assert kinds(result) == [
        "user-started-speaking",
        "user-input",
        "user-transcription",
        "user-stopped-speaking",
        "user-llm-text",
        "bot-llm-started",
        "bot-llm-text",
        "bot-transcription",
        "bot-llm-stopped",
        "bot-tts-started",
        "bot-started-speaking",
        "bot-output",
        "bot-tts-stopped",
        "bot-output",
        "bot-tts-text",
        "bot-stopped-speaking",
    ]
    assert wire(result)[1]["data"]["timestamp"] == TS
    assert result.emitted.times(v.ServerEvent)[-3:] == [1.5, 1.5, 1.5]


async def test_async_transforms_are_awaited(autojump_clock) -> None:
    async def redact(text, text_type, accumulated, remaining):
        return BotOutputTransformResult(text="*" * len(text))

    params = ObserverParams(bot_output_transforms=[("*", redact)])
    inputs = [
        m.BotStartedSpeaking(epoch=0, at=0),
        v.BotSegment(epoch=0, segment_id="s", text="secret", status="new", at=0),
    ]
    result = await run_actor(ObserverActor, inputs, params)
    assert wire(result)[1]["data"]["text"] == "******"


async def test_runtime_reconfiguration_and_bad_changes(autojump_clock) -> None:
    inputs = [
        v.VadStarted(at=0),
        v.ObserverConfigure(changes={"vad_user_speaking_enabled": True}),
        v.VadStarted(at=1),
        v.ObserverConfigure(changes={"no_such_param": True}),  # logged, ignored
        v.ObserverConfigure(changes={"vad_user_speaking_enabled": None}),
        v.VadStopped(at=2),
    ]
    result = await run_actor(ObserverActor, inputs)
    assert kinds(result) == ["vad-user-started-speaking", "vad-user-stopped-speaking"]


async def test_interruption_drops_queued_output(autojump_clock) -> None:
    inputs = [
        v.BotSegment(epoch=0, segment_id="a", text="Cut.", status="new", at=0),
        m.Interrupted(new_epoch=1, reason="barge-in", at=0.1),
        v.BotSegment(epoch=1, segment_id="a", text="Fresh.", status="new", at=0.2),
        m.BotStartedSpeaking(epoch=1, at=0.2),
    ]
    result = await run_actor(ObserverActor, inputs)
    out = wire(result)
    assert [e["type"] for e in out] == ["bot-interrupted", "bot-started-speaking", "bot-output"]
    assert out[2]["data"]["text"] == "Fresh."


async def test_errors_always_reach_the_client(autojump_clock) -> None:
    params = ObserverParams(metrics_enabled=False, bot_speaking_enabled=False)
    inputs = [m.StageFailed(stage="llm", error="LLM unavailable", fatal=True, at=0)]
    result = await run_actor(ObserverActor, inputs, params)
    assert wire(result) == [
        {"label": "rtvi-ai", "type": "error", "data": {"error": "LLM unavailable", "fatal": True}}
    ]


class _Logging(ObserverActor):
    """Feeds log lines the way a structlog processor would."""

    async def started(self, ctx: Context) -> None:
        await super().started(ctx)
        self.log_processor(None, "info", {"event": "mine", "session_id": ctx.session_id, "n": 1})
        self.log_processor(None, "info", {"event": "other session", "session_id": "zzz"})

    async def handle(self, msg: Any, ctx: Context) -> None:
        await super().handle(msg, ctx)
        self.log_line("warning", "after configure")


async def test_system_logs_only_when_enabled_and_only_this_session(autojump_clock) -> None:
    on = await run_actor(_Logging, [After(1.0, v.VadStarted(at=0))], ObserverParams(
        system_logs_enabled=True))  # fmt: skip
    texts = [env["data"]["text"] for env in wire(on)]
    assert texts == ["INFO | mine n=1", "WARNING | after configure"]
    off = await run_actor(_Logging, [v.VadStarted(at=0)])
    assert wire(off) == []


def test_log_processor_returns_the_event_dict_untouched() -> None:
    actor = ObserverActor()
    event = {"event": "x", "session_id": "s"}
    assert actor.log_processor(structlog.get_logger(), "info", event) is event
    actor.log_line("info", "before start")  # no channel yet: ignored
    assert actor.dropped_logs == 0


async def test_barge_in_order_in_a_real_session(autojump_clock) -> None:
    from rtvi_actors import Actor, Graph
    from rtvi_actors.testing import Collector, Recording, run_graph

    class Sender(Actor):
        """Publishes like the audio sender: speaking, then a stop from its interrupted hook."""

        publishes = (m.BotStartedSpeaking, m.BotStoppedSpeaking)

        async def started(self, ctx: Context) -> None:
            self.ctx = ctx
            ctx.publish(m.BotStartedSpeaking(epoch=0, at=0))
            await trio.sleep(1)

        def interrupted(self, epoch: int) -> None:
            self.ctx.publish(m.BotStoppedSpeaking(epoch=epoch - 1, at=0.5))

    class BargeIn(Actor):
        publishes = (m.UserStartedSpeaking,)

        async def started(self, ctx: Context) -> None:
            await trio.sleep(0.5)
            ctx.publish(m.UserStartedSpeaking(at=0.5))
            ctx.interrupt("barge-in")

    rec = Recording()
    g = Graph()
    g.add("sender", Sender)
    g.add("vad", BargeIn, can_interrupt=True)
    g.add("observer", ObserverActor)
    g.add("out", Collector, rec, accepts=(v.ServerEvent,))
    g.subscribe("observer", m.BotStartedSpeaking, m.BotStoppedSpeaking, m.UserStartedSpeaking)
    g.subscribe("observer", m.Interrupted)
    g.route(v.ServerEvent, "observer", "out")
    await run_graph(g)
    assert [encode(e.message)["type"] for e in rec.messages] == [
        "bot-started-speaking",
        "user-started-speaking",
        "bot-interrupted",
        "bot-stopped-speaking",
    ]
