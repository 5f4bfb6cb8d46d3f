"""Server → client RTVI text streams: user input/transcription, LLM and TTS text, bot-output.

RTVI 2.2.0 adds ``user-input``, the three ``*-raw-text`` messages (sent only to clients that
declared ≥ 2.2.0), ``bot-llm-marker`` and the ``output_type``/``text_type`` keys of
``bot-output``. The deprecated ``user-transcription``, ``bot-llm-text`` and ``bot-tts-text``
are still sent by default.
"""

from typing import Any, ClassVar, Literal, final

import attrs

from rtvi_actors.protocol._fields import FIELDS, DataMode

__all__ = [
    "BotLlmMarker",
    "BotLlmText",
    "BotOutput",
    "BotTranscription",
    "BotTtsText",
    "LlmRawText",
    "SpokenProgress",
    "SttRawText",
    "TtsRawText",
    "UserInput",
    "UserLlmText",
    "UserTranscription",
]


@final
@attrs.frozen(kw_only=True)
class UserTranscription:
    """``user-transcription`` (deprecated in 2.2, still sent): STT text, interim or final."""

    TYPE: ClassVar[str] = "user-transcription"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    text: str
    user_id: str
    timestamp: str
    final: bool


@final
@attrs.frozen(kw_only=True)
class SttRawText:
    """``stt-raw-text`` (2.2.0, clients ≥ 2.2.0 only): same payload as user-transcription."""

    TYPE: ClassVar[str] = "stt-raw-text"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    text: str
    user_id: str
    timestamp: str
    final: bool


@final
@attrs.frozen(kw_only=True)
class UserInput:
    """``user-input`` (2.2.0): what the user said (transcription/backchannel) or typed (chat).

    A chat ``user-input`` acknowledges ``send-text``: ``msg_id`` is the request id and
    ``timestamp`` the server time; the sans-IO core has no clock, so the caller builds it.
    """

    TYPE: ClassVar[str] = "user-input"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    text: str
    input_type: Literal["transcription", "chat", "backchannel"]
    timestamp: str
    final: bool = True
    user_id: str | None = None
    msg_id: str | None = None


@final
@attrs.frozen(kw_only=True)
class UserLlmText:
    """``user-llm-text``: the user text as appended to the LLM context."""

    TYPE: ClassVar[str] = "user-llm-text"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    text: str


@final
@attrs.frozen(kw_only=True)
class BotLlmText:
    """``bot-llm-text`` (deprecated in 2.2, still sent): one streamed LLM chunk."""

    TYPE: ClassVar[str] = "bot-llm-text"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    text: str


@final
@attrs.frozen(kw_only=True)
class LlmRawText:
    """``llm-raw-text`` (2.2.0, clients ≥ 2.2.0 only): one streamed LLM chunk."""

    TYPE: ClassVar[str] = "llm-raw-text"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    text: str


@final
@attrs.frozen(kw_only=True)
class BotTranscription:
    """``bot-transcription`` (deprecated): LLM text accumulated up to a sentence end."""

    TYPE: ClassVar[str] = "bot-transcription"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    text: str


@final
@attrs.frozen(kw_only=True)
class BotTtsText:
    """``bot-tts-text`` (deprecated in 2.2, still sent): spoken text, timed to playback."""

    TYPE: ClassVar[str] = "bot-tts-text"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    text: str


@final
@attrs.frozen(kw_only=True)
class TtsRawText:
    """``tts-raw-text`` (2.2.0, clients ≥ 2.2.0 only): spoken text, timed to playback."""

    TYPE: ClassVar[str] = "tts-raw-text"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    text: str


@final
@attrs.frozen(kw_only=True)
class SpokenProgress:
    """``bot-output.data.spoken_progress``."""

    accumulated_text: str
    remaining_text: str


def _same_as_output_type(self: Any) -> str:
    return self.output_type


@final
@attrs.frozen(kw_only=True)
class BotOutput:
    """``bot-output``: a text segment and how far it has been spoken.

    ``output_type`` is canonical (2.2.0); ``text_type`` and ``aggregated_by`` are aliases that
    default to it, so all three keys are on the wire with the same value, as in Pipecat 1.14.
    """

    TYPE: ClassVar[str] = "bot-output"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    text: str
    output_type: str
    text_type: str = attrs.field(default=attrs.Factory(_same_as_output_type, takes_self=True))
    aggregated_by: str = attrs.field(default=attrs.Factory(_same_as_output_type, takes_self=True))
    segment_id: int | None = None
    spoken: bool | None = None
    will_be_spoken: bool | None = None
    spoken_status: Literal["new", "in-progress", "completed"] | None = None
    spoken_progress: SpokenProgress | None = None


@final
@attrs.frozen(kw_only=True)
class BotLlmMarker:
    """``bot-llm-marker`` (2.2.0, eval diagnostic): the turn-completion marker found."""

    TYPE: ClassVar[str] = "bot-llm-marker"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    text: str
    raw: str
    markers: tuple[str, ...] = ()
    kind: str | None = None
