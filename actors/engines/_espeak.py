"""A minimal ctypes binding to the libespeak-ng shipped in the ``espeakng-loader`` wheel.

eSpeak NG keeps all of its state in process globals (one voice, one callback, one set of
parameters), so every call goes through :data:`LOCK`, and :func:`synthesize` applies the voice
and parameters again on each call. ``AUDIO_OUTPUT_SYNCHRONOUS`` makes ``espeak_Synth`` run the
synthesis on the calling thread and deliver audio through the callback before it returns.
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any

from ._errors import LOCAL_TTS_HINT, EngineUnavailable

__all__ = ["LOCK", "library", "synthesize"]

LOCK = threading.Lock()
"""Serialises every use of the global eSpeak state."""

# Values from espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE, _VOLUME, _PITCH = 1, 2, 3
_BUFFER_MS = 100

_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class _Espeak:
    """The loaded library, its sample rate and the current output sink (guarded by LOCK)."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as exc:
            raise EngineUnavailable("espeak", LOCAL_TTS_HINT, missing="espeakng_loader") from exc
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,  # text
            ctypes.c_size_t,  # size
            ctypes.c_uint,  # position
            ctypes.c_int,  # position type
            ctypes.c_uint,  # end position
            ctypes.c_uint,  # flags
            ctypes.c_void_p,  # unique identifier out
            ctypes.c_void_p,  # user data
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        data = espeakng_loader.get_data_path().encode()
        rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, data, _INITIALIZE_DONT_EXIT
        )
        if rate <= 0:
            raise RuntimeError(f"espeak_Initialize failed ({rate})")
        self.lib = lib
        self.sample_rate = rate
        self.sink: list[bytes] | None = None
        self.callback = _CALLBACK(self._on_audio)  # keep a reference: C holds only the pointer
        lib.espeak_SetSynthCallback(self.callback)

    def _on_audio(self, wav: Any, numsamples: int, _events: Any) -> int:
        if numsamples > 0 and wav and self.sink is not None:
            self.sink.append(ctypes.string_at(wav, numsamples * 2))
        return 0  # 0 = continue


_instance: _Espeak | None = None


def library() -> _Espeak:
    """The initialised library (initialised once per process; blocking, ~0.1 s).

    Raises:
        EngineUnavailable: espeakng-loader is not installed.
    """
    global _instance
    with LOCK:
        if _instance is None:
            _instance = _Espeak()
        return _instance


def synthesize(text: str, *, voice: str, rate_wpm: int, pitch: int, volume: int) -> list[bytes]:
    """Synthesize ``text`` to PCM16 chunks of ~100 ms at :attr:`library().sample_rate`.

    Blocking (fast: about 2 ms per second of speech). Holds :data:`LOCK` for the whole call.

    Raises:
        EngineUnavailable: espeakng-loader is not installed.
        ValueError: eSpeak does not know ``voice``.
        RuntimeError: eSpeak reports a synthesis error.
    """
    es = library()
    data = text.encode("utf-8") + b"\0"
    with LOCK:
        if es.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"unknown eSpeak voice {voice!r}")
        es.lib.espeak_SetParameter(_RATE, rate_wpm, 0)
        es.lib.espeak_SetParameter(_PITCH, pitch, 0)
        es.lib.espeak_SetParameter(_VOLUME, volume, 0)
        es.sink = chunks = []
        try:
            err = es.lib.espeak_Synth(
                data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
            )
        finally:
            es.sink = None
    if err != 0:
        raise RuntimeError(f"espeak_Synth failed ({err})")
    return chunks
