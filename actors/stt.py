"""The STT stage: utterances in (audio between VAD boundaries), transcripts out.

Utterance engines (Whisper, an OpenAI-compatible ``/audio/transcriptions`` service, the fake)
get the audio of one utterance, including a short pre-roll from before the VAD confirmed
speech. Each final transcript goes to the turn stage and is published for the observer.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Final, Protocol

import trio

from rtvi_actors import Actor, AudioIn, Context, Metric, StageFailed, Transcript
from rtvi_actors.voice import SttUsage, VadStarted, VadStopped

from .failures import report_failure

__all__ = ["FakeStt", "SttActor", "UtteranceStt"]

RATE: Final = 16000


class UtteranceStt(Protocol):
    """Transcribes one utterance of 16 kHz mono PCM16."""

    name: str
    model: str | None

    async def transcribe(self, pcm16: bytes) -> str:
        """Return the text (empty when nothing was understood).

        Cancellation: cancelling abandons the request.
        """
        ...


class FakeStt:
    """Transcribes every utterance as the same text (default ``"hello"``), after ``delay``."""

    name = "FakeStt"
    model: str | None = "fake"

    def __init__(self, text: str = "hello", delay: float = 0.05) -> None:
        self.text = text
        self.delay = delay

    async def transcribe(self, pcm16: bytes) -> str:
        await trio.sleep(self.delay)
        return self.text


class SttActor(Actor):
    """Buffers each utterance and transcribes it when the VAD says it ended.

    Args:
        engine: an :class:`UtteranceStt`.
        preroll: seconds of audio kept from before the speech start (the VAD's start
            hysteresis means speech began earlier than ``VadStarted``).
        max_utterance: longer utterances are transcribed in pieces of this length.
        deadline: a transcription taking longer is abandoned and reported to the client as a
            non-fatal error (never silent dead air).
        debug: include the error text in that report.
    """

    accepts = (AudioIn, VadStarted, VadStopped)
    emits = (Transcript,)
    publishes = (Transcript, SttUsage, Metric, StageFailed)
    inline = (AudioIn, VadStarted)
    """Buffering a mic frame or opening an utterance never blocks: done in the sender's step
    when this stage is idle (one scheduler round trip less per 20 ms frame)."""

    def __init__(
        self,
        engine: Any,
        *,
        preroll: float = 0.5,
        max_utterance: float = 30.0,
        deadline: float = 30.0,
        debug: bool = False,
    ) -> None:
        self.engine = engine
        self.deadline = deadline
        self.debug = debug
        self._preroll: deque[bytes] = deque()
        self._preroll_bytes = 0
        self._preroll_max = int(preroll * RATE) * 2
        self._max_bytes = int(max_utterance * RATE) * 2
        self._utterance: bytearray | None = None

    def handle_now(self, msg: Any, ctx: Context) -> bool:
        if type(msg) is VadStarted:
            self._start_utterance()
            return True
        utterance = self._utterance
        if utterance is None:
            self._keep(msg.pcm)
            return True
        if len(utterance) + len(msg.pcm) >= self._max_bytes:
            return False  # a piece to transcribe: the async path
        utterance += msg.pcm
        return True

    async def handle(self, msg: Any, ctx: Context) -> None:
        match msg:
            case AudioIn(pcm=pcm):
                if self._utterance is not None:
                    self._utterance += pcm
                    if len(self._utterance) >= self._max_bytes:
                        await self._transcribe(ctx)
                        self._utterance = bytearray()
                else:
                    self._keep(pcm)
            case VadStarted():
                self._start_utterance()
            case VadStopped():
                if self._utterance is not None:
                    await self._transcribe(ctx)
                self._utterance = None

    def _start_utterance(self) -> None:
        self._utterance = bytearray(b"".join(self._preroll))
        self._preroll.clear()
        self._preroll_bytes = 0

    def _keep(self, pcm: bytes) -> None:
        self._preroll.append(pcm)
        self._preroll_bytes += len(pcm)
        while self._preroll and self._preroll_bytes - len(self._preroll[0]) >= self._preroll_max:
            self._preroll_bytes -= len(self._preroll.popleft())

    async def _transcribe(self, ctx: Context) -> None:
        audio = bytes(self._utterance or b"")
        if not audio:
            return
        started = trio.current_time()
        try:
            with trio.fail_after(self.deadline):
                text = (await self.engine.transcribe(audio)).strip()
        except Exception as exc:  # a provider failure or stall: report it, go on
            report_failure(ctx, "speech recognition", exc, debug=self.debug)
            return
        now = trio.current_time()
        name = getattr(self.engine, "name", type(self.engine).__name__)
        model = getattr(self.engine, "model", None)
        ctx.publish(
            Metric(name="processing", processor=name, value=now - started, at=now, model=model)
        )
        ctx.publish(SttUsage(processor=name, model=model, seconds=len(audio) / 2 / RATE, at=now))
        if not text:
            return
        transcript = Transcript(text=text, final=True, at=now)
        ctx.publish(transcript)
        await ctx.emit(transcript)
