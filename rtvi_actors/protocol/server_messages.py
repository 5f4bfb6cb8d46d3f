"""Server → client RTVI messages: handshake, replies, speaking events and misc events.

Text streams (transcriptions, LLM/TTS text, ``bot-output``) live in `text_messages`,
function-call messages in `function_calls`, ``metrics`` in `metrics`, UI messages in
`ui`, the legacy 0.x replies in `legacy_messages`. Only ``bot-ready``, ``server-response``
and ``error-response`` carry an envelope ``id``; the codec takes it as an argument.
"""

from typing import Any, ClassVar, final

import attrs

from rtvi_actors.protocol._fields import FIELDS, OMIT, RAW, DataMode
from rtvi_actors.protocol.converter import JsonObject
from rtvi_actors.protocol.legacy_messages import RTVIServiceConfig

__all__ = [
    "BotAudioLevel",
    "BotCapabilities",
    "BotInterrupted",
    "BotLlmSearchResponse",
    "BotLlmStarted",
    "BotLlmStopped",
    "BotReady",
    "BotStartedSpeaking",
    "BotStoppedSpeaking",
    "BotTtsAudio",
    "BotTtsStarted",
    "BotTtsStopped",
    "Error",
    "ErrorResponse",
    "SearchOrigin",
    "SearchResult",
    "ServerMessage",
    "ServerResponse",
    "SystemLog",
    "UserAudioLevel",
    "UserMuteStarted",
    "UserMuteStopped",
    "UserStartedSpeaking",
    "UserStoppedSpeaking",
    "VadUserStartedSpeaking",
    "VadUserStoppedSpeaking",
]


@final
@attrs.frozen(kw_only=True)
class BotCapabilities:
    """``bot-ready.data.capabilities`` (2.2.0); ``None`` means unknown and is left out."""

    audio_in: bool | None = None
    audio_out: bool | None = None
    video_in: bool | None = None
    screen_in: bool | None = None
    video_out: bool | None = None
    metrics: bool | None = None


@final
@attrs.frozen(kw_only=True)
class BotReady:
    """``bot-ready``: answers ``client-ready`` (same id). ``config`` only for 0.x sessions."""

    TYPE: ClassVar[str] = "bot-ready"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    version: str
    about: JsonObject | None = None
    capabilities: BotCapabilities | None = None
    config: tuple[RTVIServiceConfig, ...] | None = None


@final
@attrs.frozen(kw_only=True)
class Error:
    """``error``: not tied to a request (no id). ``fatal`` makes the client disconnect."""

    TYPE: ClassVar[str] = "error"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    error: str
    fatal: bool = False


@final
@attrs.frozen(kw_only=True)
class ErrorResponse:
    """``error-response``: a request failed (the envelope id is the request's id)."""

    TYPE: ClassVar[str] = "error-response"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    error: str


@final
@attrs.frozen(kw_only=True)
class ServerResponse:
    """``server-response``: answers a ``client-message`` (same id, ``t`` echoed)."""

    TYPE: ClassVar[str] = "server-response"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    t: str
    d: Any = None


@final
@attrs.frozen(kw_only=True)
class ServerMessage:
    """``server-message``: app-defined; ``data`` is the whole payload (left out if None)."""

    TYPE: ClassVar[str] = "server-message"
    DATA_MODE: ClassVar[DataMode] = RAW
    data: Any = None


@final
@attrs.frozen(kw_only=True)
class UserStartedSpeaking:
    """``user-started-speaking``: the turn strategy decided the user started a turn."""

    TYPE: ClassVar[str] = "user-started-speaking"
    DATA_MODE: ClassVar[DataMode] = OMIT


@final
@attrs.frozen(kw_only=True)
class UserStoppedSpeaking:
    """``user-stopped-speaking``: the user's turn ended."""

    TYPE: ClassVar[str] = "user-stopped-speaking"
    DATA_MODE: ClassVar[DataMode] = OMIT


@final
@attrs.frozen(kw_only=True)
class VadUserStartedSpeaking:
    """``vad-user-started-speaking``: raw VAD onset (off by default in Pipecat)."""

    TYPE: ClassVar[str] = "vad-user-started-speaking"
    DATA_MODE: ClassVar[DataMode] = OMIT


@final
@attrs.frozen(kw_only=True)
class VadUserStoppedSpeaking:
    """``vad-user-stopped-speaking``: raw VAD offset (off by default in Pipecat)."""

    TYPE: ClassVar[str] = "vad-user-stopped-speaking"
    DATA_MODE: ClassVar[DataMode] = OMIT


@final
@attrs.frozen(kw_only=True)
class UserMuteStarted:
    """``user-mute-started``: the server started ignoring user audio."""

    TYPE: ClassVar[str] = "user-mute-started"
    DATA_MODE: ClassVar[DataMode] = OMIT


@final
@attrs.frozen(kw_only=True)
class UserMuteStopped:
    """``user-mute-stopped``: the server listens to user audio again."""

    TYPE: ClassVar[str] = "user-mute-stopped"
    DATA_MODE: ClassVar[DataMode] = OMIT


@final
@attrs.frozen(kw_only=True)
class BotStartedSpeaking:
    """``bot-started-speaking``: bot audio started *playing*."""

    TYPE: ClassVar[str] = "bot-started-speaking"
    DATA_MODE: ClassVar[DataMode] = OMIT


@final
@attrs.frozen(kw_only=True)
class BotStoppedSpeaking:
    """``bot-stopped-speaking``: bot audio stopped playing."""

    TYPE: ClassVar[str] = "bot-stopped-speaking"
    DATA_MODE: ClassVar[DataMode] = OMIT


@final
@attrs.frozen(kw_only=True)
class BotInterrupted:
    """``bot-interrupted``: the bot was interrupted (client-js ignores it)."""

    TYPE: ClassVar[str] = "bot-interrupted"
    DATA_MODE: ClassVar[DataMode] = OMIT


@final
@attrs.frozen(kw_only=True)
class BotLlmStarted:
    """``bot-llm-started``: an LLM response started."""

    TYPE: ClassVar[str] = "bot-llm-started"
    DATA_MODE: ClassVar[DataMode] = OMIT


@final
@attrs.frozen(kw_only=True)
class BotLlmStopped:
    """``bot-llm-stopped``: the LLM response ended."""

    TYPE: ClassVar[str] = "bot-llm-stopped"
    DATA_MODE: ClassVar[DataMode] = OMIT


@final
@attrs.frozen(kw_only=True)
class BotTtsStarted:
    """``bot-tts-started``: speech synthesis started."""

    TYPE: ClassVar[str] = "bot-tts-started"
    DATA_MODE: ClassVar[DataMode] = OMIT


@final
@attrs.frozen(kw_only=True)
class BotTtsStopped:
    """``bot-tts-stopped``: speech synthesis stopped."""

    TYPE: ClassVar[str] = "bot-tts-stopped"
    DATA_MODE: ClassVar[DataMode] = OMIT


@final
@attrs.frozen(kw_only=True)
class UserAudioLevel:
    """``user-audio-level``: loudness 0..1 (off by default)."""

    TYPE: ClassVar[str] = "user-audio-level"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    value: float


@final
@attrs.frozen(kw_only=True)
class BotAudioLevel:
    """``bot-audio-level``: loudness 0..1 (off by default)."""

    TYPE: ClassVar[str] = "bot-audio-level"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    value: float


@final
@attrs.frozen(kw_only=True)
class SystemLog:
    """``system-log``: one server log line (off by default; a privacy risk)."""

    TYPE: ClassVar[str] = "system-log"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    text: str


@final
@attrs.frozen(kw_only=True)
class BotTtsAudio:
    """``bot-tts-audio``: base64 audio; Pipecat keeps the model but never sends it."""

    TYPE: ClassVar[str] = "bot-tts-audio"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    audio: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    sample_rate: int
    num_channels: int


@final
@attrs.frozen(kw_only=True)
class SearchResult:
    """One grounding result of ``bot-llm-search-response``."""

    text: str
    confidence: tuple[float, ...] = ()


@final
@attrs.frozen(kw_only=True)
class SearchOrigin:
    """One grounding origin of ``bot-llm-search-response``."""

    site_uri: str | None = None
    site_title: str | None = None
    results: tuple[SearchResult, ...] = ()


@final
@attrs.frozen(kw_only=True)
class BotLlmSearchResponse:
    """``bot-llm-search-response`` (Google search grounding)."""

    TYPE: ClassVar[str] = "bot-llm-search-response"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    search_result: str | None = None
    rendered_content: str | None = None
    origins: tuple[SearchOrigin, ...] = ()
