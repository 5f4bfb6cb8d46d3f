"""WebSocket transport actors: one receiver, an RTVI message sender and a paced audio sender.

Wire framings (``framing``):

* ``"protobuf"`` — what ``@pipecat-ai/websocket-transport`` speaks: every message is a binary
  ``pipecat.Frame`` (RTVI JSON in ``message``, PCM16 in ``audio``).
* ``"json"`` — for simple clients: text messages carry RTVI JSON, binary messages raw PCM16
  (16 kHz in, 24 kHz out unless configured).

Malformed or unexpected frames are logged (at most once a second) and counted, never
session-ending. What goes out is in :mod:`actors.writing` (RTVI frames) and
:mod:`actors.playout` (paced audio), so a message never waits behind audio.

Inbound rate limits (per session, token buckets on trio's clock, see :class:`InboundLimits`):

* every non-audio frame (RTVI messages, and malformed or unexpected frames) takes one token
  from the message bucket; beyond it the frame is **dropped unanswered**, counted in
  ``rate_limited``, with a ``transport.rate_limited`` warning at most once a second. Answering
  each excess message would let a flood amplify itself; a well-behaved client never comes near
  the limit.
* mic audio takes its duration from the audio bucket (refilled at ``audio_realtime_factor``
  times real time); frames beyond it are dropped and counted in ``audio_dropped``.

Graceful drain: when the connection offers ``will_drain()`` (the server's
``SessionConnection``), the receiver watches it. Once the server starts draining, mic audio is
no longer forwarded (no new turns), and as soon as the bot has finished its current utterance
the receiver ends — a significant actor, so the session ends and the server closes with 1001.
"""

from __future__ import annotations

import math
from typing import Any, Final

import attrs
import trio
from trio_websocket import ConnectionClosed

from rtvi_actors import Actor, AudioIn, Context
from rtvi_actors.protocol import wire
from rtvi_actors.protocol.errors import WireError
from rtvi_actors.voice import ClientRtvi

__all__ = [
    "DEFAULT_INBOUND_LIMITS",
    "FRAMINGS",
    "UNLIMITED",
    "InboundLimits",
    "TokenBucket",
    "TransportCounters",
    "WsReceiver",
]

FRAMINGS: Final = ("protobuf", "json")
INPUT_RATE: Final = 16000
DRAIN_QUIET: Final = 0.25
"""During a drain, the bot counts as done once no audio has left for this long."""
DRAIN_POLL: Final = 0.05
AUDIO_RATES: Final = (8000, 96000)
"""Mic audio at sample rates outside this range is dropped (counted in ``audio_dropped``)."""
MAX_CHANNELS: Final = 8


@attrs.define
class TransportCounters:
    """Per-session transport counters (they survive actor restarts).

    ``bot_speaking`` is state rather than a counter: what the last ``bot-started-speaking`` /
    ``bot-stopped-speaking`` sent to the client said (used by the graceful drain).
    """

    messages_in: int = 0
    audio_frames_in: int = 0
    malformed: int = 0
    unexpected: int = 0
    messages_out: int = 0
    audio_frames_out: int = 0
    slow_client: int = 0
    rate_limited: int = 0
    audio_dropped: int = 0
    bot_speaking: bool = False


@attrs.frozen(kw_only=True)
class InboundLimits:
    """Per-session inbound rate limits (``None`` switches one off).

    Args:
        messages_per_second: sustained rate of non-audio frames (RTVI messages).
        message_burst: how many may arrive at once (the bucket size).
        audio_realtime_factor: mic audio may arrive this many times faster than real time.
        audio_burst: seconds of audio that may arrive at once (the bucket size); a single frame
            longer than this is always dropped.
        warn_every: at most one warning per kind per this many seconds.
    """

    messages_per_second: float | None = 50.0
    message_burst: float = 100.0
    audio_realtime_factor: float | None = 2.0
    audio_burst: float = 10.0
    warn_every: float = 1.0


DEFAULT_INBOUND_LIMITS: Final = InboundLimits()
UNLIMITED: Final = InboundLimits(messages_per_second=None, audio_realtime_factor=None)


@attrs.define
class TokenBucket:
    """A token bucket on caller-supplied times (trio's clock): pure arithmetic, no I/O.

    Starts full; refills at ``rate`` tokens per second up to ``burst``.
    """

    rate: float
    burst: float
    tokens: float = math.nan
    stamp: float | None = None

    def take(self, now: float, cost: float = 1.0) -> bool:
        """Take ``cost`` tokens at time ``now``; False (nothing taken) if there are too few."""
        if self.stamp is None:
            self.tokens = self.burst
        else:
            self.tokens = min(self.burst, self.tokens + max(0.0, now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False


class _Warnings:
    """Rate-limited warnings: at most one line per event name per ``every`` seconds, with the
    number of occurrences it stands for."""

    def __init__(self, every: float) -> None:
        self.every = every
        self._last: dict[str, float] = {}
        self._count: dict[str, int] = {}

    def warn(self, ctx: Context, event: str, **fields: Any) -> None:
        now = trio.current_time()
        self._count[event] = self._count.get(event, 0) + 1
        last = self._last.get(event)
        if last is None or now - last >= self.every:
            ctx.log.warning(event, occurrences=self._count[event], **fields)
            self._last[event] = now
            self._count[event] = 0


class WsReceiver(Actor):
    """Reads the connection: mic audio becomes :class:`AudioIn` (16 kHz), RTVI JSON becomes
    :class:`ClientRtvi`. Ends normally when the peer goes away, or once drained.

    Audio at another rate is resampled to 16 kHz. Audio is forwarded from the first frame,
    before the handshake completes (the official client sends it from socket open). Inbound
    traffic is rate-limited per ``limits`` (see the module docstring).
    """

    emits = (AudioIn, ClientRtvi)

    def __init__(
        self,
        conn: Any,
        counters: TransportCounters | None = None,
        *,
        framing: str = "protobuf",
        limits: InboundLimits = DEFAULT_INBOUND_LIMITS,
    ) -> None:
        if framing not in FRAMINGS:
            raise ValueError(f"framing must be one of {FRAMINGS}")
        self.conn = conn
        self.framing = framing
        self.counters = counters if counters is not None else TransportCounters()
        self.limits = limits
        self._resamplers: dict[int, Any] = {}
        self._warnings = _Warnings(limits.warn_every)
        self._messages = (
            TokenBucket(limits.messages_per_second, limits.message_burst)
            if limits.messages_per_second is not None
            else None
        )
        self._audio = (
            TokenBucket(limits.audio_realtime_factor, limits.audio_burst)
            if limits.audio_realtime_factor is not None
            else None
        )
        self._draining = False

    async def started(self, ctx: Context) -> None:
        ctx.start_soon(self._read, ctx)
        will_drain = getattr(self.conn, "will_drain", None)
        if will_drain is not None:
            ctx.start_soon(self._drain, will_drain(), ctx)

    async def _read(self, ctx: Context) -> None:
        try:
            while True:
                payload = await self.conn.get_message()
                await self._on_payload(payload, ctx)
        except ConnectionClosed as closed:
            ctx.log.info("transport.closed_by_peer", code=getattr(closed.reason, "code", None))
            ctx.stop()

    async def _drain(self, requested: trio.Event, ctx: Context) -> None:
        """Once the server drains: stop taking mic audio, wait for the bot to finish speaking,
        then end (the server bounds this with its grace period)."""
        await requested.wait()
        self._draining = True
        c = self.counters
        sent, quiet_since = c.audio_frames_out, trio.current_time()
        while True:
            now = trio.current_time()
            if c.audio_frames_out != sent:
                sent, quiet_since = c.audio_frames_out, now
            if not c.bot_speaking and now - quiet_since >= DRAIN_QUIET:
                break
            await trio.sleep(DRAIN_POLL)
        ctx.log.info("transport.drained")
        ctx.stop()

    async def _on_payload(self, payload: bytes | str, ctx: Context) -> None:
        c = self.counters
        now = trio.current_time()
        try:
            if self.framing == "json":
                frame = wire.parse_json_framing(payload)
            else:
                frame = wire.parse(payload)
        except WireError as exc:
            if self._limited(now, ctx):
                return
            c.malformed += 1
            self._warnings.warn(
                ctx, "transport.malformed_frame", error=str(exc)[:200], malformed=c.malformed
            )
            return
        if isinstance(frame, wire.AudioFrame):
            await self._on_audio(frame, now, ctx)
            return
        if self._limited(now, ctx):
            return
        if isinstance(frame, wire.RtviText):
            c.messages_in += 1
            await ctx.emit(ClientRtvi(data=frame.data))
        else:
            c.unexpected += 1
            self._warnings.warn(ctx, "transport.unexpected_frame", kind=type(frame).__name__)

    async def _on_audio(self, frame: wire.AudioFrame, now: float, ctx: Context) -> None:
        c = self.counters
        rate, channels = frame.sample_rate, frame.num_channels
        if not (AUDIO_RATES[0] <= rate <= AUDIO_RATES[1] and 1 <= channels <= MAX_CHANNELS):
            c.audio_dropped += 1
            self._warnings.warn(ctx, "transport.audio_format", sample_rate=rate, channels=channels)
            return
        seconds = len(frame.audio) / 2 / channels / rate
        if self._audio is not None and not self._audio.take(now, seconds):
            c.audio_dropped += 1
            self._warnings.warn(ctx, "transport.audio_rate_limited", dropped=c.audio_dropped)
            return
        if self._draining:
            return  # no new turns while the server drains
        c.audio_frames_in += 1
        pcm = frame.audio
        if channels != 1:
            pcm = _first_channel(pcm, channels)
        if rate != INPUT_RATE:
            try:
                pcm = self._resample(pcm, rate)
            except Exception as exc:  # e.g. the resampler (soxr) is not installed
                c.audio_dropped += 1
                self._warnings.warn(ctx, "transport.resample_failed", error=type(exc).__name__)
                return
        if pcm:
            await ctx.emit(AudioIn(pcm=pcm, sample_rate=INPUT_RATE))

    def _limited(self, now: float, ctx: Context) -> bool:
        """Charge one non-audio frame to the message bucket; True if it must be dropped."""
        if self._messages is None or self._messages.take(now):
            return False
        self.counters.rate_limited += 1
        self._warnings.warn(ctx, "transport.rate_limited", rate_limited=self.counters.rate_limited)
        return True

    def _resample(self, pcm: bytes, rate: int) -> bytes:
        resampler = self._resamplers.get(rate)
        if resampler is None:
            from actors.engines.audio import Resampler

            self._resamplers.clear()  # one input rate at a time: bounded, whatever the client
            resampler = self._resamplers[rate] = Resampler(rate, INPUT_RATE)
        return bytes(resampler.process(pcm))


def _first_channel(pcm: bytes, channels: int) -> bytes:
    width = 2 * channels
    return b"".join(pcm[i : i + 2] for i in range(0, len(pcm) - width + 1, width))
