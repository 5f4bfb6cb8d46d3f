"""Deterministic engines with no models, for the scripted bot, tests and benchmarks.

All delays are on trio's clock, so under ``MockClock`` they are exact.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

import trio

from rtvi_actors.voice import Generate

from .llm import LlmResult
from .stt import FakeStt

__all__ = ["FakeStt", "ScriptedLlm", "ToneTts", "energy_vad"]

TTS_RATE: Final = 24000


class ScriptedLlm:
    """Replies ``You said: <last user text>.``, streamed word by word.

    Args:
        ttfb: delay before the first word.
        per_word: delay between words.
    """

    name = "ScriptedLlm"
    model: str | None = "scripted"

    def __init__(self, *, ttfb: float = 0.1, per_word: float = 0.02) -> None:
        self.ttfb = ttfb
        self.per_word = per_word

    @staticmethod
    def reply_to(request: Generate) -> str:
        """The reply for a request: echo the last user message."""
        for message in reversed(request.messages):
            if message.get("role") == "user":
                content = message.get("content")
                if isinstance(content, list):
                    content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
                return f"You said: {str(content or '').strip()}."
        return "Hello! How can I help?"

    async def generate(
        self, request: Generate, on_text: Callable[[str], Awaitable[None]]
    ) -> LlmResult:
        words = self.reply_to(request).split(" ")
        await trio.sleep(self.ttfb)
        for i, word in enumerate(words):
            if i:
                await trio.sleep(self.per_word)
            await on_text(word if i == 0 else " " + word)
        return LlmResult(
            prompt_tokens=sum(len(str(m.get("content", ""))) // 4 for m in request.messages),
            completion_tokens=len(words),
        )


class ToneTts:
    """Speaks each word as a 24 kHz tone of ``per_word`` seconds (one chunk per word).

    The tone's first sample encodes a running counter, so tests can tell chunks apart.
    """

    name = "ToneTts"
    model: str | None = "tone"

    def __init__(self, *, per_word: float = 0.25, ttfb: float = 0.01, freq: float = 440.0):
        self.per_word = per_word
        self.ttfb = ttfb
        self.freq = freq
        self._word = self._make_word()

    def _make_word(self) -> bytes:
        from actors.engines.audio import tone

        return tone(self.per_word, TTS_RATE, self.freq, amplitude=0.3)

    async def synthesize(self, text: str, on_audio: Callable[[bytes, int], Awaitable[None]]):
        await trio.sleep(self.ttfb)
        for word in text.split():
            await on_audio(self._word, TTS_RATE, word)


def energy_vad(threshold_dbfs: float = -45.0) -> Callable[[], Any]:
    """A factory of deterministic energy VAD engines (16 kHz, 20 ms frames)."""

    def make() -> Any:
        from actors.engines.vad import EnergyVad

        return EnergyVad(sample_rate=16000, threshold_dbfs=threshold_dbfs)

    return make
