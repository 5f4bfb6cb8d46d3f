"""The VAD stage: voice activity from the user's audio, with hysteresis.

Audio flows through it to the STT stage with the speech boundaries in band (``VadStarted`` /
``VadStopped`` travel on the same FIFO edge as the audio), so the STT stage always knows which
audio belongs to an utterance. It also publishes the raw VAD events and, with the default VAD
turn-start strategy, ``UserStartedSpeaking`` / ``UserStoppedSpeaking``, plus the user's audio
level for the observer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import trio

from actors.engines.audio import rms  # stdlib only (numpy is imported lazily there)
from rtvi_actors import Actor, AudioIn, Context, UserStartedSpeaking, UserStoppedSpeaking
from rtvi_actors.voice import AudioLevel, VadStarted, VadStopped

__all__ = ["VAD_LIMITER", "VadActor"]

VAD_LIMITER: Final = trio.CapacityLimiter(2)
"""Threads for model-based VAD engines, shared by every session of the process."""

_LEVEL_PERIOD: Final = 0.1


class VadActor(Actor):
    """Runs a :class:`~actors.engines.vad_detector.VadDetector` over the user's audio.

    Args:
        engine_factory: builds one VAD engine per incarnation (engines keep per-stream state).
        params: detector thresholds (``actors.engines.VadParams``).
        user_turns: also publish ``UserStartedSpeaking``/``UserStoppedSpeaking`` (the VAD
            turn-start strategy). Turn it off when another stage decides turns.
        blocking: run the engine in a worker thread (model-based engines such as Silero).
    """

    accepts = (AudioIn,)
    emits = (AudioIn, VadStarted, VadStopped)
    publishes = (VadStarted, VadStopped, UserStartedSpeaking, UserStoppedSpeaking, AudioLevel)

    def __init__(
        self,
        engine_factory: Callable[[], Any],
        params: Any = None,
        *,
        user_turns: bool = True,
        blocking: bool = False,
    ) -> None:
        from actors.engines.vad_detector import VadDetector

        self.detector = VadDetector(engine_factory(), params)
        self.user_turns = user_turns
        self.blocking = blocking
        self._level_at = -_LEVEL_PERIOD

    async def handle(self, msg: AudioIn, ctx: Context) -> None:
        if self.blocking:
            events = await trio.to_thread.run_sync(self.detector.feed, msg.pcm, limiter=VAD_LIMITER)
        else:
            events = self.detector.feed(msg.pcm)
        now = trio.current_time()
        for ev in events:
            name = type(ev).__name__
            if name == "SpeechStarted":
                started = VadStarted(at=now)
                await ctx.emit(started)
                ctx.publish(started)
                if self.user_turns:
                    ctx.publish(UserStartedSpeaking(at=now))
            elif name == "SpeechStopped":
                stopped = VadStopped(at=now)
                ctx.publish(stopped)
                if self.user_turns:
                    ctx.publish(UserStoppedSpeaking(at=now))
                await ctx.emit(msg)  # the audio up to the boundary goes first
                await ctx.emit(stopped)
                msg = AudioIn(pcm=b"", sample_rate=msg.sample_rate)
        if msg.pcm:
            if now - self._level_at >= _LEVEL_PERIOD:  # sampled: one chunk per period
                self._level_at = now
                ctx.publish(AudioLevel(source="user", level=min(1.0, 4.0 * rms(msg.pcm)), at=now))
            await ctx.emit(msg)
