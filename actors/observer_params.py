"""`ObserverParams`: what the RTVI observer sends (Pipecat's ``RTVIObserverParams``, 1.14 names).

Every flag, default and alias follows the RTVI 2.2 observer parameters. Differences:

- ``function_call_report_level`` is stored as a plain mapping of
  :class:`~rtvi_actors.protocol.FunctionCallReportLevel` (strings are accepted and checked).
- ``skip_aggregator_types`` (deprecated) is copied into ``skip_text_types`` when that is unset,
  with a :class:`DeprecationWarning`; both are stored as frozensets.
- ``bot_output_transforms`` entries are normalised to :class:`OutputTransform` when the params
  are built ("registration"); a legacy 2-argument transform warns then.
"""

from __future__ import annotations

import inspect
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, final

import attrs

from rtvi_actors.protocol import FunctionCallReportLevel, ReportLevels

__all__ = [
    "BotOutputTransformResult",
    "ObserverParams",
    "OutputTransform",
    "utc_now_iso",
]


def utc_now_iso() -> str:
    """The wall-clock time as RTVI writes timestamps: ISO-8601 UTC with milliseconds.

    The only wall-clock read of the observer; the actor passes it to `RtviObserver`. The text
    is formatted once per millisecond (it is message content, never used for behaviour).
    """
    ms = time.time_ns() // 1_000_000
    if ms == _ISO_CACHE[0]:
        return _ISO_CACHE[1]
    second, milli = divmod(ms, 1000)
    if second != _ISO_CACHE[2]:  # the date and time up to the second, formatted once a second
        _ISO_CACHE[2] = second
        _ISO_CACHE[3] = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
    text = f"{_ISO_CACHE[3]}{milli:03d}+00:00"
    _ISO_CACHE[0], _ISO_CACHE[1] = ms, text
    return text


_ISO_CACHE: list[Any] = [None, "", None, ""]  # ms, its text, second, its prefix


@final
@attrs.frozen(kw_only=True)
class BotOutputTransformResult:
    """What a progress-aware transform may return instead of a plain string.

    ``accumulated_text`` / ``remaining_text`` matter only for progress events (not produced by
    this server: segments report new/completed only, see `RtviObserver`).
    """

    text: str
    accumulated_text: str | None = None
    remaining_text: str | None = None


def _accepts_four(fn: Callable[..., Any]) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return True  # builtins and C callables: assume the modern form
    positional = 0
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            return True
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            positional += 1
    return positional >= 4


@final
@attrs.frozen(kw_only=True)
class OutputTransform:
    """One registered ``bot-output`` transform.

    ``text_type`` is a text type (``"sentence"``, ``"code"``, ...) or ``"*"`` for every type.
    ``legacy`` marks the deprecated ``fn(text, text_type)`` form; the modern form is
    ``fn(text, text_type, accumulated, remaining)``. ``fn`` may be sync or ``async``; async
    transforms are awaited by `RtviObserver.aobserve` (what `ObserverActor` uses).
    """

    text_type: str
    fn: Callable[..., Any]
    legacy: bool

    @classmethod
    def register(cls, text_type: str, fn: Callable[..., Any]) -> OutputTransform:
        """Check and normalise one ``(text_type, fn)`` entry.

        Raises:
            TypeError: ``fn`` is not callable or ``text_type`` is not a string.
        """
        if not isinstance(text_type, str):
            raise TypeError(f"transform text type must be a str or '*', not {text_type!r}")
        if not callable(fn):
            raise TypeError(f"transform for {text_type!r} is not callable: {fn!r}")
        legacy = not _accepts_four(fn)
        if legacy:
            warnings.warn(
                f"bot_output_transforms: the 2-argument transform {fn!r} is deprecated; "
                "use fn(text, text_type, accumulated_text, remaining_text)",
                DeprecationWarning,
                stacklevel=4,
            )
        return cls(text_type=text_type, fn=fn, legacy=legacy)

    def applies_to(self, text_type: str) -> bool:
        """Tell whether this transform runs for segments of ``text_type``."""
        return self.text_type in ("*", text_type)


def _transforms(value: Iterable[Any] | None) -> tuple[OutputTransform, ...]:
    if value is None:
        return ()
    out: list[OutputTransform] = []
    for item in value:
        if isinstance(item, OutputTransform):
            out.append(item)
            continue
        try:
            text_type, fn = item
        except (TypeError, ValueError):
            raise TypeError(
                f"bot_output_transforms entries are (text_type, fn) pairs, not {item!r}"
            ) from None
        out.append(OutputTransform.register(text_type, fn))
    return tuple(out)


def _types(value: Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise TypeError("skip types must be a collection of strings, not one string")
    return frozenset(value)


def _levels(
    value: Mapping[str, FunctionCallReportLevel | str] | ReportLevels | None,
) -> Mapping[str, FunctionCallReportLevel]:
    if value is None:
        return {"*": FunctionCallReportLevel.NONE}
    if isinstance(value, ReportLevels):
        return dict(value.levels)
    return dict(ReportLevels(levels=value).levels)


def _period(value: float) -> float:
    value = float(value)
    if not value >= 0:
        raise ValueError(f"audio_level_period_secs must be >= 0, not {value!r}")
    return value


_BOOL = attrs.validators.instance_of(bool)


def _flag(default: bool) -> Any:
    return attrs.field(default=default, validator=_BOOL)


@final
@attrs.frozen(kw_only=True)
class ObserverParams:
    """Which RTVI server messages the observer sends, and how (defaults as in Pipecat 1.14)."""

    bot_output_enabled: bool = _flag(True)
    bot_llm_enabled: bool = _flag(True)
    bot_tts_enabled: bool = _flag(True)
    bot_speaking_enabled: bool = _flag(True)
    bot_audio_level_enabled: bool = _flag(False)
    user_llm_enabled: bool = _flag(True)
    user_speaking_enabled: bool = _flag(True)
    vad_user_speaking_enabled: bool = _flag(False)
    user_mute_enabled: bool = _flag(True)
    user_transcription_enabled: bool = _flag(True)
    user_input_enabled: bool = _flag(True)
    user_audio_level_enabled: bool = _flag(False)
    metrics_enabled: bool = _flag(True)
    system_logs_enabled: bool = _flag(False)
    stt_raw_text_enabled: bool = _flag(False)
    llm_raw_text_enabled: bool = _flag(False)
    tts_raw_text_enabled: bool = _flag(False)
    bot_llm_marker_enabled: bool = _flag(False)
    skip_text_types: frozenset[str] | None = attrs.field(default=None, converter=_types)
    skip_aggregator_types: frozenset[str] | None = attrs.field(default=None, converter=_types)
    bot_output_transforms: tuple[OutputTransform, ...] = attrs.field(
        default=(), converter=_transforms
    )
    audio_level_period_secs: float = attrs.field(default=0.15, converter=_period)
    function_call_report_level: Mapping[str, FunctionCallReportLevel] = attrs.field(
        factory=lambda: {"*": FunctionCallReportLevel.NONE}, converter=_levels
    )

    def __attrs_post_init__(self) -> None:
        if self.skip_aggregator_types is not None and self.skip_text_types is None:
            warnings.warn(
                "skip_aggregator_types is deprecated; use skip_text_types",
                DeprecationWarning,
                stacklevel=3,
            )
            object.__setattr__(self, "skip_text_types", self.skip_aggregator_types)

    @property
    def report_levels(self) -> ReportLevels:
        """``function_call_report_level`` as the protocol package's lookup policy."""
        return ReportLevels(levels=self.function_call_report_level)

    def skips(self, text_type: str) -> bool:
        """Tell whether ``bot-output`` / ``bot-tts-text`` / ``tts-raw-text`` skip a type."""
        return self.skip_text_types is not None and text_type in self.skip_text_types

    def evolve(self, **changes: Any) -> ObserverParams:
        """Return a copy with ``changes`` applied; ``None`` values leave a field alone.

        Raises:
            TypeError: an unknown parameter name, or a value of the wrong type.
            ValueError: a bad value (an unknown report level, a negative period).
        """
        names = {f.name for f in attrs.fields(ObserverParams)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise TypeError(
                f"unknown observer parameter(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(names))}"
            )
        given = {k: v for k, v in changes.items() if v is not None}
        alias = given.pop("skip_aggregator_types", None)
        if alias is not None:
            warnings.warn(
                "skip_aggregator_types is deprecated; use skip_text_types",
                DeprecationWarning,
                stacklevel=3,
            )
            given.setdefault("skip_text_types", alias)
        return attrs.evolve(self, **given)
