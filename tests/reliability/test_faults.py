"""Fault injection: a crash in each stage at start, mid-stream and during an interruption.

Within the restart budget the call goes on and the client gets a non-fatal ``error``; beyond
it the client gets a fatal ``error``, the connection closes with 1011 and the server and the
other sessions go on. Stalled providers are bounded by deadlines and reported. All in virtual
time (MockClock), through ``Server.run_connection`` on in-memory connections.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio
from trio_websocket import ConnectionClosed

from actors.bots import VoiceConfig, voice_graph
from actors.engines.audio import silence, tone
from actors.fakes import FakeStt, ScriptedLlm, ToneTts, energy_vad
from reliability.common import swap_factory, task_count
from rtvi_actors.client import RtviClient
from rtvi_actors.session import Session
from rtvi_actors.testing import Crashy, connection_pair
from supervisors import Server, bot_session

SPEECH = silence(0.1) + tone(0.6, 16000, 300.0, amplitude=0.3) + silence(1.0)
BARGE_IN = tone(0.4, 16000, 300.0, amplitude=0.3) + silence(1.0)
SECRET = "sk-secret-internal-detail"

# the message (1-based, per incarnation) at which a "mid-stream" crash happens, per stage
MID_STREAM = {
    "ws_in": 10,  # the receiver's messages are its own reads; Crashy counts handle() calls
    "vad": 20,
    "stt": 20,
    "llm": 1,
    "tts": 2,
    "ws_audio": 3,
    "rtvi": 4,
}
STAGES = ["vad", "stt", "llm", "tts", "rtvi", "ws_audio"]


def graph_for(hooks: dict[int, list[Callable[[Any], None]]]) -> Callable[[Session], Any]:
    """A scripted-bot builder; the n-th session built (from 1) gets ``hooks[n]``."""
    built = 0

    def build(session: Session) -> Any:
        nonlocal built
        built += 1
        return voice_graph(
            session,
            vad=energy_vad(),
            stt=FakeStt("hello"),
            llm=ScriptedLlm(),
            tts=ToneTts(),
            config=VoiceConfig(),
            extra=hooks.get(built, []),
        )

    return build


@asynccontextmanager
async def call(
    server: Server, *, ready: bool = True
) -> AsyncIterator[tuple[RtviClient, trio.Nursery]]:
    """One in-memory connection served by ``server.run_connection``."""
    server_conn, client_conn = connection_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(server.run_connection, server_conn)
        client = RtviClient(client_conn)
        nursery.start_soon(client.run)
        if ready:
            await client.ready()
        yield client, nursery
        client_conn.close()


def crash_hook(stage: str, **crashy: Any) -> tuple[Callable[[Any], None], list[Crashy]]:
    made: list[Crashy] = []

    def wrap(old: Any) -> Crashy:
        c = Crashy(old, exc=RuntimeError(SECRET), **crashy)
        made.append(c)
        return c

    return swap_factory(stage, wrap), made


def servers(hooks: dict[int, list[Any]]) -> Server:
    return Server(bot_session(graph_for(hooks)))


async def spoken_turn(c: RtviClient) -> None:
    """Say something and wait until the bot's answer to it has been played."""
    before = len(c.of("bot-stopped-speaking"))
    await c.stream_audio(SPEECH)
    await c.wait_for("bot-stopped-speaking", count=before + 1)


async def turn_with_barge_in(c: RtviClient) -> None:
    """A long answer that the user interrupts by speaking."""
    before = len(c.of("bot-started-speaking"))
    await c.send("send-text", {"content": " ".join(f"w{i}" for i in range(12))})
    await c.wait_for("bot-started-speaking", count=before + 1)
    await trio.sleep(0.5)
    await c.stream_audio(BARGE_IN)


def no_secrets(c: RtviClient) -> None:
    assert SECRET not in str(c.messages)


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("phase", ["start", "mid-stream", "interruption"])
async def test_one_crash_is_survived(autojump_clock, stage: str, phase: str) -> None:
    options: dict[str, Any] = {
        "start": {"at": 0},
        "mid-stream": {"at": MID_STREAM[stage]},
        "interruption": {"during": "interrupted"},
    }[phase]
    hook, made = crash_hook(stage, **options)
    server = servers({1: [hook]})
    with trio.fail_after(120):
        async with call(server) as (c, _):
            if phase == "interruption":
                await turn_with_barge_in(c)
            else:
                await c.stream_audio(SPEECH)  # the crash may lose this utterance or its answer
            err = await c.wait_for("error")
            assert err["data"]["fatal"] is False
            assert made[0].crashes == 1
            # the call goes on: a whole new turn, heard and answered
            await trio.sleep(2.0)
            transcripts = len(c.of("user-transcription"))
            await spoken_turn(c)
            assert len(c.of("user-transcription")) > transcripts
            no_secrets(c)
            assert c.closed_code is None
    assert server.statistics().crashed == 0


@pytest.mark.parametrize("stage", [*STAGES, "ws_in"])
async def test_beyond_the_budget_fatal_error_1011_and_others_live(
    autojump_clock, stage: str
) -> None:
    hook, _ = crash_hook(stage, at=0, times=None)  # every incarnation crashes as it starts
    server = servers({2: [hook]})
    with trio.fail_after(120):
        async with call(server) as (good, _):  # s1: healthy
            baseline = task_count()
            async with call(server, ready=False) as (bad, _):  # s2: crashes at once
                code = await bad.wait_closed()
                assert code == 1011
                if stage != "ws_in":  # its reader is the one dying
                    fatal = [m for m in bad.of("error") if m["data"]["fatal"]]
                    assert fatal, bad.messages
                no_secrets(bad)
            await spoken_turn(good)
            assert good.closed_code is None
            assert task_count() <= baseline + 1
    stats = server.statistics()
    assert stats.crashed == 1 and stats.live == 0


async def test_repeated_mid_stream_crashes_escalate(autojump_clock) -> None:
    hook, made = crash_hook("vad", at=5, times=None)
    server = servers({1: [hook]})
    with trio.fail_after(120):
        async with call(server) as (c, _):
            with contextlib.suppress(ConnectionClosed):  # the server closes mid-stream
                await c.stream_audio(SPEECH * 3)
            assert await c.wait_closed() == 1011
            assert any(m["data"]["fatal"] for m in c.of("error"))
            assert made[0].crashes == 4  # 3 restarts in 30 s are allowed, the 4th crash is not
    assert server.statistics().crashed == 1


class StallOnce:
    """Wraps an engine so its first call never returns (a stalled provider)."""

    def __init__(self, inner: Any, method: str) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", "stall")
        self.model = getattr(inner, "model", None)
        self.calls = 0
        setattr(self, method, functools.partial(self._call, getattr(inner, method)))

    async def _call(self, fn: Any, *args: Any) -> Any:
        self.calls += 1
        if self.calls == 1:
            await trio.sleep_forever()
        return await fn(*args)


async def test_a_stalled_llm_is_bounded_and_reported(autojump_clock) -> None:
    llm = StallOnce(ScriptedLlm(), "generate")

    def build(session: Session) -> Any:
        return voice_graph(
            session, vad=energy_vad(), stt=FakeStt(), llm=llm, tts=ToneTts(), config=VoiceConfig()
        )

    server = Server(bot_session(build))
    with trio.fail_after(300):
        async with call(server) as (c, _):
            t0 = trio.current_time()
            await c.send("send-text", {"content": "first"})
            err = await c.wait_for("error")
            assert err["data"]["fatal"] is False
            assert "LLM" in err["data"]["error"]
            assert trio.current_time() - t0 <= 61.0  # LlmActor's default deadline is 60 s
            await c.send("send-text", {"content": "second"})
            await c.wait_for("bot-output", lambda m: "second" in m["data"]["text"])


@pytest.mark.parametrize("stage", ["tts", "stt"])
async def test_a_stalled_tts_or_stt_is_bounded_and_reported(autojump_clock, stage: str) -> None:
    tts: Any = ToneTts()
    stt: Any = FakeStt()
    if stage == "tts":
        tts = StallOnce(tts, "synthesize")
    else:
        stt = StallOnce(stt, "transcribe")

    def build(session: Session) -> Any:
        return voice_graph(
            session, vad=energy_vad(), stt=stt, llm=ScriptedLlm(), tts=tts, config=VoiceConfig()
        )

    server = Server(bot_session(build))
    with trio.fail_after(300):
        async with call(server) as (c, _):
            await c.stream_audio(SPEECH)
            with trio.move_on_after(120):
                await c.wait_for("error")
            assert c.of("error"), "a stalled provider must be reported, not dead air"
