"""Typed events of Deepgram's live-transcription WebSocket, and the sans-IO message decoder.

Deepgram sends JSON text messages: ``Results`` (interim or final transcripts, with
``is_final`` and ``speech_final``), ``SpeechStarted`` (with ``vad_events``), ``UtteranceEnd``
(with ``utterance_end_ms``), ``Metadata`` (when the stream closes) and error objects. No I/O here.
"""

from __future__ import annotations

import json
from typing import Any, TypeAlias, final

from attrs import frozen

from .errors import ProviderError

__all__ = [
    "DeepgramEvent",
    "FinalTranscript",
    "InterimTranscript",
    "SpeechStarted",
    "StreamMetadata",
    "UtteranceEnd",
    "decode_message",
]


@final
@frozen(kw_only=True)
class InterimTranscript:
    """A provisional transcript of the current segment; later results replace it.

    Attributes:
        text: The best alternative's transcript (never empty: empty interims are skipped).
        start: Segment start in seconds of audio since the stream opened.
        duration: Segment length in seconds.
        confidence: The alternative's confidence, 0..1.
    """

    text: str
    start: float
    duration: float
    confidence: float


@final
@frozen(kw_only=True)
class FinalTranscript:
    """The settled transcript of a segment (``is_final``); concatenate these for the turn.

    Attributes:
        text: The transcript; may be empty (a silent segment that still ends speech).
        start: Segment start in seconds of audio since the stream opened.
        duration: Segment length in seconds.
        confidence: The alternative's confidence, 0..1.
        speech_final: Deepgram's endpointing detected the end of the speaker's utterance.
        from_finalize: The result was forced by a ``Finalize`` message.
    """

    text: str
    start: float
    duration: float
    confidence: float
    speech_final: bool
    from_finalize: bool = False


@final
@frozen(kw_only=True)
class UtteranceEnd:
    """No new words for ``utterance_end_ms``: the utterance ended (works in noise, unlike
    endpointing). ``last_word_end`` is in seconds of audio."""

    last_word_end: float | None


@final
@frozen(kw_only=True)
class SpeechStarted:
    """Deepgram's VAD heard speech begin at ``timestamp`` seconds of audio."""

    timestamp: float


@final
@frozen(kw_only=True)
class StreamMetadata:
    """Sent once when the stream closes: the request id and the audio duration processed."""

    request_id: str | None
    duration: float | None


DeepgramEvent: TypeAlias = (
    InterimTranscript | FinalTranscript | UtteranceEnd | SpeechStarted | StreamMetadata
)


def _float(value: Any, default: float = 0.0) -> float:
    return float(value) if isinstance(value, int | float) else default


def decode_message(message: str) -> DeepgramEvent | None:
    """Decode one text message from the server.

    Args:
        message: The raw JSON text.

    Returns:
        The typed event, or ``None`` for messages with nothing to act on (empty interim
        results, unknown types).

    Raises:
        ProviderError: The message is not JSON or reports an error (``type: "Error"`` or an
            ``err_code`` object).
    """
    try:
        data = json.loads(message)
    except ValueError:
        raise ProviderError(
            "malformed Deepgram message (invalid JSON)", retryable=True, provider="deepgram"
        ) from None
    if not isinstance(data, dict):
        return None
    kind = data.get("type")
    if kind == "Results":
        return _results(data)
    if kind == "UtteranceEnd":
        last = data.get("last_word_end")
        return UtteranceEnd(last_word_end=float(last) if isinstance(last, int | float) else None)
    if kind == "SpeechStarted":
        return SpeechStarted(timestamp=_float(data.get("timestamp")))
    if kind == "Metadata":
        request_id = data.get("request_id")
        duration = data.get("duration")
        return StreamMetadata(
            request_id=request_id if isinstance(request_id, str) else None,
            duration=float(duration) if isinstance(duration, int | float) else None,
        )
    if kind == "Error" or "err_code" in data:
        detail = data.get("description") or data.get("message") or data.get("err_msg") or ""
        code = data.get("variant") or data.get("err_code") or ""
        raise ProviderError(
            f"Deepgram error {code}: {detail}".strip(), retryable=True, provider="deepgram"
        )
    return None


def _results(data: dict[str, Any]) -> InterimTranscript | FinalTranscript | None:
    channel = data.get("channel")
    alternatives = channel.get("alternatives") if isinstance(channel, dict) else None
    best = alternatives[0] if isinstance(alternatives, list) and alternatives else {}
    text = best.get("transcript") if isinstance(best, dict) else None
    text = text.strip() if isinstance(text, str) else ""
    confidence = _float(best.get("confidence")) if isinstance(best, dict) else 0.0
    start = _float(data.get("start"))
    duration = _float(data.get("duration"))
    if data.get("is_final"):
        return FinalTranscript(
            text=text,
            start=start,
            duration=duration,
            confidence=confidence,
            speech_final=bool(data.get("speech_final")),
            from_finalize=bool(data.get("from_finalize")),
        )
    if not text:
        return None
    return InterimTranscript(text=text, start=start, duration=duration, confidence=confidence)
