"""Turn-taking policy, pure: when a barge-in interrupts the bot, when to pause instead, and when
the user is muted. Time is passed in; nothing here awaits or reads a clock.
"""

from __future__ import annotations

import enum
from typing import Final, final

import attrs

__all__ = ["MUTE_STRATEGIES", "Barge", "BargeIn", "TurnPolicy"]

MUTE_STRATEGIES: Final = ("first_speech", "bot_speaking", "function_call")


@final
@attrs.frozen(kw_only=True)
class TurnPolicy:
    """Turn-taking rules.

    Args:
        allow_interruptions: the user may barge in at all.
        min_words: a barge-in needs at least this many transcribed words.
        min_duration: a barge-in needs the user's speech to last this long (seconds).
        false_interruption_timeout: instead of cutting the bot at once, pause its audio; if no
            words are transcribed within this many seconds, resume it (``None``: cut at once).
        start: what may start a barge-in: ``"vad"`` (voice activity) or ``"transcription"``
            (transcribed words only; voice activity alone never interrupts).
        stop: when the user's turn ends: ``"vad"`` (voice activity stopped — after the VAD's
            silence timeout — and a final transcript is in) or ``"transcription"`` (every final
            transcript ends a turn, for streaming STT with its own endpointing).
        mute: user-mute strategies: ``"first_speech"`` (until the bot's first reply has
            played), ``"bot_speaking"`` (whenever the bot speaks), ``"function_call"`` (while a
            function call runs). A muted user's speech is ignored.
        idle_timeout: after the bot finished and the user said nothing for this long, prompt
            the LLM to re-engage (``None``: never).
        idle_prompts: at most this many re-prompts in a row.
        idle_message: the system message added for a re-prompt.
    """

    allow_interruptions: bool = True
    min_words: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    min_duration: float = attrs.field(default=0.0, validator=attrs.validators.ge(0))
    false_interruption_timeout: float | None = None
    start: str = attrs.field(
        default="vad", validator=attrs.validators.in_(("vad", "transcription"))
    )
    stop: str = attrs.field(default="vad", validator=attrs.validators.in_(("vad", "transcription")))
    mute: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    idle_timeout: float | None = None
    idle_prompts: int = 2
    idle_message: str = (
        "The user has been quiet for a while. In one short sentence, ask whether they are "
        "still there."
    )

    @mute.validator
    def _check_mute(self, _attr: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]) -> None:
        bad = [m for m in value if m not in MUTE_STRATEGIES]
        if bad:
            raise ValueError(f"unknown mute strategies {bad}; known: {MUTE_STRATEGIES}")


class Barge(enum.Enum):
    """What the turn stage should do about the user's speech while the bot is busy."""

    NOTHING = "nothing"
    INTERRUPT = "interrupt"
    PAUSE = "pause"
    RESUME = "resume"


class BargeIn:
    """The barge-in state machine of one session (pure; times are passed in).

    Feed it :meth:`speech_started`, :meth:`words`, :meth:`speech_stopped` and, at the time
    :meth:`deadline` names, :meth:`tick`. Each returns what to do.
    """

    def __init__(self, policy: TurnPolicy) -> None:
        self.policy = policy
        self._speech_since: float | None = None
        self._paused_since: float | None = None
        self._words = 0

    @property
    def paused(self) -> bool:
        """The bot's audio is paused, waiting to see whether the barge-in is real."""
        return self._paused_since is not None

    def reset(self) -> None:
        """Forget the pending barge-in (the bot is idle again, or it was interrupted)."""
        self._speech_since = self._paused_since = None
        self._words = 0

    def speech_started(self, now: float, bot_busy: bool) -> Barge:
        """Voice activity started at ``now``."""
        self._speech_since = now
        self._words = 0
        if not bot_busy or not self.policy.allow_interruptions:
            return Barge.NOTHING
        if self.policy.start == "transcription":
            return Barge.NOTHING  # only words may interrupt
        return self._decide(now)

    def words(self, count: int, now: float, bot_busy: bool) -> Barge:
        """``count`` words of the user's current speech have been transcribed by ``now``."""
        self._words = max(self._words, count)
        if not bot_busy or not self.policy.allow_interruptions:
            return Barge.NOTHING
        if self._speech_since is None:
            self._speech_since = now
        return self._decide(now)

    def speech_stopped(self, now: float) -> Barge:
        """Voice activity stopped at ``now``."""
        self._speech_since = None
        return Barge.NOTHING

    def deadline(self) -> float | None:
        """When :meth:`tick` must be called next, if at all."""
        times = []
        if self._speech_since is not None and self.policy.min_duration:
            times.append(self._speech_since + self.policy.min_duration)
        if self._paused_since is not None and self.policy.false_interruption_timeout is not None:
            times.append(self._paused_since + self.policy.false_interruption_timeout)
        return min(times) if times else None

    def tick(self, now: float, bot_busy: bool) -> Barge:
        """Time passed: the speech may now be long enough, or the pause has run out."""
        if self._paused_since is not None:
            timeout = self.policy.false_interruption_timeout or 0.0
            if now >= self._paused_since + timeout and (
                self._words == 0 or self._words < self.policy.min_words
            ):
                self.reset()
                return Barge.RESUME  # a false interruption: nothing (enough) was said
        if not bot_busy or not self.policy.allow_interruptions:
            return Barge.NOTHING
        return self._decide(now)

    def _decide(self, now: float) -> Barge:
        p = self.policy
        if p.start == "transcription" and not self._words:
            return Barge.NOTHING
        long_enough = (
            self._speech_since is not None and now - self._speech_since >= p.min_duration - 1e-9
        ) or (self._speech_since is None and not p.min_duration)
        enough_words = self._words >= p.min_words
        if p.false_interruption_timeout is not None:
            if self._words and enough_words:
                self.reset()
                return Barge.INTERRUPT
            if long_enough and self._paused_since is None:
                self._paused_since = now
                return Barge.PAUSE
            return Barge.NOTHING
        if long_enough and enough_words:
            self.reset()
            return Barge.INTERRUPT
        return Barge.NOTHING
