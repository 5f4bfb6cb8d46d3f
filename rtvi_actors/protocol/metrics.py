"""The ``metrics`` message (S→C): lists of per-processor measurements.

Every key is optional; entries leave ``model`` out when it is unknown. ``tokens`` holds the
bare usage (Pipecat drops ``processor`` and ``model`` there).
"""

from typing import ClassVar, final

import attrs

from rtvi_actors.protocol._fields import FIELDS, DataMode

__all__ = [
    "CharactersMetric",
    "Metrics",
    "ProcessorMetric",
    "SttUsage",
    "SttUsageMetric",
    "TokenUsage",
    "TtfaMetric",
    "TtfatMetric",
]


@final
@attrs.frozen(kw_only=True)
class ProcessorMetric:
    """A ``ttfb`` or ``processing`` entry: seconds."""

    processor: str
    value: float
    model: str | None = None


@final
@attrs.frozen(kw_only=True)
class TtfaMetric:
    """A ``ttfa`` entry (time to first audio)."""

    processor: str
    ttfa: float
    ttfb: float
    leading_silence: float
    model: str | None = None


@final
@attrs.frozen(kw_only=True)
class TtfatMetric:
    """A ``ttfat`` entry (time to first audio token)."""

    processor: str
    ttfat: float
    ttfb: float
    thinking_time: float
    model: str | None = None


@final
@attrs.frozen(kw_only=True)
class TokenUsage:
    """A ``tokens`` entry: LLM usage."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cache_read_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    reasoning_tokens: int | None = None
    input_audio_tokens: int | None = None
    output_audio_tokens: int | None = None
    cache_read_input_audio_tokens: int | None = None


@final
@attrs.frozen(kw_only=True)
class SttUsage:
    """``stt_usage[].value``."""

    audio_seconds: float


@final
@attrs.frozen(kw_only=True)
class SttUsageMetric:
    """A ``stt_usage`` entry."""

    processor: str
    value: SttUsage
    model: str | None = None


@final
@attrs.frozen(kw_only=True)
class CharactersMetric:
    """A ``characters`` entry: TTS characters."""

    processor: str
    value: int
    model: str | None = None


@final
@attrs.frozen(kw_only=True)
class Metrics:
    """``metrics``: whatever measurements are available; all keys optional."""

    TYPE: ClassVar[str] = "metrics"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    ttfb: tuple[ProcessorMetric, ...] | None = None
    ttfa: tuple[TtfaMetric, ...] | None = None
    ttfat: tuple[TtfatMetric, ...] | None = None
    processing: tuple[ProcessorMetric, ...] | None = None
    tokens: tuple[TokenUsage, ...] | None = None
    stt_usage: tuple[SttUsageMetric, ...] | None = None
    characters: tuple[CharactersMetric, ...] | None = None

    @property
    def is_empty(self) -> bool:
        """Return True when no key would be sent (Pipecat still sends ``{}``)."""
        return all(getattr(self, f.name) is None for f in attrs.fields(Metrics))
