"""The pure barge-in policy, with time passed in."""

from __future__ import annotations

import pytest

from actors.turn_policy import Barge, BargeIn, TurnPolicy


def test_default_voice_activity_interrupts_at_once() -> None:
    b = BargeIn(TurnPolicy())
    assert b.speech_started(1.0, bot_busy=True) is Barge.INTERRUPT
    assert b.speech_started(2.0, bot_busy=False) is Barge.NOTHING


def test_interruptions_can_be_disallowed() -> None:
    b = BargeIn(TurnPolicy(allow_interruptions=False))
    assert b.speech_started(1.0, bot_busy=True) is Barge.NOTHING
    assert b.words(9, 1.5, bot_busy=True) is Barge.NOTHING


def test_min_duration_waits_for_the_deadline() -> None:
    b = BargeIn(TurnPolicy(min_duration=0.4))
    assert b.speech_started(1.0, bot_busy=True) is Barge.NOTHING
    assert b.deadline() == pytest.approx(1.4)
    assert b.tick(1.4, bot_busy=True) is Barge.INTERRUPT
    # speech that stops before the deadline never interrupts
    b = BargeIn(TurnPolicy(min_duration=0.4))
    b.speech_started(1.0, bot_busy=True)
    b.speech_stopped(1.2)
    assert b.deadline() is None
    assert b.tick(1.4, bot_busy=True) is Barge.NOTHING


def test_min_words() -> None:
    b = BargeIn(TurnPolicy(min_words=3))
    assert b.speech_started(1.0, bot_busy=True) is Barge.NOTHING
    assert b.words(2, 1.5, bot_busy=True) is Barge.NOTHING
    assert b.words(3, 1.6, bot_busy=True) is Barge.INTERRUPT


def test_transcription_start_ignores_voice_activity() -> None:
    b = BargeIn(TurnPolicy(start="transcription"))
    assert b.speech_started(1.0, bot_busy=True) is Barge.NOTHING
    assert b.words(1, 1.5, bot_busy=True) is Barge.INTERRUPT


def test_false_interruption_pauses_then_resumes() -> None:
    b = BargeIn(TurnPolicy(false_interruption_timeout=1.0))
    assert b.speech_started(1.0, bot_busy=True) is Barge.PAUSE
    assert b.paused
    assert b.deadline() == pytest.approx(2.0)
    assert b.tick(2.0, bot_busy=True) is Barge.RESUME
    assert not b.paused


def test_false_interruption_becomes_real_with_words() -> None:
    b = BargeIn(TurnPolicy(false_interruption_timeout=1.0))
    assert b.speech_started(1.0, bot_busy=True) is Barge.PAUSE
    assert b.words(1, 1.5, bot_busy=True) is Barge.INTERRUPT
    assert not b.paused


def test_too_few_words_still_resume() -> None:
    b = BargeIn(TurnPolicy(false_interruption_timeout=1.0, min_words=3))
    assert b.speech_started(1.0, bot_busy=True) is Barge.PAUSE
    assert b.words(1, 1.2, bot_busy=True) is Barge.NOTHING
    assert b.tick(2.0, bot_busy=True) is Barge.RESUME


def test_unknown_mute_strategy_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown mute"):
        TurnPolicy(mute=("sometimes",))
