"""The paced audio sender: bot audio leaves in real time plus a small lead, on trio's clock.

The official web client appends whatever PCM arrives to its player and cannot be told to
stop, so pacing on the server is what bounds the audio heard after a barge-in: at any moment
the client holds at most ``lead`` seconds of unplayed audio. On interruption the pending audio
is dropped and pacing reset in the same scheduler step; what was played before the cut is
reported (:class:`~rtvi_actors.voice.BotSpoke`) so the context records what the user heard.

All senders of a process sleep on one shared :class:`~rtvi_actors.pacer.Pacer` whose deadlines
are rounded up to a ``pacing_tick`` grid: the senders due within one tick wake together on one
timer instead of one timer each. A chunk then leaves up to one tick after it is due, which the
lead absorbs as long as ``lead >= chunk + tick`` (see :class:`WsAudioSender`).
"""

from __future__ import annotations

from typing import Any

import attrs
import trio

from rtvi_actors import Actor, AudioOut, BotStartedSpeaking, BotStoppedSpeaking, Context
from rtvi_actors.pacer import Pacer, current_pacer
from rtvi_actors.protocol import wire
from rtvi_actors.voice import BotSegment, BotSpoke, SpeechDone

from .transport import TransportCounters
from .writing import send_within

__all__ = ["PACING_TICK", "Playout", "PlayoutGate", "WsAudioSender"]


class PlayoutGate:
    """A session-owned switch that holds the bot's audio at once (a possible barge-in is being
    checked) and releases it (a false interruption). Synchronous, so it overtakes the queued
    audio the way an interruption does."""

    def __init__(self) -> None:
        self._open = trio.Event()
        self._open.set()
        self.pauses = 0

    @property
    def paused(self) -> bool:
        """Whether audio is held now."""
        return not self._open.is_set()

    def pause(self) -> None:
        """Hold audio from the next chunk on."""
        if self._open.is_set():
            self._open = trio.Event()
            self.pauses += 1

    def resume(self) -> None:
        """Release held audio."""
        self._open.set()

    async def wait_open(self) -> None:
        """Return once audio may flow (at once when it is not held).

        Cancellation: safe; nothing changes.
        """
        await self._open.wait()


@attrs.define
class _Segment:
    segment_id: str
    text: str
    start: float  # when its first sample plays
    end: float  # when its last sent sample plays
    closed: bool = False  # its last chunk has been sent
    reported: bool = False  # "completed" was published
    duration: float = 0.0  # seconds of audio received for it so far
    spans: list[tuple[float, float, str]] = attrs.Factory(list)  # (from, to) seconds, words


@attrs.define
class Playout:
    """Pure pacing arithmetic for one connection (no I/O; times are trio-clock floats).

    ``play_end`` is when the client's buffer runs dry. A chunk of ``d`` seconds may leave once
    ``max(play_end, now) + d - lead <= now``, i.e. when at most ``lead`` seconds stay queued.
    """

    lead: float
    play_end: float = 0.0

    def due(self, now: float, duration: float) -> float:
        """The earliest time the next chunk of ``duration`` seconds may be sent."""
        return max(self.play_end, now) + duration - self.lead

    def sent(self, now: float, duration: float) -> float:
        """Account for a chunk sent at ``now``. Returns when it starts playing."""
        start = max(self.play_end, now)
        self.play_end = start + duration
        return start

    def buffered(self, now: float) -> float:
        """Seconds of audio the client holds unplayed at ``now``."""
        return max(0.0, self.play_end - now)


#: The default pacing grid: with the default 80 ms lead and 40 ms chunks, 30 ms of the lead
#: remain for scheduling delays.
PACING_TICK = 0.01


class WsAudioSender(Actor):
    """Sends :class:`AudioOut` as 24 kHz mono PCM16 in ``chunk_ms`` chunks, paced.

    Publishes, timed to playout: :class:`BotStartedSpeaking`, :class:`BotSegment` ("new" when
    a segment starts playing, "completed" when it has played), :class:`BotStoppedSpeaking` and
    :class:`BotSpoke` (complete, or the heard prefix after a cut).

    Pacing: a chunk may leave once at most ``lead`` seconds of audio stay queued at the client,
    i.e. ``lead - chunk`` seconds before the client's buffer runs dry. The sender sleeps on the
    run's shared pacer (:func:`~rtvi_actors.pacer.current_pacer`) and wakes up to
    ``pacing_tick`` seconds late, plus the scheduler's own delay; if it wakes more than
    ``lead - chunk`` late, the client's buffer has run dry and playback stutters. Hence
    ``lead >= chunk + pacing_tick`` is required (``ValueError`` otherwise), and the difference
    should leave room for scheduling delays under load. ``pacing_tick=None`` (the default)
    takes :data:`PACING_TICK` (10 ms), or ``lead - chunk`` when that is smaller; 0 wakes at
    the exact deadlines.
    """

    accepts = (AudioOut, SpeechDone)
    publishes = (BotStartedSpeaking, BotStoppedSpeaking, BotSegment, BotSpoke)

    def __init__(
        self,
        conn: Any,
        counters: TransportCounters | None = None,
        *,
        framing: str = "protobuf",
        sample_rate: int = 24000,
        chunk_ms: int = 40,
        lead: float = 0.08,
        write_deadline: float = 5.0,
        gate: PlayoutGate | None = None,
        pacing_tick: float | None = None,
    ) -> None:
        chunk = chunk_ms / 1000
        if not 0 < chunk <= lead:
            raise ValueError("chunk_ms must be positive and no longer than the lead")
        if pacing_tick is None:
            pacing_tick = min(PACING_TICK, lead - chunk)
        elif not 0 <= pacing_tick <= lead - chunk + 1e-9:
            raise ValueError(
                f"pacing_tick must be >= 0 and lead >= chunk + pacing_tick (lead {lead} s, "
                f"chunk {chunk} s, pacing_tick {pacing_tick} s): a chunk can leave one tick "
                "after it is due, and the client's buffer must not run dry meanwhile"
            )
        self.pacing_tick = pacing_tick
        self.conn = conn
        self.counters = counters if counters is not None else TransportCounters()
        self.framing = framing
        self.rate = sample_rate
        self.chunk_bytes = sample_rate * chunk_ms // 1000 * 2
        self.write_deadline = write_deadline
        self.playout = Playout(lead=lead)
        self.gate = gate if gate is not None else PlayoutGate()
        self._ctx: Context | None = None
        self._epoch: int | None = None  # the response now speaking
        self._pending = bytearray()
        self._segments: list[_Segment] = []
        self._resamplers: dict[int, Any] = {}
        self._pacer: Pacer | None = None

    async def started(self, ctx: Context) -> None:
        self._ctx = ctx
        self._pacer = current_pacer(self.pacing_tick)
        self.playout.play_end = trio.current_time()

    async def handle(self, msg: AudioOut | SpeechDone, ctx: Context) -> None:
        if isinstance(msg, SpeechDone):
            await self._finish(msg.epoch, ctx)
            return
        pcm = msg.pcm if msg.sample_rate == self.rate else self._resample(msg.pcm, msg.sample_rate)
        seg = self._segments[-1] if self._segments else None
        if msg.segment_id and (seg is None or seg.segment_id != msg.segment_id or seg.closed):
            seg = _Segment(msg.segment_id, msg.text, start=-1.0, end=-1.0)
            self._segments.append(seg)
        if seg is not None:
            begin = seg.duration
            seg.duration += len(pcm) / 2 / self.rate
            if msg.spoken:
                seg.spans.append((begin, seg.duration, msg.spoken))
        self._pending += pcm
        while len(self._pending) >= self.chunk_bytes:
            chunk = bytes(self._pending[: self.chunk_bytes])
            del self._pending[: self.chunk_bytes]
            await self._send(msg.epoch, chunk, seg, ctx)
        if msg.segment_end:
            if self._pending:
                chunk = bytes(self._pending)
                self._pending.clear()
                await self._send(msg.epoch, chunk, seg, ctx)
            if seg is not None:
                seg.closed = True
                if seg.end >= 0:
                    ctx.start_soon(self._complete_at, msg.epoch, seg)

    async def _send(self, epoch: int, chunk: bytes, seg: _Segment | None, ctx: Context) -> None:
        duration = len(chunk) / 2 / self.rate
        if self.gate.paused:
            held_from = max(trio.current_time(), self.playout.play_end)
            await self.gate.wait_open()
            gap = trio.current_time() - held_from
            if gap > 0:  # playback stopped for that long: shift what is playing
                for s in self._segments:
                    if s.start >= 0:
                        s.start += gap
                        s.end += gap
        assert self._pacer is not None  # set in started()
        await self._pacer.sleep_until(self.playout.due(trio.current_time(), duration))
        if self.framing == "json":
            payload: bytes | str = chunk
        else:
            payload = wire.serialize(
                wire.AudioFrame(audio=chunk, sample_rate=self.rate, num_channels=1)
            )
        now = trio.current_time()
        start = max(self.playout.play_end, now)
        if not await send_within(self.conn, payload, self.write_deadline, ctx, self.counters):
            return
        self.playout.sent(now, duration)
        self.counters.audio_frames_out += 1
        if self._epoch != epoch:
            self._epoch = epoch
            ctx.publish(BotStartedSpeaking(epoch=epoch, at=start))
        if seg is not None:
            if seg.start < 0:
                seg.start = start
                ctx.publish(
                    BotSegment(
                        epoch=epoch,
                        segment_id=seg.segment_id,
                        text=seg.text,
                        status="new",
                        at=start,
                    )
                )
            seg.end = self.playout.play_end

    async def _complete_at(self, epoch: int, seg: _Segment) -> None:
        with self._ctx_interruptible():
            assert self._pacer is not None
            await self._pacer.sleep_until(seg.end)
            if self._epoch == epoch and self._ctx is not None:
                self._report_completed(epoch, seg, self._ctx)

    def _report_completed(self, epoch: int, seg: _Segment, ctx: Context) -> None:
        if seg.reported or seg.start < 0:
            return
        seg.reported = True
        ctx.publish(
            BotSegment(
                epoch=epoch,
                segment_id=seg.segment_id,
                text=seg.text,
                status="completed",
                at=seg.end,
            )
        )

    def _ctx_interruptible(self) -> Any:
        assert self._ctx is not None
        return self._ctx.interruptible()

    async def _finish(self, epoch: int, ctx: Context) -> None:
        if self._pending:
            chunk = bytes(self._pending)
            self._pending.clear()
            await self._send(epoch, chunk, self._segments[-1] if self._segments else None, ctx)
        if self._epoch != epoch:
            return  # nothing of this response was played
        end = self.playout.play_end
        assert self._pacer is not None
        await self._pacer.sleep_until(end)
        for seg in self._segments:
            self._report_completed(epoch, seg, ctx)
        text = " ".join(s.text for s in self._segments if s.start >= 0 and s.text)
        ctx.publish(BotStoppedSpeaking(epoch=epoch, at=end))
        ctx.publish(BotSpoke(epoch=epoch, text=text, complete=True, at=end))
        self._reset()

    def interrupted(self, epoch: int) -> None:
        """Drop pending audio and report what was heard of the cut response."""
        ctx = self._ctx
        if ctx is None or self._epoch is None or self._epoch >= epoch:
            self._pending.clear()
            return
        now = trio.current_time()
        ctx.publish(BotStoppedSpeaking(epoch=self._epoch, at=now))
        ctx.publish(BotSpoke(epoch=self._epoch, text=self.heard(now), complete=False, at=now))
        self._reset()

    def heard(self, now: float) -> str:
        """The text the user has heard by ``now``.

        Whole segments that have played count fully. Of the segment playing now, the words of
        the chunks already played count (when the engine said which words each chunk voices),
        plus the share of the current chunk's words that matches the share of it played;
        without word information, the share of the segment's words that matches the share of
        its audio received so far.
        """
        words: list[str] = []
        for seg in self._segments:
            if seg.start < 0 or seg.start >= now:
                break
            if seg.end <= now and seg.closed:
                words.extend(seg.text.split())
                continue
            played = now - seg.start
            if seg.spans:
                for begin, end, spoken in seg.spans:
                    span_words = spoken.split()
                    if end <= played:
                        words.extend(span_words)
                    else:
                        share = max(0.0, played - begin) / max(end - begin, 1e-9)
                        words.extend(span_words[: int(len(span_words) * share)])
                        break
            else:
                seg_words = seg.text.split()
                share = played / max(seg.duration, 1e-9)
                words.extend(seg_words[: int(len(seg_words) * min(1.0, share))])
            break
        return " ".join(words)

    def _reset(self) -> None:
        self._epoch = None
        self._pending.clear()
        self._segments.clear()
        self._resamplers.clear()

    def _resample(self, pcm: bytes, rate: int) -> bytes:
        resampler = self._resamplers.get(rate)
        if resampler is None:
            from actors.engines.audio import Resampler

            resampler = self._resamplers[rate] = Resampler(rate, self.rate)
        return bytes(resampler.process(pcm))
