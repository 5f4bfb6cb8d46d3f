"""Messages and events of the voice pipeline (transport → VAD/STT → turn → LLM → TTS → sender).

Data messages flow along routed edges; events are published to subscribers (the observer and
the turn/context controller). Bot-side messages carry the ``epoch`` of their response.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, final

import attrs

from .messages import bot_side

__all__ = [
    "AudioLevel",
    "BotSegment",
    "BotSpoke",
    "ClientFunctionCall",
    "ClientRtvi",
    "FunctionCallCancelled",
    "FunctionCallFinished",
    "FunctionCallRequested",
    "FunctionCallResultIn",
    "Generate",
    "LlmDone",
    "LlmStarted",
    "LlmStopped",
    "LlmText",
    "LlmUsage",
    "ObserverConfigure",
    "PlayoutPause",
    "PlayoutResume",
    "RtviOut",
    "ServerEvent",
    "SpeechDone",
    "SttUsage",
    "Ttfa",
    "TtsStarted",
    "TtsStopped",
    "TtsText",
    "TtsUsage",
    "UserMuteStarted",
    "UserMuteStopped",
    "UserTurn",
    "VadStarted",
    "VadStopped",
]


# --- transport <-> RTVI ------------------------------------------------------------------------


@final
@attrs.frozen(kw_only=True)
class ClientRtvi:
    """One RTVI JSON message as received from the client (decoded by the RTVI actor)."""

    data: str = attrs.field(repr=lambda s: s if len(s) < 200 else f"<{len(s)} chars>")


@final
@attrs.frozen(kw_only=True)
class RtviOut:
    """A server→client RTVI envelope (a JSON-ready dict), sent at once, never behind audio."""

    envelope: Mapping[str, Any]


# --- user turn ---------------------------------------------------------------------------------


@final
@attrs.frozen(kw_only=True)
class VadStarted:
    """Raw voice activity began (before any turn logic)."""

    at: float


@final
@attrs.frozen(kw_only=True)
class VadStopped:
    """Raw voice activity ended (before any turn logic)."""

    at: float


@final
@attrs.frozen(kw_only=True)
class UserTurn:
    """The user's turn as it goes to the LLM (RTVI ``user-llm-text``)."""

    text: str
    at: float


@final
@attrs.frozen(kw_only=True)
class UserMuteStarted:
    """Event: the user's speech is being ignored from now on (a mute strategy)."""

    at: float


@final
@attrs.frozen(kw_only=True)
class UserMuteStopped:
    """Event: the user's speech counts again."""

    at: float


@final
@attrs.frozen(kw_only=True)
class PlayoutPause:
    """Event: hold the bot's audio (a possible barge-in is being checked)."""

    epoch: int
    at: float


@final
@attrs.frozen(kw_only=True)
class PlayoutResume:
    """Event: release held bot audio (it was a false interruption)."""

    epoch: int
    at: float


# --- bot side: LLM -----------------------------------------------------------------------------


@final
@bot_side
@attrs.frozen(kw_only=True)
class Generate:
    """Run the LLM for response ``epoch`` on ``messages`` (OpenAI chat format)."""

    epoch: int
    messages: tuple[Mapping[str, Any], ...]
    tools: tuple[Mapping[str, Any], ...] = ()
    audio_response: bool = True


@final
@bot_side
@attrs.frozen(kw_only=True)
class LlmText:
    """A streamed piece of the LLM's reply for response ``epoch``; ``speak`` is False for
    text-only replies (``audio_response: false``)."""

    epoch: int
    text: str
    speak: bool = True


@final
@bot_side
@attrs.frozen(kw_only=True)
class LlmDone:
    """The LLM finished response ``epoch``; ``speak`` is False for text-only replies."""

    epoch: int
    speak: bool = True


@final
@attrs.frozen(kw_only=True)
class LlmStarted:
    """Event: the LLM began response ``epoch``."""

    epoch: int
    at: float


@final
@attrs.frozen(kw_only=True)
class LlmStopped:
    """Event: the LLM ended response ``epoch`` with ``text`` (the whole generated text)."""

    epoch: int
    text: str
    at: float
    interrupted: bool = False


@final
@attrs.frozen(kw_only=True)
class FunctionCallRequested:
    """Event: the LLM asked for a tool call in response ``epoch``."""

    epoch: int
    call_id: str
    name: str
    arguments: Mapping[str, Any]


@final
@attrs.frozen(kw_only=True)
class FunctionCallFinished:
    """Event: a tool call got its result."""

    epoch: int
    call_id: str
    name: str
    result: Any


@final
@attrs.frozen(kw_only=True)
class FunctionCallCancelled:
    """Event: a tool call was cancelled (interruption or timeout)."""

    epoch: int
    call_id: str
    name: str
    reason: str


@final
@attrs.frozen(kw_only=True)
class ClientFunctionCall:
    """Event: a tool call the client must execute (its result comes back as
    ``FunctionCallResultIn``). Legacy 0.x clients are sent ``llm-function-call`` for it."""

    epoch: int
    call_id: str
    name: str
    arguments: Mapping[str, Any]


@final
@attrs.frozen(kw_only=True)
class FunctionCallResultIn:
    """A client-executed tool's result (``llm-function-call-result``); never stale."""

    call_id: str
    name: str
    result: Any


# --- bot side: TTS and playout -----------------------------------------------------------------


@final
@bot_side
@attrs.frozen(kw_only=True)
class TtsText:
    """A segment of text for TTS in response ``epoch`` (a sentence or clause)."""

    epoch: int
    text: str
    segment_id: str
    speak: bool = True


@final
@bot_side
@attrs.frozen(kw_only=True)
class SpeechDone:
    """No more audio will follow for response ``epoch``."""

    epoch: int


@final
@attrs.frozen(kw_only=True)
class TtsStarted:
    """Event: TTS began producing audio for response ``epoch``."""

    epoch: int
    at: float


@final
@attrs.frozen(kw_only=True)
class TtsStopped:
    """Event: TTS finished response ``epoch``."""

    epoch: int
    at: float


@final
@attrs.frozen(kw_only=True)
class BotSegment:
    """Event, timed to playout: progress of one text segment of response ``epoch``.

    ``status`` is ``"new"`` (its audio starts playing), ``"completed"`` (played to its end) or
    ``"unspoken"`` (text shown but never voiced).
    """

    epoch: int
    segment_id: str
    text: str
    status: str
    at: float
    text_type: str = "sentence"


@final
@attrs.frozen(kw_only=True)
class BotSpoke:
    """Event: what the user actually heard of response ``epoch``.

    ``complete`` is False when the reply was cut; ``text`` is then the heard prefix.
    """

    epoch: int
    text: str
    complete: bool
    at: float


# --- observability -----------------------------------------------------------------------------


@final
@attrs.frozen(kw_only=True)
class AudioLevel:
    """Event: the loudness (0..1) of the user's (``source="user"``) or bot's audio."""

    source: str
    level: float
    at: float


@final
@attrs.frozen(kw_only=True)
class LlmUsage:
    """Event: tokens used by one LLM response."""

    processor: str
    model: str | None
    prompt_tokens: int
    completion_tokens: int
    at: float


@final
@attrs.frozen(kw_only=True)
class TtsUsage:
    """Event: characters synthesized by one TTS request."""

    processor: str
    model: str | None
    characters: int
    at: float


@final
@attrs.frozen(kw_only=True)
class SttUsage:
    """Event: seconds of audio transcribed by one STT request."""

    processor: str
    model: str | None
    seconds: float
    at: float


@final
@attrs.frozen(kw_only=True)
class Ttfa:
    """Event: time to first audio. For ``processor="turn"`` it is the end of the user's speech
    → the first bot audio playing (``ttfb``: end of speech → the reply being requested)."""

    processor: str
    model: str | None
    ttfa: float
    ttfb: float
    leading_silence: float
    at: float


@final
@attrs.frozen(kw_only=True)
class ServerEvent:
    """A server→client RTVI message object (from :mod:`rtvi_actors.protocol`) produced by the
    observer, for the RTVI actor to gate by client version and send."""

    message: Any


@final
@attrs.frozen(kw_only=True)
class ObserverConfigure:
    """Event: change observer parameters at run time (server side only); ``changes`` maps
    parameter names to new values."""

    changes: Mapping[str, Any]
