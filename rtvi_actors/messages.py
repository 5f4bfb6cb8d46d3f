"""The typed message catalogue shared by every stage.

Messages are immutable, keyword-only attrs classes. Two families matter to the runtime:

* **User-side** messages (microphone audio, transcripts, user text) have no ``epoch`` and are
  never stale: an interruption never discards what the user said.
* **Bot-side** messages (classes decorated with :func:`bot_side`) carry the ``epoch`` of the
  response they belong to. When the session's epoch moves on (an interruption), queued
  bot-side messages of older epochs are dropped, and counted, as they are dequeued.

Events are messages too; they are *published* (broadcast, never blocking) instead of routed.
An event may name an epoch (``BotStoppedSpeaking(epoch=...)``) but is never stale: it reports
what happened.
Times are ``trio.current_time()`` floats, so virtual time works everywhere.
"""

from __future__ import annotations

from typing import Any, TypeAlias, TypeVar, final

import attrs

__all__ = [
    "AudioIn",
    "AudioOut",
    "BotSide",
    "BotStartedSpeaking",
    "BotStoppedSpeaking",
    "Interrupted",
    "Metric",
    "StageFailed",
    "StageRestarted",
    "TextIn",
    "TextOut",
    "Transcript",
    "UserStartedSpeaking",
    "UserStoppedSpeaking",
    "UserText",
    "bot_side",
    "is_stale",
    "pcm_repr",
]


_T = TypeVar("_T", bound=type)


def bot_side(cls: _T) -> _T:
    """Mark a message class as bot-side: it has an ``epoch`` and goes stale on interruption."""
    if "epoch" not in attrs.fields_dict(cls):
        raise TypeError(f"bot-side message {cls.__name__} needs an epoch field")
    cls.__bot_side__ = True  # type: ignore[attr-defined]
    return cls


def pcm_repr(data: bytes) -> str:
    """Render a bulky byte payload as ``<N bytes>`` so reprs and logs stay small."""
    return f"<{len(data)} bytes>"


# --- user side: never stale -------------------------------------------------------------------


@final
@attrs.frozen(kw_only=True)
class AudioIn:
    """One chunk of user microphone audio, PCM16 little-endian, mono unless ``channels`` says."""

    pcm: bytes = attrs.field(repr=pcm_repr)
    sample_rate: int
    channels: int = 1


@final
@attrs.frozen(kw_only=True)
class Transcript:
    """Speech-to-text output for the user's speech; ``final`` is False for interim results."""

    text: str
    final: bool = True
    at: float = 0.0
    user_id: str = ""
    language: str | None = None


@final
@attrs.frozen(kw_only=True)
class UserText:
    """Text the user typed (RTVI ``send-text`` / ``send-file``) or a server-injected user turn.

    ``files`` holds OpenAI-style content parts (``image_url`` / ``file``) that go with the text.
    """

    text: str
    run_immediately: bool = True
    audio_response: bool = True
    files: tuple[Any, ...] = ()
    request_id: str | None = None


@final
@attrs.frozen(kw_only=True)
class TextIn:
    """A raw text payload received from a client (used by the echo bot and simple transports)."""

    text: str


# --- bot side: carries the epoch of its response ---------------------------------------------


@final
@bot_side
@attrs.frozen(kw_only=True)
class TextOut:
    """A text payload for the client, belonging to response ``epoch``."""

    epoch: int
    text: str


@final
@bot_side
@attrs.frozen(kw_only=True)
class AudioOut:
    """Synthesized speech for response ``epoch``; stale once the session epoch moves on.

    ``segment_id`` and ``text`` name the text segment (sentence) this chunk belongs to,
    ``spoken`` the words this very chunk voices (when the engine knows), and ``segment_end``
    marks the segment's last chunk, so the sink can time text events to playout and report
    what the user actually heard before a cut.
    """

    epoch: int
    pcm: bytes = attrs.field(repr=pcm_repr)
    sample_rate: int
    channels: int = 1
    segment_id: str = ""
    text: str = ""
    spoken: str = ""
    segment_end: bool = False


BotSide: TypeAlias = TextOut | AudioOut
"""The built-in bot-side messages of this module (the voice pipeline adds more)."""


# --- events: published to subscribers, never blocking ----------------------------------------


@final
@attrs.frozen(kw_only=True)
class UserStartedSpeaking:
    """Voice activity began (after the detector's start hysteresis)."""

    at: float


@final
@attrs.frozen(kw_only=True)
class UserStoppedSpeaking:
    """Voice activity ended (after the detector's stop hysteresis)."""

    at: float


@final
@attrs.frozen(kw_only=True)
class BotStartedSpeaking:
    """The first audio of response ``epoch`` left for the client."""

    epoch: int
    at: float


@final
@attrs.frozen(kw_only=True)
class BotStoppedSpeaking:
    """The last audio of response ``epoch`` was played out (or cut)."""

    epoch: int
    at: float


@final
@attrs.frozen(kw_only=True)
class Interrupted:
    """The session epoch moved to ``epoch``; everything of older epochs is now stale.

    Unlike bot-side messages this event is never stale itself: it *announces* the new epoch.
    """

    new_epoch: int
    reason: str
    at: float


@final
@attrs.frozen(kw_only=True)
class StageRestarted:
    """A supervised stage crashed and was restarted; the session goes on."""

    stage: str
    error: str
    at: float


@final
@attrs.frozen(kw_only=True)
class StageFailed:
    """A stage failed beyond its restart budget (``fatal``) or could not be restarted."""

    stage: str
    error: str
    fatal: bool
    at: float


@final
@attrs.frozen(kw_only=True)
class Metric:
    """One measurement (``ttfb``, ``processing``, ...) taken by ``processor`` at ``at``."""

    name: str
    processor: str
    value: float
    at: float
    model: str | None = None


def is_stale(msg: Any, epoch: int) -> bool:
    """Tell whether ``msg`` is a bot-side message of a response older than ``epoch``."""
    return getattr(msg, "__bot_side__", False) and msg.epoch < epoch
