"""PCM16 helpers: conversions, levels, tones and soxr resampling."""

from __future__ import annotations

import math
import sys
from array import array

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.engines import (
    duration_seconds,
    pcm16_to_samples,
    rms,
    rms_dbfs,
    samples_to_pcm16,
    silence,
    tone,
)
from actors.engines.audio import SILENCE_DBFS


@given(st.lists(st.integers(-32768, 32767), max_size=200))
def test_samples_round_trip(values: list[int]) -> None:
    pcm = samples_to_pcm16(array("h", values))
    assert len(pcm) == 2 * len(values)
    assert list(pcm16_to_samples(pcm)) == values


def test_pcm16_is_little_endian() -> None:
    assert samples_to_pcm16(array("h", [1, -2])) == b"\x01\x00\xfe\xff"


def test_odd_byte_count_is_rejected() -> None:
    with pytest.raises(ValueError, match="even number"):
        pcm16_to_samples(b"\x00\x00\x00")


def test_tone_length_level_and_determinism() -> None:
    pcm = tone(0.5, 16000, 440.0, amplitude=0.5)
    assert len(pcm) == 2 * 8000
    assert duration_seconds(pcm, 16000) == 0.5
    assert rms(pcm) == pytest.approx(0.5 / math.sqrt(2), rel=1e-3)
    assert rms_dbfs(pcm) == pytest.approx(20 * math.log10(0.5 / math.sqrt(2)), abs=0.05)
    assert tone(0.5, 16000, 440.0, amplitude=0.5) == pcm


def test_silence_level() -> None:
    assert rms(b"") == 0.0
    assert rms_dbfs(silence(0.1)) == SILENCE_DBFS
    assert len(silence(0.02, 8000)) == 320


def test_float_conversions() -> None:
    np = pytest.importorskip("numpy")
    from actors.engines import float32_to_pcm16, pcm16_to_float32

    pcm = samples_to_pcm16(array("h", [0, 16384, -32768, 32767]))
    f = pcm16_to_float32(pcm)
    assert f.dtype == np.float32
    assert list(f[:3]) == [0.0, 0.5, -1.0]
    assert float32_to_pcm16(np.array([0.0, 0.5, 2.0, -2.0])) == samples_to_pcm16(
        array("h", [0, 16384, 32767, -32767])
    )


def _peak_freq(pcm: bytes, rate: int) -> float:
    np = pytest.importorskip("numpy")
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x))


def test_resample_keeps_duration_and_pitch() -> None:
    pytest.importorskip("soxr")
    from actors.engines import resample

    src = tone(1.0, 22050, 440.0)
    out = resample(src, 22050, 16000)
    assert abs(len(out) // 2 - 16000) <= 2
    assert _peak_freq(out, 16000) == pytest.approx(440.0, abs=3.0)
    assert resample(src, 22050, 22050) is src


def test_streaming_resampler_matches_one_shot() -> None:
    pytest.importorskip("soxr")
    np = pytest.importorskip("numpy")
    from actors.engines import Resampler, resample

    src = tone(1.0, 22050, 300.0)
    r = Resampler(22050, 16000)
    step = 2 * 441  # 20 ms chunks
    out = b"".join(r.process(src[i : i + step]) for i in range(0, len(src), step)) + r.flush()
    assert abs(len(out) // 2 - 16000) <= 2
    ref = np.frombuffer(resample(src, 22050, 16000), dtype="<i2").astype(float)
    got = np.frombuffer(out, dtype="<i2").astype(float)
    n = min(len(ref), len(got))
    assert np.corrcoef(ref[:n], got[:n])[0, 1] > 0.99
    # After flush the resampler is ready for a new stream.
    again = r.process(src) + r.flush()
    assert abs(len(again) // 2 - 16000) <= 2


def test_resampler_same_rate_passes_through() -> None:
    pytest.importorskip("soxr")
    from actors.engines import Resampler

    r = Resampler(16000, 16000)
    assert r.process(b"\x01\x00") == b"\x01\x00"
    assert r.flush() == b""
    with pytest.raises(ValueError, match="even number"):
        r.process(b"\x00")


def test_rms_is_the_exact_root_mean_square() -> None:
    import random

    rng = random.Random(7)
    for n in (1, 2, 320, 4801):
        samples = [rng.randint(-32768, 32767) for _ in range(n)]
        pcm = b"".join(s.to_bytes(2, "little", signed=True) for s in samples)
        exact = math.sqrt(sum(s * s for s in samples) / n) / 32768.0
        assert rms(pcm) == exact
    assert rms(b"\x00\x80" * 10) == 1.0  # full-scale negative
    with pytest.raises(ValueError):
        rms(b"\x00")


def test_rms_without_numpy_gives_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    pcm = tone(0.05, freq=300.0, amplitude=0.7) + bytes([0x00, 0x80]) * 7
    with_numpy = rms(pcm)
    from actors.engines import audio

    monkeypatch.setitem(sys.modules, "numpy", None)  # import numpy now fails
    audio._numpy_if_installed.cache_clear()
    try:
        assert rms(pcm) == with_numpy
    finally:
        audio._numpy_if_installed.cache_clear()
