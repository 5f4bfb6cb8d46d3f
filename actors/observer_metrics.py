"""How the observer turns measurement events into RTVI ``metrics`` messages (pure)."""

from __future__ import annotations

from typing import Any

from rtvi_actors import messages as m
from rtvi_actors import voice as v
from rtvi_actors.protocol import (
    CharactersMetric,
    Metrics,
    ProcessorMetric,
    SttUsageMetric,
    TokenUsage,
    TtfaMetric,
)
from rtvi_actors.protocol import SttUsage as SttUsageValue

__all__ = ["metrics_message"]


def metrics_message(e: Any) -> list[Any]:
    """The ``metrics`` message for one event (``Metric`` ttfb/processing, ``Ttfa``, token,
    character and STT usage); ``[]`` for metric names RTVI has no key for."""
    if isinstance(e, m.Metric):
        if e.name not in ("ttfb", "processing"):
            return []
        entry = ProcessorMetric(processor=e.processor, value=e.value, model=e.model)
        return [Metrics(**{e.name: (entry,)})]
    if isinstance(e, v.Ttfa):
        ttfa = TtfaMetric(
            processor=e.processor,
            ttfa=e.ttfa,
            ttfb=e.ttfb,
            leading_silence=e.leading_silence,
            model=e.model,
        )
        return [Metrics(ttfa=(ttfa,))]
    if isinstance(e, v.LlmUsage):
        usage = TokenUsage(
            prompt_tokens=e.prompt_tokens,
            completion_tokens=e.completion_tokens,
            total_tokens=e.prompt_tokens + e.completion_tokens,
        )
        return [Metrics(tokens=(usage,))]
    if isinstance(e, v.TtsUsage):
        chars = CharactersMetric(processor=e.processor, value=e.characters, model=e.model)
        return [Metrics(characters=(chars,))]
    if isinstance(e, v.SttUsage):
        value = SttUsageValue(audio_seconds=e.seconds)
        return [
            Metrics(stt_usage=(SttUsageMetric(processor=e.processor, value=value, model=e.model),))
        ]
    return []
