"""The utterance STT stage: pre-roll, utterances between VAD boundaries, long utterances in
pieces — the same whether mic frames are buffered in the sender's step (inline) or queued."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from actors.stt import SttActor
from rtvi_actors import AudioIn, Transcript
from rtvi_actors.testing import After, run_actor
from rtvi_actors.voice import VadStarted, VadStopped


class Recorder:
    """An utterance engine that records what it was given (answers at once)."""

    name = "Recorder"
    model = "rec"

    def __init__(self) -> None:
        self.heard: list[bytes] = []

    async def transcribe(self, pcm16: bytes) -> str:
        self.heard.append(pcm16)
        return f"utterance {len(self.heard)}"


class QueuedStt(SttActor):
    """The same stage with the inline path switched off (every message queued)."""

    inline = ()


def frame(i: int) -> AudioIn:
    return AudioIn(pcm=bytes([i % 256]) * 640, sample_rate=16000)  # 20 ms


def script(spacing: float) -> list[Any]:
    items: list[Any] = [frame(i) for i in range(40)]  # 0.8 s before speech: 0.5 s kept
    items += [VadStarted(at=0.0)] + [frame(100 + i) for i in range(30)] + [VadStopped(at=0.0)]
    items += [frame(200 + i) for i in range(5)]
    items += [VadStarted(at=0.0)] + [frame(50 + i) for i in range(130)] + [VadStopped(at=0.0)]
    return [After(spacing, m) for m in items] if spacing else items


@pytest.mark.parametrize("spacing", [0.0, 0.02])  # back to back (queued) and paced (idle)
async def test_inline_and_queued_stages_hear_the_same_utterances(
    autojump_clock: Any, spacing: float
) -> None:
    heard = {}
    for cls in (SttActor, QueuedStt):
        engine = Recorder()
        stage = functools.partial(cls, engine, max_utterance=1.5)
        result = await run_actor(stage, script(spacing))
        heard[cls] = engine.heard
        texts = [t.text for t in result.emitted.of(Transcript)]
        assert texts == [f"utterance {i + 1}" for i in range(len(engine.heard))]
    assert heard[SttActor] == heard[QueuedStt]
    first, *rest = heard[SttActor]
    preroll = b"".join(frame(i).pcm for i in range(15, 40))  # the last 0.5 s before speech
    assert first == preroll + b"".join(frame(100 + i).pcm for i in range(30))
    # the second (5 frames of pre-roll + 2.6 s) comes in pieces of at most 1.5 s
    assert [len(piece) for piece in rest] == [48000, 38400]
