"""The TTS stage: LLM text in, speech out, one text segment (sentence or clause) at a time.

Text is split on sentence/clause boundaries as it streams in, so the first audio comes early.
Each segment gets an id; its audio chunks carry it, so the audio sender times ``bot-output``
and ``bot-tts-text`` to playout. Text-only replies are published as unspoken segments at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import trio

from rtvi_actors import Actor, AudioOut, Context, Metric, StageFailed
from rtvi_actors.voice import (
    BotSegment,
    LlmDone,
    LlmText,
    SpeechDone,
    TtsStarted,
    TtsStopped,
    TtsUsage,
)

from .failures import report_failure

__all__ = ["TtsActor", "TtsEngine"]


class TtsEngine(Protocol):
    """Synthesizes one text segment: ``await engine.synthesize(text, on_audio)``."""

    name: str
    model: str | None

    async def synthesize(
        self, text: str, on_audio: Callable[[bytes, int], Awaitable[None]]
    ) -> None:
        """Deliver PCM16 mono chunks with their sample rate to ``on_audio``, in order.

        Cancellation: cancelling stops synthesis.
        """
        ...


class TtsActor(Actor):
    """Splits streamed text into segments and synthesizes each with a :class:`TtsEngine`."""

    accepts = (LlmText, LlmDone)
    emits = (AudioOut, SpeechDone)
    publishes = (TtsStarted, TtsStopped, BotSegment, TtsUsage, Metric, StageFailed)

    def __init__(
        self, engine: Any, *, splitter: Any = None, deadline: float = 30.0, debug: bool = False
    ) -> None:
        """Args:
        engine: a :class:`TtsEngine`.
        splitter: a factory of sentence splitters.
        deadline: a segment whose synthesis takes longer is abandoned and reported to the
            client as a non-fatal error (a stalled provider is never silent dead air).
        debug: include the error text in that report.
        """
        self.deadline = deadline
        self.debug = debug
        from actors.engines.text import SentenceSplitter

        self.engine = engine
        self._make_splitter = splitter or SentenceSplitter
        self._splitter = self._make_splitter()
        self._epoch: int | None = None
        self._segments = 0
        self._started = False

    async def handle(self, msg: LlmText | LlmDone, ctx: Context) -> None:
        if msg.epoch != self._epoch:
            self._epoch, self._segments, self._started = msg.epoch, 0, False
            self._splitter = self._make_splitter()
        if isinstance(msg, LlmText):
            for segment in self._splitter.push(msg.text):
                await self._segment(msg.epoch, segment, msg.speak, ctx)
            return
        rest = self._splitter.flush()
        if rest.strip():
            await self._segment(msg.epoch, rest, msg.speak, ctx)
        if self._started:
            ctx.publish(TtsStopped(epoch=msg.epoch, at=trio.current_time()))
        await ctx.emit(SpeechDone(epoch=msg.epoch))
        self._epoch = None

    def interrupted(self, epoch: int) -> None:
        self._epoch = None

    async def _segment(self, epoch: int, text: str, speak: bool, ctx: Context) -> None:
        text = text.strip()
        if not text:
            return
        self._segments += 1
        seg_id = f"{ctx.session_id}-{epoch}-{self._segments}"
        now = trio.current_time()
        if not speak:
            ctx.publish(
                BotSegment(epoch=epoch, segment_id=seg_id, text=text, status="unspoken", at=now)
            )
            return
        name = getattr(self.engine, "name", type(self.engine).__name__)
        model = getattr(self.engine, "model", None)
        if not self._started:
            self._started = True
            ctx.publish(TtsStarted(epoch=epoch, at=now))
        first = True

        async def on_audio(pcm: bytes, rate: int, words: str = "") -> None:
            nonlocal first
            if first:
                first = False
                t = trio.current_time()
                ctx.publish(Metric(name="ttfb", processor=name, value=t - now, at=t, model=model))
            await ctx.emit(
                AudioOut(
                    epoch=epoch,
                    pcm=pcm,
                    sample_rate=rate,
                    segment_id=seg_id,
                    text=text,
                    spoken=words,
                )
            )

        try:
            with trio.fail_after(self.deadline):
                await self.engine.synthesize(text, on_audio)
        except Exception as exc:  # a provider failure or stall: report it, go on
            report_failure(ctx, "TTS", exc, debug=self.debug)
        await ctx.emit(
            AudioOut(
                epoch=epoch,
                pcm=b"",
                sample_rate=24000,
                segment_id=seg_id,
                text=text,
                segment_end=True,
            )
        )
        ctx.publish(
            TtsUsage(processor=name, model=model, characters=len(text), at=trio.current_time())
        )
