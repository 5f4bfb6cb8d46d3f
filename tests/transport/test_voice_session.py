"""A whole voice session in virtual time (no sockets): turn taking, barge-in, context as heard,
tool calls, stage restarts. Exact virtual times, deterministic."""

from __future__ import annotations

import functools
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio

from actors.bots import VoiceConfig, voice_graph
from actors.engines.audio import silence, tone
from actors.fakes import FakeStt, ScriptedLlm, ToneTts, energy_vad
from actors.llm import LlmResult, ToolCall
from actors.tts import TtsActor
from actors.turn import Function
from rtvi_actors.client import RtviClient
from rtvi_actors.session import Session
from rtvi_actors.testing import Crashy, connection_pair
from rtvi_actors.voice import Generate
from supervisors import bot_session

SPEECH = silence(0.1) + tone(0.6, 16000, 300.0, amplitude=0.3) + silence(1.0)


@asynccontextmanager
async def voice_session(
    llm: Any = None, config: VoiceConfig | None = None, tts_factory: Any = None
) -> AsyncIterator[tuple[RtviClient, Session]]:
    holder: dict[str, Session] = {}

    def build(session: Session):
        holder["s"] = session
        g = voice_graph(
            session,
            vad=energy_vad(),
            stt=FakeStt("hello"),
            llm=llm or ScriptedLlm(),
            tts=ToneTts(),
            config=config,
            extra=[tts_factory] if tts_factory else [],
        )
        return g

    server_conn, client_conn = connection_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(bot_session(build), server_conn, "s1")
        client = RtviClient(client_conn)
        nursery.start_soon(client.run)
        await client.ready()
        yield client, holder["s"]
        client_conn.close()


async def test_spoken_turn_timing_in_virtual_time(autojump_clock) -> None:
    with trio.fail_after(60):
        async with voice_session() as (c, session):
            t0 = trio.current_time()
            await c.stream_audio(SPEECH)  # real-time paced on the virtual clock
            await c.wait_for("bot-stopped-speaking")
            started = c.received[
                [r.msg and r.msg["type"] for r in c.received].index("user-started-speaking")
            ].at
            # speech starts at 0.1 s; the energy VAD confirms it 0.2 s later
            assert started - t0 == pytest.approx(0.3, abs=0.02)
            conv = session.data["conversation"].messages()
            assert conv[-2:] == (
                {"role": "user", "content": "hello"},
                {"role": "assistant", "content": "You said: hello."},
            )
            assert c.audio_seconds() == pytest.approx(0.75, abs=0.01)
            # end of speech -> first bot audio, reported as a ttfa metric of the turn
            ttfa = [m["data"]["ttfa"][0] for m in c.of("metrics") if "ttfa" in m["data"]]
            assert ttfa[0]["processor"] == "turn"
            # from the VAD's stop: STT 0.05 s, LLM first word 0.1 s, the sentence completes two
            # words (0.04 s) later, TTS 0.01 s: 0.20 s exactly in virtual time
            assert ttfa[0]["ttfa"] == pytest.approx(0.20, abs=1e-6)


async def test_barge_in_context_records_what_was_heard(autojump_clock) -> None:
    words = " ".join(f"w{i}" for i in range(20))
    with trio.fail_after(60):
        async with voice_session() as (c, session):
            await c.send("send-text", {"content": words})
            await c.wait_for("bot-started-speaking")
            await trio.sleep(1.0)  # 4 words have played (250 ms each)
            await c.stream_audio(tone(0.5, 16000, 300.0, amplitude=0.3) + silence(1.0))
            await c.wait_for("bot-interrupted")
            await c.wait_for("bot-stopped-speaking", count=2)  # the cut, then the new reply
            conv = session.data["conversation"].messages()
            heard = next(m["content"] for m in conv if m["role"] == "assistant")
            said = f"You said: {words}.".split()
            assert heard.split() == said[: len(heard.split())]
            assert 4 <= len(heard.split()) <= 7  # about 1.2 s of audio heard before the cut
            # audio stopped at the client within the lead after the interruption
            t_int = next(r.at for r in c.received if r.msg and r.msg["type"] == "bot-interrupted")
            late = [t for t in c.audio_times() if t_int < t < t_int + 0.5]
            assert late == []


class ToolLlm:
    """Asks for the client tool ``get_weather`` once, then answers with its result."""

    name = "ToolLlm"
    model = "tool"

    async def generate(self, request: Generate, on_text: Callable[[str], Awaitable[None]]):
        await trio.sleep(0.1)
        last = request.messages[-1]
        if last.get("role") == "tool":
            await on_text(f"The weather is {last['content']}.")
            return LlmResult()
        if "weather" not in str(last.get("content")):
            await on_text("Okay.")
            return LlmResult()
        return LlmResult(
            tool_calls=(ToolCall(call_id="call-1", name="get_weather", arguments={"city": "X"}),)
        )


WEATHER = VoiceConfig(
    tools=(
        {
            "type": "function",
            "function": {"name": "get_weather", "parameters": {"type": "object"}},
        },
    ),
    functions={"get_weather": Function(handler=None, timeout=5.0)},
    observer_params=None,
)


def full_report() -> VoiceConfig:
    from actors.observer import ObserverParams

    return VoiceConfig(
        tools=WEATHER.tools,
        functions=WEATHER.functions,
        observer_params=ObserverParams(function_call_report_level={"*": "full"}),
    )


async def test_client_tool_round_trip(autojump_clock) -> None:
    with trio.fail_after(60):
        async with voice_session(llm=ToolLlm(), config=full_report()) as (c, _session):
            await c.send("send-text", {"content": "weather?"})
            call = await c.wait_for("llm-function-call-in-progress")
            assert call["data"]["function_name"] == "get_weather"
            assert call["data"]["arguments"] == {"city": "X"}
            await c.send(
                "llm-function-call-result",
                {
                    "function_name": "get_weather",
                    "tool_call_id": call["data"]["tool_call_id"],
                    "arguments": {"city": "X"},
                    "result": {"sky": "sunny"},
                },
            )
            await c.wait_for("bot-stopped-speaking")
            stopped = c.of("llm-function-call-stopped")
            assert stopped and stopped[0]["data"]["cancelled"] is False
            texts = [m["data"]["text"] for m in c.of("bot-output")]
            assert any("sunny" in t for t in texts)


async def test_tool_call_cancelled_by_interruption_and_late_result_ignored(
    autojump_clock,
) -> None:
    with trio.fail_after(60):
        async with voice_session(llm=ToolLlm(), config=full_report()) as (c, session):
            await c.send("send-text", {"content": "weather?"})
            call = await c.wait_for("llm-function-call-in-progress")
            await c.send("send-text", {"content": "never mind"})  # interrupts the pending call
            stopped = await c.wait_for("llm-function-call-stopped")
            assert stopped["data"]["cancelled"] is True
            await c.send(
                "llm-function-call-result",
                {
                    "function_name": "get_weather",
                    "tool_call_id": call["data"]["tool_call_id"],
                    "arguments": {},
                    "result": {"sky": "late"},
                },
            )
            await c.wait_for("bot-stopped-speaking")
            conv = session.data["conversation"].messages()
            tool_msgs = [m for m in conv if m["role"] == "tool"]
            assert len(tool_msgs) == 1 and "cancelled" in tool_msgs[0]["content"]
            assert not any("late" in str(m) for m in conv)


async def test_client_tool_timeout_is_reported(autojump_clock) -> None:
    with trio.fail_after(60):
        async with voice_session(llm=ToolLlm(), config=full_report()) as (c, _):
            await c.send("send-text", {"content": "weather?"})
            await c.wait_for("llm-function-call-in-progress")
            t = trio.current_time()
            stopped = await c.wait_for("llm-function-call-stopped")
            assert stopped["data"]["cancelled"] is True
            assert trio.current_time() - t == pytest.approx(5.0, abs=0.05)


async def test_tts_crash_mid_reply_is_survived(autojump_clock) -> None:
    crashes = Crashy(functools.partial(TtsActor, ToneTts()), at=2)

    def swap(g) -> None:
        g.replace("tts", crashes)

    with trio.fail_after(60):
        async with voice_session(tts_factory=swap) as (c, _):
            await c.send("send-text", {"content": "first"})
            err = await c.wait_for("error")
            assert err["data"]["fatal"] is False
            await c.send("send-text", {"content": "second"})
            await c.wait_for(
                "bot-output",
                lambda m: (
                    "second" in m["data"]["text"] and m["data"].get("spoken_status") == "completed"
                ),
            )
            assert crashes.crashes == 1


@asynccontextmanager
async def policy_session(policy, stt_text: str = "hello"):
    from actors.turn_policy import TurnPolicy  # noqa: F401  (documentation of the type)

    holder: dict[str, Session] = {}

    def build(session: Session):
        holder["s"] = session
        return voice_graph(
            session,
            vad=energy_vad(),
            stt=FakeStt(stt_text),
            llm=ScriptedLlm(),
            tts=ToneTts(),
            config=VoiceConfig(turn_policy=policy),
        )

    server_conn, client_conn = connection_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(bot_session(build), server_conn, "s1")
        client = RtviClient(client_conn)
        nursery.start_soon(client.run)
        await client.ready()
        yield client, holder["s"]
        client_conn.close()


LONG = " ".join(f"w{i}" for i in range(20))  # "You said: w0 ... w19." = 22 words, 5.5 s


async def test_false_interruption_pauses_and_resumes(autojump_clock) -> None:
    from actors.turn_policy import TurnPolicy

    policy = TurnPolicy(false_interruption_timeout=1.0)
    with trio.fail_after(60):
        async with policy_session(policy, stt_text="") as (c, session):  # noise: no words
            await c.send("send-text", {"content": LONG})
            await c.wait_for("bot-started-speaking")
            await trio.sleep(1.0)
            await c.stream_audio(tone(0.4, 16000, 300.0, amplitude=0.3) + silence(1.0))
            await c.wait_for("bot-stopped-speaking")
            assert "bot-interrupted" not in c.types()
            # every word was still delivered, after a pause
            assert c.audio_seconds() == pytest.approx(5.5, abs=0.01)
            times = c.audio_times()
            gaps = [b - a for a, b in itertools.pairwise(times)]
            assert max(gaps) >= 0.5  # the audio was held while the barge-in was checked
            assert session.data["playout_gate"].pauses == 1
            conv = session.data["conversation"].messages()
            assert conv[-1]["content"] == f"You said: {LONG}."


async def test_real_interruption_after_a_pause(autojump_clock) -> None:
    from actors.turn_policy import TurnPolicy

    policy = TurnPolicy(false_interruption_timeout=2.0)
    with trio.fail_after(60):
        async with policy_session(policy) as (c, _):
            await c.send("send-text", {"content": LONG})
            await c.wait_for("bot-started-speaking")
            await trio.sleep(1.0)
            await c.stream_audio(tone(0.4, 16000, 300.0, amplitude=0.3) + silence(1.0))
            await c.wait_for("bot-interrupted")
            assert c.audio_seconds() < 2.0


async def test_mute_while_the_bot_speaks(autojump_clock) -> None:
    from actors.turn_policy import TurnPolicy

    with trio.fail_after(60):
        async with policy_session(TurnPolicy(mute=("bot_speaking",))) as (c, _):
            await c.send("send-text", {"content": LONG})
            await c.wait_for("bot-started-speaking")
            await trio.sleep(1.0)
            await c.stream_audio(tone(0.4, 16000, 300.0, amplitude=0.3) + silence(1.0))
            await c.wait_for("bot-stopped-speaking")
            await c.wait_for("user-mute-stopped")
            types = c.types()
            assert "bot-interrupted" not in types
            assert types.index("user-mute-started") > types.index("bot-started-speaking")
            assert c.audio_seconds() == pytest.approx(5.5, abs=0.01)


async def test_idle_user_is_reprompted_at_most_n_times(autojump_clock) -> None:
    from actors.turn_policy import TurnPolicy

    policy = TurnPolicy(idle_timeout=5.0, idle_prompts=2)
    with trio.fail_after(120):
        async with policy_session(policy) as (c, session):
            await c.send("send-text", {"content": "hi"})
            await c.wait_for("bot-stopped-speaking")
            first_end = trio.current_time()
            await c.wait_for("bot-started-speaking", count=2)
            assert trio.current_time() - first_end == pytest.approx(5.0 + 0.11, abs=0.05)
            await c.wait_for("bot-stopped-speaking", count=3)
            await trio.sleep(30)
            assert len(c.of("bot-started-speaking")) == 3  # two re-prompts, then quiet
            system = [m for m in session.data["conversation"].messages() if m["role"] == "system"]
            assert len(system) == 2


async def test_server_side_function_runs_and_report_level_none_keeps_it_private(
    autojump_clock,
) -> None:
    seen: list[dict] = []

    async def get_weather(args):
        seen.append(dict(args))
        await trio.sleep(0.5)
        return {"sky": "rainy"}

    config = VoiceConfig(
        tools=WEATHER.tools, functions={"get_weather": Function(handler=get_weather)}
    )
    with trio.fail_after(60):
        async with voice_session(llm=ToolLlm(), config=config) as (c, session):
            await c.send("send-text", {"content": "weather?"})
            await c.wait_for("bot-stopped-speaking")
            assert seen == [{"city": "X"}]
            started = c.of("llm-function-call-started")[0]["data"]
            in_progress = c.of("llm-function-call-in-progress")[0]["data"]
            stopped = c.of("llm-function-call-stopped")[0]["data"]
            assert started == {}  # default level "none": no name, no arguments
            assert set(in_progress) == {"tool_call_id"}
            assert stopped["cancelled"] is False and "result" not in stopped
            texts = [m["data"]["text"] for m in c.of("bot-output")]
            assert any("rainy" in t for t in texts)
            roles = [m["role"] for m in session.data["conversation"].messages()]
            assert roles[-4:] == ["user", "assistant", "tool", "assistant"]


async def test_speech_before_the_reply_starts_playing_still_interrupts(autojump_clock) -> None:
    def slow_tts(g) -> None:  # 1 s before the first audio: a window with no audio yet
        g.replace("tts", TtsActor, ToneTts(ttfb=1.0))

    with trio.fail_after(60):
        async with voice_session(tts_factory=slow_tts) as (c, _):
            await c.send("send-text", {"content": LONG})
            await c.wait_for("bot-llm-stopped")
            assert "bot-started-speaking" not in c.types()
            await c.stream_audio(tone(0.3, 16000, 300.0, amplitude=0.3) + silence(1.0))
            await c.wait_for("bot-interrupted")
            await c.wait_for("bot-stopped-speaking")  # the reply to "hello" played...
            spoken = [
                m["data"]["text"]
                for m in c.of("bot-output")
                if m["data"].get("spoken_status") == "completed"
            ]
            assert spoken == ["You said: hello."]  # ...and the long one never did


async def test_legacy_client_gets_llm_function_call(autojump_clock) -> None:
    server_conn, client_conn = connection_pair()

    def build(session: Session):
        return voice_graph(
            session, vad=energy_vad(), stt=FakeStt(), llm=ToolLlm(), tts=ToneTts(), config=WEATHER
        )

    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(bot_session(build), server_conn, "legacy")
            c = RtviClient(client_conn)
            nursery.start_soon(c.run)
            await c.send("client-ready", {})  # a 0.x client: no version
            ready = await c.wait_for("bot-ready")
            assert ready["data"]["version"].startswith("0.")
            await c.send("send-text", {"content": "weather?"})
            call = await c.wait_for("llm-function-call")
            assert call["data"] == {
                "function_name": "get_weather",
                "tool_call_id": "call-1",
                "args": {"city": "X"},
            }
            await c.send(
                "llm-function-call-result",
                {
                    "function_name": "get_weather",
                    "tool_call_id": "call-1",
                    "arguments": {"city": "X"},
                    "result": {"sky": "foggy"},
                },
            )
            await c.wait_for("bot-stopped-speaking")
            assert any("foggy" in m["data"]["text"] for m in c.of("bot-output"))
            client_conn.close()
