"""The RTVI actor as the standard graph runs it: it observes pipeline events and writes the
frames itself (one hop), the messages of one event in one write."""

from __future__ import annotations

import functools
import json
from typing import Any

import trio

from actors.observer import ObserverParams
from actors.rtvi import RtviActor
from actors.transport import TransportCounters
from actors.writing import MessageWriter
from rtvi_actors import (
    AudioIn,
    BotStartedSpeaking,
    BotStoppedSpeaking,
    Graph,
    Transcript,
    UserStartedSpeaking,
    UserText,
)
from rtvi_actors.protocol import wire
from rtvi_actors.session import Session
from rtvi_actors.testing import After, Feeder, client_ready, connection_pair, run_graph
from rtvi_actors.voice import ClientRtvi, FunctionCallResultIn, LlmStarted, LlmText, RtviOut

NOW = "2026-11-23T00:00:00.000+00:00"
READY = client_ready()
DEFAULT = ObserverParams()
EVENTS = (
    ClientRtvi,
    UserStartedSpeaking,
    Transcript,
    LlmStarted,
    LlmText,
    BotStartedSpeaking,
    BotStoppedSpeaking,
)


async def run(
    session: Session, inputs: list[Any], *, observer: ObserverParams | None = DEFAULT
) -> tuple[list[tuple[float, dict[str, Any]]], list[int], TransportCounters]:
    conn, _peer = connection_pair()
    batches: list[int] = []
    plain_batch = conn.send_messages

    async def counted(messages: list[Any]) -> None:
        batches.append(len(messages))
        await plain_batch(messages)

    plain_now = conn.send_messages_now

    def counted_now(messages: list[Any]) -> int:  # the inline path (RtviActor.handle_now)
        batches.append(len(messages))
        return plain_now(messages)

    conn.send_messages = counted  # type: ignore[method-assign]
    conn.send_messages_now = counted_now  # type: ignore[method-assign]
    counters = TransportCounters()
    g = Graph()
    g.add("src", Feeder, inputs, emits=EVENTS)
    actor = functools.partial(
        RtviActor,
        session.rtvi,
        observer=observer,
        writer=MessageWriter(conn, counters),
        now_iso=lambda: NOW,
    )
    g.add("rtvi", actor, can_interrupt=True)
    for t in EVENTS:
        g.route(t, "src", "rtvi")
    g.discard(RtviOut, "rtvi").discard(UserText, "rtvi")
    g.discard(FunctionCallResultIn, "rtvi").discard(AudioIn, "rtvi")
    with trio.fail_after(60):
        await run_graph(g)
    frames = [(t, json.loads(wire.parse(m).data)) for t, m in conn.sent]
    return frames, batches, counters


async def test_events_become_frames_in_order_with_one_write_per_event(autojump_clock) -> None:
    session = Session("s")
    inputs = [
        READY,
        After(1.0, UserStartedSpeaking(at=1.0)),
        After(1.0, Transcript(text="hi there", final=True, at=2.0)),
        After(1.0, LlmStarted(epoch=0, at=3.0)),
        LlmText(epoch=0, text="Hello."),
        After(1.0, BotStartedSpeaking(epoch=0, at=4.0)),
    ]
    frames, batches, counters = await run(session, inputs)
    types = [f["type"] for _, f in frames]
    assert types == [
        "bot-ready",
        "user-started-speaking",
        "user-input",
        "user-transcription",
        "bot-llm-started",
        "bot-llm-text",
        "bot-transcription",
        "bot-started-speaking",
    ]
    times = {f["type"]: t for t, f in frames}
    assert times["user-input"] == times["user-transcription"] == 2.0
    assert frames[2][1]["data"] == {
        "text": "hi there",
        "input_type": "transcription",
        "timestamp": NOW,
        "final": True,
        "user_id": "",
    }
    # the transcript's two messages and the sentence-ending token's two: one write each
    assert [n for n in batches if n > 1] == [2, 2]
    assert counters.messages_out == len(frames)
    assert counters.bot_speaking is True


async def test_configure_observer_applies_before_the_next_event(autojump_clock) -> None:
    session = Session("s")

    @session.rtvi.event_handler("on_client_ready")
    async def ready(rtvi: Any) -> None:
        rtvi.configure_observer(user_transcription_enabled=False)

    inputs = [READY, After(1.0, Transcript(text="hi", final=True, at=1.0))]
    frames, _, _ = await run(session, inputs)
    assert [f["type"] for _, f in frames] == ["bot-ready", "user-input"]


async def test_without_an_observer_events_only_track_busy_state(autojump_clock) -> None:
    session = Session("s")
    inputs = [
        READY,
        After(1.0, UserStartedSpeaking(at=1.0)),
        BotStartedSpeaking(epoch=0, at=1.0),
        BotStoppedSpeaking(epoch=0, at=2.0),
    ]
    g_frames, batches, _ = await run(session, inputs, observer=None)
    assert [f["type"] for _, f in g_frames] == ["bot-ready"]
    assert batches == [1]  # bot-ready's own write: the events wrote nothing
