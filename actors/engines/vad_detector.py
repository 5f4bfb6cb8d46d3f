"""The VAD detector: turns per-frame speech probabilities into speech start/stop events.

Pure and synchronous (no trio, no clock, stdlib only). It buffers PCM16 chunks of any size into
the engine's frames, scores each frame, and applies hysteresis: speech must last ``start_secs``
before :class:`SpeechStarted`, and silence ``stop_secs`` before :class:`SpeechStopped`. Times are
stream times, counted in samples (``samples / sample_rate``) from the first sample fed, or from an
explicit ``at`` passed with a chunk.
"""

from __future__ import annotations

import enum
import math
from typing import TypeAlias, final

import attrs

from .audio import rms_dbfs
from .vad import VadEngine

__all__ = [
    "SpeechStarted",
    "SpeechStopped",
    "VadDetector",
    "VadDetectorStats",
    "VadEvent",
    "VadFrame",
    "VadParams",
    "VadState",
]


def _non_positive(_inst: object, attr: attrs.Attribute[float], value: float) -> None:
    if value > 0.0:
        raise ValueError(f"{attr.name} is a level in dBFS and must be <= 0, got {value}")


@final
@attrs.frozen(kw_only=True)
class VadParams:
    """Detector thresholds.

    Attributes:
        confidence: A frame is speech when the engine's probability reaches this.
        start_secs: Speech must last this long before it counts as started.
        stop_secs: Silence must last this long before speech counts as stopped.
        min_volume: Frames quieter than this RMS level (dBFS, <= 0) are never speech.
    """

    confidence: float = attrs.field(
        default=0.7, validator=[attrs.validators.ge(0.0), attrs.validators.le(1.0)]
    )
    start_secs: float = attrs.field(default=0.2, validator=attrs.validators.ge(0.0))
    stop_secs: float = attrs.field(default=0.8, validator=attrs.validators.ge(0.0))
    min_volume: float = attrs.field(default=-60.0, validator=_non_positive)


class VadState(enum.Enum):
    """Where the hysteresis state machine is."""

    QUIET = "quiet"
    STARTING = "starting"
    SPEAKING = "speaking"
    STOPPING = "stopping"


@final
@attrs.frozen(kw_only=True)
class SpeechStarted:
    """The user started speaking.

    Attributes:
        at: Stream time (s) of the first frame of the speech.
        detected_at: Stream time (s) at the end of the frame that confirmed it.
    """

    at: float
    detected_at: float


@final
@attrs.frozen(kw_only=True)
class SpeechStopped:
    """The user stopped speaking.

    Attributes:
        at: Stream time (s) of the first silent frame after the speech.
        detected_at: Stream time (s) at the end of the frame that confirmed it.
    """

    at: float
    detected_at: float


@final
@attrs.frozen(kw_only=True)
class VadFrame:
    """The raw verdict on one engine frame (emitted only with ``emit_frames=True``).

    Attributes:
        at: Stream time (s) of the frame's first sample.
        probability: The engine's speech probability.
        volume_dbfs: The frame's RMS level.
        speech: Whether the frame counted as speech (confidence and volume both met).
        state: The detector state after this frame.
    """

    at: float
    probability: float
    volume_dbfs: float
    speech: bool
    state: VadState


VadEvent: TypeAlias = SpeechStarted | SpeechStopped | VadFrame


@final
@attrs.frozen(kw_only=True)
class VadDetectorStats:
    """Counters for one detector (see :meth:`VadDetector.statistics`)."""

    frames: int
    speech_frames: int
    buffered_samples: int
    state: VadState


class VadDetector:
    """Speech start/stop detection with hysteresis over any :class:`VadEngine`.

    Args:
        engine: Scores frames; owned by the caller, and :meth:`reset` resets it too.
        params: Thresholds; the defaults match Pipecat's.
        emit_frames: Also return a :class:`VadFrame` for every frame, in order with the events.
    """

    def __init__(
        self, engine: VadEngine, params: VadParams | None = None, *, emit_frames: bool = False
    ) -> None:
        self.engine = engine
        self.params = params or VadParams()
        self.emit_frames = emit_frames
        self._rate = engine.sample_rate
        self._frame_bytes = 2 * engine.frame_samples
        frame_secs = engine.frame_samples / self._rate
        self._start_frames = max(1, math.ceil(self.params.start_secs / frame_secs - 1e-9))
        self._stop_frames = max(1, math.ceil(self.params.stop_secs / frame_secs - 1e-9))
        self._reset_state()

    def _reset_state(self) -> None:
        self._buf = bytearray()
        self._state = VadState.QUIET
        self._run = 0  # consecutive frames supporting the pending transition
        self._candidate = 0.0  # stream time where the pending transition began
        self._consumed = 0  # samples scored so far
        self._anchor_time = 0.0
        self._anchor_sample = 0
        self._frames = 0
        self._speech_frames = 0

    @property
    def state(self) -> VadState:
        """The current state."""
        return self._state

    @property
    def speaking(self) -> bool:
        """True between :class:`SpeechStarted` and :class:`SpeechStopped`."""
        return self._state in (VadState.SPEAKING, VadState.STOPPING)

    def time(self) -> float:
        """Stream time (s) of the next sample to be scored."""
        return self._time_of(self._consumed)

    def _time_of(self, sample: int) -> float:
        return self._anchor_time + (sample - self._anchor_sample) / self._rate

    def feed(self, pcm16: bytes, *, at: float | None = None) -> list[VadEvent]:
        """Add a chunk of PCM16 at the engine's sample rate; score every complete frame.

        Args:
            pcm16: Any number of whole samples; a partial frame waits for the next chunk.
            at: Stream time of the chunk's first sample. Omit it for contiguous audio; pass it to
                re-anchor the timeline (for example after a gap).

        Returns:
            The events caused by this chunk, in stream order.

        Raises:
            ValueError: Odd number of bytes, or the engine rejects a frame.
        """
        if len(pcm16) % 2:
            raise ValueError(f"PCM16 needs an even number of bytes, got {len(pcm16)}")
        if at is not None:
            self._anchor_time = at
            self._anchor_sample = self._consumed + len(self._buf) // 2
        self._buf += pcm16
        events: list[VadEvent] = []
        step = self._frame_bytes
        offset = 0
        while len(self._buf) - offset >= step:
            self._score(bytes(self._buf[offset : offset + step]), events)
            offset += step
        del self._buf[:offset]
        return events

    def _score(self, frame: bytes, events: list[VadEvent]) -> None:
        start = self._time_of(self._consumed)
        self._consumed += len(frame) // 2
        end = self._time_of(self._consumed)
        probability = self.engine.speech_probability(frame)
        volume = rms_dbfs(frame)
        speech = probability >= self.params.confidence and volume >= self.params.min_volume
        self._frames += 1
        self._speech_frames += speech
        match self._state, speech:
            case VadState.QUIET, True:
                self._state, self._run, self._candidate = VadState.STARTING, 1, start
            case VadState.STARTING, True:
                self._run += 1
            case VadState.STARTING, False:
                self._state, self._run = VadState.QUIET, 0
            case VadState.SPEAKING, False:
                self._state, self._run, self._candidate = VadState.STOPPING, 1, start
            case VadState.STOPPING, False:
                self._run += 1
            case VadState.STOPPING, True:
                self._state, self._run = VadState.SPEAKING, 0
            case _:
                pass
        if self._state is VadState.STARTING and self._run >= self._start_frames:
            self._state, self._run = VadState.SPEAKING, 0
            events.append(SpeechStarted(at=self._candidate, detected_at=end))
        elif self._state is VadState.STOPPING and self._run >= self._stop_frames:
            self._state, self._run = VadState.QUIET, 0
            events.append(SpeechStopped(at=self._candidate, detected_at=end))
        if self.emit_frames:
            events.append(
                VadFrame(
                    at=start,
                    probability=probability,
                    volume_dbfs=volume,
                    speech=speech,
                    state=self._state,
                )
            )

    def end_of_stream(self) -> list[VadEvent]:
        """Close the stream: if speech is ongoing, emit :class:`SpeechStopped` now.

        A trailing partial frame is discarded. The detector (and its engine) is then reset.

        Returns:
            ``[SpeechStopped]`` if speech was ongoing, else ``[]``.
        """
        events: list[VadEvent] = []
        now = self.time()
        if self._state is VadState.SPEAKING:
            events.append(SpeechStopped(at=now, detected_at=now))
        elif self._state is VadState.STOPPING:
            events.append(SpeechStopped(at=self._candidate, detected_at=now))
        self.reset()
        return events

    def reset(self) -> None:
        """Forget everything (buffer, state, timeline, counters) and reset the engine."""
        self.engine.reset()
        self._reset_state()

    def statistics(self) -> VadDetectorStats:
        """A snapshot of the counters (never blocks)."""
        return VadDetectorStats(
            frames=self._frames,
            speech_frames=self._speech_frames,
            buffered_samples=len(self._buf) // 2,
            state=self._state,
        )
