"""The VAD detector's hysteresis, timeline and buffering, driven by the deterministic EnergyVad."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.engines import (
    EnergyVad,
    SpeechStarted,
    SpeechStopped,
    VadDetector,
    VadEngine,
    VadFrame,
    VadParams,
    VadState,
    silence,
    tone,
)

RATE = 16000


def speech_events(events: list) -> list:
    return [e for e in events if not isinstance(e, VadFrame)]


def burst_audio() -> bytes:
    """1 s silence, 1 s tone, 1 s silence."""
    return silence(1.0) + tone(1.0) + silence(1.0)


def test_energy_vad_is_a_vad_engine() -> None:
    vad = EnergyVad()
    assert isinstance(vad, VadEngine)
    assert (vad.sample_rate, vad.frame_samples) == (16000, 320)
    assert vad.speech_probability(tone(0.02)) == 1.0
    assert vad.speech_probability(silence(0.02)) == 0.0
    assert vad.speech_probability(tone(0.02, amplitude=0.001)) == 0.0  # about -63 dBFS
    with pytest.raises(ValueError, match="320 samples"):
        vad.speech_probability(silence(0.01))


def test_tone_burst_gives_one_start_and_one_stop_at_exact_stream_times() -> None:
    det = VadDetector(EnergyVad())
    events = det.feed(burst_audio())
    assert events == [
        SpeechStarted(at=1.0, detected_at=pytest.approx(1.2)),
        SpeechStopped(at=2.0, detected_at=pytest.approx(2.8)),
    ]
    assert det.state is VadState.QUIET
    stats = det.statistics()
    assert (stats.frames, stats.speech_frames, stats.buffered_samples) == (150, 50, 0)


def test_short_blips_and_short_gaps_are_ignored() -> None:
    det = VadDetector(EnergyVad(), VadParams(start_secs=0.2, stop_secs=0.3))
    audio = (
        silence(0.5)
        + tone(0.1)  # too short to start
        + silence(0.5)
        + tone(0.5)  # starts at 1.1
        + silence(0.2)  # too short to stop
        + tone(0.5)
        + silence(0.5)  # stops at 2.3
    )
    assert det.feed(audio) == [
        SpeechStarted(at=pytest.approx(1.1), detected_at=pytest.approx(1.3)),
        SpeechStopped(at=pytest.approx(2.3), detected_at=pytest.approx(2.6)),
    ]


def test_quiet_speech_below_min_volume_is_not_speech() -> None:
    engine = EnergyVad(threshold_dbfs=-80.0)
    loud_only = VadDetector(engine, VadParams(min_volume=-30.0))
    assert loud_only.feed(silence(0.2) + tone(1.0, amplitude=0.01) + silence(1.0)) == []
    assert speech_events(VadDetector(engine).feed(tone(1.0, amplitude=0.01))) != []


@settings(max_examples=50, deadline=None)
@given(sizes=st.lists(st.integers(1, 3000), min_size=1, max_size=40))
def test_events_do_not_depend_on_chunk_sizes(sizes: list[int]) -> None:
    audio = burst_audio()
    reference = VadDetector(EnergyVad()).feed(audio)
    det = VadDetector(EnergyVad())
    events, pos, i = [], 0, 0
    while pos < len(audio):
        n = 2 * sizes[i % len(sizes)]
        events += det.feed(audio[pos : pos + n])
        pos, i = pos + n, i + 1
    assert events == reference


def test_explicit_stream_time_re_anchors_the_timeline() -> None:
    det = VadDetector(EnergyVad(), VadParams(start_secs=0.02, stop_secs=0.02))
    assert det.feed(silence(0.01)) == []  # half a frame stays buffered
    # The next chunk starts at t = 10.0, so the buffered half frame began at 9.99.
    events = det.feed(silence(0.01) + tone(0.1) + silence(0.04), at=10.0)
    assert events == [
        SpeechStarted(at=pytest.approx(10.01), detected_at=pytest.approx(10.03)),
        SpeechStopped(at=pytest.approx(10.11), detected_at=pytest.approx(10.13)),
    ]
    assert det.time() == pytest.approx(10.15)


def test_emit_frames_reports_every_frame_in_order() -> None:
    det = VadDetector(EnergyVad(), VadParams(start_secs=0.04, stop_secs=0.04), emit_frames=True)
    events = det.feed(tone(0.06) + silence(0.06))
    frames = [e for e in events if isinstance(e, VadFrame)]
    assert [f.at for f in frames] == pytest.approx([0.0, 0.02, 0.04, 0.06, 0.08, 0.1])
    assert [f.speech for f in frames] == [True, True, True, False, False, False]
    assert [f.state for f in frames] == [
        VadState.STARTING,
        VadState.SPEAKING,
        VadState.SPEAKING,
        VadState.STOPPING,
        VadState.QUIET,
        VadState.QUIET,
    ]
    # The start event comes right before the frame that confirmed it.
    assert isinstance(events[1], SpeechStarted)
    assert events[2] is frames[1]


def test_end_of_stream_closes_ongoing_speech_and_resets() -> None:
    det = VadDetector(EnergyVad())
    assert speech_events(det.feed(tone(1.0))) == [
        SpeechStarted(at=0.0, detected_at=pytest.approx(0.2))
    ]
    assert det.speaking
    assert det.end_of_stream() == [SpeechStopped(at=1.0, detected_at=1.0)]
    assert det.state is VadState.QUIET
    assert det.time() == 0.0
    assert det.end_of_stream() == []


def test_end_of_stream_while_stopping_uses_the_silence_start() -> None:
    det = VadDetector(EnergyVad())
    det.feed(tone(1.0) + silence(0.3))
    assert det.state is VadState.STOPPING
    assert det.end_of_stream() == [SpeechStopped(at=1.0, detected_at=pytest.approx(1.3))]


def test_odd_chunks_are_rejected() -> None:
    with pytest.raises(ValueError, match="even number"):
        VadDetector(EnergyVad()).feed(b"\x00")


@pytest.mark.parametrize(
    "kwargs",
    [{"confidence": 1.5}, {"start_secs": -1.0}, {"stop_secs": -0.1}, {"min_volume": 0.6}],
)
def test_params_are_validated(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        VadParams(**kwargs)


def test_energy_vad_other_rates_and_frames() -> None:
    vad = EnergyVad(sample_rate=8000, frame_samples=80, threshold_dbfs=-20.0)
    det = VadDetector(vad, VadParams(start_secs=0.0, stop_secs=0.0))
    events = det.feed(tone(0.05, 8000, amplitude=0.5) + silence(0.05, 8000))
    assert events == [
        SpeechStarted(at=0.0, detected_at=pytest.approx(0.01)),
        SpeechStopped(at=pytest.approx(0.05), detected_at=pytest.approx(0.06)),
    ]
    with pytest.raises(ValueError):
        EnergyVad(sample_rate=0)
