"""Offline speech engines: VAD, speech-to-text, text-to-speech and the DSP around them.

Importing this package is cheap and needs no optional package: numpy, soxr, onnxruntime,
faster-whisper, piper and eSpeak are imported only when an engine is built or first used. The
engines need the ``local`` extra (VAD, STT, resampling) and the GPL ``local-tts`` extra (TTS); a
missing one raises :class:`EngineUnavailable` with the install command.

Pure parts with no trio and no clock: :mod:`~actors.engines.audio`, :mod:`~actors.engines.vad`,
:mod:`~actors.engines.vad_detector`, :mod:`~actors.engines.text`. The engines' ``*_async``
methods run blocking work in worker threads under per-engine, process-wide capacity limiters.
"""

from ._errors import EngineUnavailable, ModelIntegrityError
from .audio import (
    Resampler,
    duration_seconds,
    float32_to_pcm16,
    pcm16_to_float32,
    pcm16_to_samples,
    resample,
    rms,
    rms_dbfs,
    samples_to_pcm16,
    silence,
    tone,
)
from .models import (
    PIPER_JOE_ONNX,
    SILERO_VAD_ONNX,
    WHISPER_TINY_EN_BIN,
    ModelFile,
    sha256_file,
    verify_sha256,
)
from .stt import SttResult, WhisperConfig, WhisperStt, whisper_limiter
from .text import SentenceSplitter, SplitterConfig
from .tts import (
    EspeakConfig,
    EspeakTts,
    PiperConfig,
    PiperTts,
    TtsEngine,
    espeak_limiter,
    piper_limiter,
)
from .vad import EnergyVad, SileroVad, VadEngine
from .vad_detector import (
    SpeechStarted,
    SpeechStopped,
    VadDetector,
    VadDetectorStats,
    VadEvent,
    VadFrame,
    VadParams,
    VadState,
)

__all__ = [
    "PIPER_JOE_ONNX",
    "SILERO_VAD_ONNX",
    "WHISPER_TINY_EN_BIN",
    "EnergyVad",
    "EngineUnavailable",
    "EspeakConfig",
    "EspeakTts",
    "ModelFile",
    "ModelIntegrityError",
    "PiperConfig",
    "PiperTts",
    "Resampler",
    "SentenceSplitter",
    "SileroVad",
    "SpeechStarted",
    "SpeechStopped",
    "SplitterConfig",
    "SttResult",
    "TtsEngine",
    "VadDetector",
    "VadDetectorStats",
    "VadEngine",
    "VadEvent",
    "VadFrame",
    "VadParams",
    "VadState",
    "WhisperConfig",
    "WhisperStt",
    "duration_seconds",
    "espeak_limiter",
    "float32_to_pcm16",
    "pcm16_to_float32",
    "pcm16_to_samples",
    "piper_limiter",
    "resample",
    "rms",
    "rms_dbfs",
    "samples_to_pcm16",
    "sha256_file",
    "silence",
    "tone",
    "verify_sha256",
    "whisper_limiter",
]
