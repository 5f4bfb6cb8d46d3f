"""Paced audio out, in virtual time: deadlines, speaking events, the interruption tail."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
import trio

from actors.playout import Playout, WsAudioSender
from rtvi_actors import (
    Actor,
    AudioOut,
    BotStartedSpeaking,
    BotStoppedSpeaking,
    Context,
    Graph,
)
from rtvi_actors.protocol import wire
from rtvi_actors.testing import After, Collector, Feeder, Recording, run_graph
from rtvi_actors.voice import BotSegment, BotSpoke, SpeechDone

RATE = 24000


class FakeConn:
    """Records what was sent and when (virtual time)."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, Any]] = []

    async def send_message(self, payload: Any) -> None:
        await trio.lowlevel.checkpoint()
        self.sent.append((trio.current_time(), payload))

    def audio(self) -> list[tuple[float, bytes]]:
        out = []
        for t, p in self.sent:
            frame = wire.parse(p)
            assert isinstance(frame, wire.AudioFrame)
            assert frame.sample_rate == RATE
            out.append((t, frame.audio))
        return out


class Interrupter(Actor):
    def __init__(self, at: float) -> None:
        self.at = at

    async def started(self, ctx: Context) -> None:
        await trio.sleep_until(self.at)
        ctx.interrupt("barge-in")


def seconds(s: float) -> bytes:
    return b"\x01\x00" * int(RATE * s)


def sentence(epoch: int, seg: str, text: str, secs: float) -> AudioOut:
    return AudioOut(
        epoch=epoch,
        pcm=seconds(secs),
        sample_rate=RATE,
        segment_id=seg,
        text=text,
        segment_end=True,
    )


def graph(
    conn: FakeConn,
    inputs: list[Any],
    events: Recording,
    interrupt_at: float | None,
    **options: Any,
):
    g = Graph()
    g.add("tts", Feeder, inputs, emits=(AudioOut, SpeechDone))
    g.add("out", partial(WsAudioSender, conn, **options))
    g.add("events", Collector, events, accepts=(object,))
    g.route(AudioOut, "tts", "out").route(SpeechDone, "tts", "out")
    g.subscribe("events", BotStartedSpeaking, BotStoppedSpeaking, BotSegment, BotSpoke)
    if interrupt_at is not None:
        g.add("boss", Interrupter, interrupt_at, can_interrupt=True)
    return g


def test_playout_arithmetic() -> None:
    p = Playout(lead=0.08, play_end=0.0)
    assert p.due(0.0, 0.04) == pytest.approx(-0.04)
    assert p.sent(0.0, 0.04) == 0.0
    assert p.due(0.0, 0.04) == pytest.approx(0.0)
    p.sent(0.0, 0.04)
    assert p.buffered(0.0) == pytest.approx(0.08)
    assert p.due(0.0, 0.04) == pytest.approx(0.04)


def test_lead_must_cover_chunk_and_pacing_tick() -> None:
    conn = FakeConn()
    assert WsAudioSender(conn).pacing_tick == 0.01  # 80 ms lead, 40 ms chunks
    assert WsAudioSender(conn, lead=0.045, chunk_ms=40).pacing_tick == pytest.approx(0.005)
    assert WsAudioSender(conn, lead=0.04, chunk_ms=40).pacing_tick == 0.0
    assert WsAudioSender(conn, lead=0.05, chunk_ms=40, pacing_tick=0.01).pacing_tick == 0.01
    with pytest.raises(ValueError, match="lead >= chunk"):
        WsAudioSender(conn, lead=0.05, chunk_ms=40, pacing_tick=0.02)
    with pytest.raises(ValueError, match="pacing_tick must be >= 0"):
        WsAudioSender(conn, pacing_tick=-0.01)
    with pytest.raises(ValueError, match="no longer than the lead"):
        WsAudioSender(conn, lead=0.02, chunk_ms=40)


# the default tick (10 ms) does not move these deadlines: they lie on its grid
@pytest.mark.parametrize("tick", [None, 0.0])
async def test_chunks_leave_at_exactly_their_deadlines(autojump_clock, tick) -> None:
    conn, events = FakeConn(), Recording()
    inputs = [sentence(0, "s1", "one two three four", 1.0), SpeechDone(epoch=0)]
    with trio.fail_after(60):
        await run_graph(graph(conn, inputs, events, None, pacing_tick=tick))
    audio = conn.audio()
    assert len(audio) == 25
    assert all(len(chunk) == 40 * 24 * 2 for _, chunk in audio)
    expected = [0.0] + [0.04 * (k - 1) for k in range(1, 25)]
    assert [t for t, _ in audio] == pytest.approx(expected)
    assert events.of(BotStartedSpeaking) == [BotStartedSpeaking(epoch=0, at=0.0)]
    assert events.of(BotStoppedSpeaking) == [BotStoppedSpeaking(epoch=0, at=pytest.approx(1.0))]
    segs = events.of(BotSegment)
    assert [(s.status, s.segment_id, s.at) for s in segs] == [
        ("new", "s1", 0.0),
        ("completed", "s1", pytest.approx(1.0)),
    ]
    assert events.of(BotSpoke)[0].complete and events.of(BotSpoke)[0].text == "one two three four"
    # order: started, new ... completed, stopped
    kinds = [type(m).__name__ for m in events.messages]
    assert kinds.index("BotStoppedSpeaking") > kinds.index("BotSegment")


async def test_chunks_leave_on_the_pacing_grid_before_they_play(autojump_clock) -> None:
    conn, events = FakeConn(), Recording()
    inputs = [sentence(0, "s1", "one two three four", 1.0), SpeechDone(epoch=0)]
    with trio.fail_after(60):
        await run_graph(graph(conn, inputs, events, None, pacing_tick=0.03))
    sent = [t for t, _ in conn.audio()]
    assert len(sent) == 25 and sent[:2] == [0.0, 0.0]
    for k, t in enumerate(sent[2:], start=2):
        due = 0.04 * (k - 1)  # at most 80 ms queued: two 40 ms chunks ahead of playback
        assert due - 1e-9 <= t <= due + 0.03 + 1e-9  # up to one tick late
        assert round(t / 0.03, 6).is_integer()  # on the grid
        assert t < 0.04 * k  # before it is due to play: the client never runs dry
    assert events.of(BotStoppedSpeaking) == [BotStoppedSpeaking(epoch=0, at=pytest.approx(1.0))]
    assert events.of(BotSpoke)[0].complete


@pytest.mark.parametrize("tick", [0.0, None, 0.03])
async def test_interruption_tail_is_at_most_the_lead(autojump_clock, tick) -> None:
    conn, events = FakeConn(), Recording()
    inputs = [
        sentence(0, "s1", "a b c d e f g h i j", 1.0),
        sentence(0, "s2", "never heard", 1.0),
        SpeechDone(epoch=0),
        After(1.0, sentence(1, "s3", "new reply", 0.2)),
        SpeechDone(epoch=1),
    ]
    with trio.fail_after(60):
        await run_graph(graph(conn, inputs, events, 0.5, pacing_tick=tick))
    audio = conn.audio()
    cut = [(t, c) for t, c in audio if t <= 0.5]
    assert [t for t, _ in audio if 0.5 < t < 1.0] == []  # nothing leaves after the cut
    played_until = 0.04 * len(cut)  # the client plays back to back from t=0
    assert played_until - 0.5 <= 0.08 + 1e-9  # audible tail after the interruption <= lead
    spoke = events.of(BotSpoke)
    assert spoke[0].complete is False and spoke[0].epoch == 0
    assert spoke[0].text == "a b c d e"  # half of s1 had played at t=0.5
    stopped = events.of(BotStoppedSpeaking)
    assert stopped[0] == BotStoppedSpeaking(epoch=0, at=0.5)
    assert [s.segment_id for s in events.of(BotSegment) if s.status == "new"] == ["s1", "s3"]
    # the new reply starts after the old tail and is reported normally
    assert events.of(BotStartedSpeaking)[1].epoch == 1
    assert spoke[1].complete is True and spoke[1].text == "new reply"


def test_voice_config_passes_the_pacing_tick_to_the_sender() -> None:
    from actors.bots import VoiceConfig, scripted_bot
    from rtvi_actors.session import Session
    from rtvi_actors.testing import connection_pair

    conn, _peer = connection_pair()
    g = scripted_bot(Session("s", conn=conn), VoiceConfig(pacing_tick=0.03))
    assert g.factory_of("ws_audio")().pacing_tick == 0.03
    g = scripted_bot(Session("s", conn=conn), VoiceConfig(pacing_tick=0.05))
    with pytest.raises(ValueError, match="pacing_tick"):
        g.factory_of("ws_audio")()  # 40 ms chunks + 50 ms > the 80 ms lead
