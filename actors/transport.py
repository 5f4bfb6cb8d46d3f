"""WebSocket transport actors: one receiver, an RTVI message sender and a paced audio sender.

Wire framings (``framing``):

* ``"protobuf"`` — what ``@pipecat-ai/websocket-transport`` speaks: every message is a binary
  ``pipecat.Frame`` (RTVI JSON in ``message``, PCM16 in ``audio``).
* ``"json"`` — for simple clients: text messages carry RTVI JSON, binary messages raw PCM16
  (16 kHz in, 24 kHz out unless configured).

Malformed or unexpected frames are logged and counted, never session-ending. RTVI messages go
out at once through their own sender; audio goes through the paced sender, so a message never
waits behind audio.
"""

from __future__ import annotations

import json
from typing import Any, Final

import attrs
import trio
from trio_websocket import ConnectionClosed

from rtvi_actors import Actor, AudioIn, Context
from rtvi_actors.protocol import wire
from rtvi_actors.protocol.errors import WireError
from rtvi_actors.voice import ClientRtvi, RtviOut

__all__ = ["FRAMINGS", "TransportCounters", "WsMessageSender", "WsReceiver", "encode_message"]

FRAMINGS: Final = ("protobuf", "json")
INPUT_RATE: Final = 16000


@attrs.define
class TransportCounters:
    """Per-session transport counters (they survive actor restarts)."""

    messages_in: int = 0
    audio_frames_in: int = 0
    malformed: int = 0
    unexpected: int = 0
    messages_out: int = 0
    audio_frames_out: int = 0
    slow_client: int = 0


def encode_message(envelope: Any, framing: str) -> bytes | str:
    """Frame one RTVI envelope (a JSON-ready dict) for the wire."""
    text = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)
    if framing == "json":
        return text
    return wire.serialize(wire.RtviText(data=text))


class WsReceiver(Actor):
    """Reads the connection: mic audio becomes :class:`AudioIn` (16 kHz), RTVI JSON becomes
    :class:`ClientRtvi`. Ends normally when the peer goes away.

    Audio at another rate is resampled to 16 kHz. Audio is forwarded from the first frame,
    before the handshake completes (the official client sends it from socket open).
    """

    emits = (AudioIn, ClientRtvi)

    def __init__(
        self, conn: Any, counters: TransportCounters | None = None, *, framing: str = "protobuf"
    ) -> None:
        if framing not in FRAMINGS:
            raise ValueError(f"framing must be one of {FRAMINGS}")
        self.conn = conn
        self.framing = framing
        self.counters = counters if counters is not None else TransportCounters()
        self._resamplers: dict[int, Any] = {}

    async def started(self, ctx: Context) -> None:
        ctx.start_soon(self._read, ctx)

    async def _read(self, ctx: Context) -> None:
        try:
            while True:
                payload = await self.conn.get_message()
                await self._on_payload(payload, ctx)
        except ConnectionClosed as closed:
            ctx.log.info("transport.closed_by_peer", code=getattr(closed.reason, "code", None))
            ctx.stop()

    async def _on_payload(self, payload: bytes | str, ctx: Context) -> None:
        c = self.counters
        try:
            if self.framing == "json":
                frame = wire.parse_json_framing(payload)
            else:
                frame = wire.parse(payload)
        except WireError as exc:
            c.malformed += 1
            ctx.log.warning("transport.malformed_frame", error=str(exc), malformed=c.malformed)
            return
        if isinstance(frame, wire.RtviText):
            c.messages_in += 1
            await ctx.emit(ClientRtvi(data=frame.data))
        elif isinstance(frame, wire.AudioFrame):
            c.audio_frames_in += 1
            pcm = frame.audio
            if frame.num_channels != 1:
                pcm = _first_channel(pcm, frame.num_channels)
            if frame.sample_rate != INPUT_RATE:
                pcm = self._resample(pcm, frame.sample_rate)
            if pcm:
                await ctx.emit(AudioIn(pcm=pcm, sample_rate=INPUT_RATE))
        else:
            c.unexpected += 1
            ctx.log.warning("transport.unexpected_frame", kind=type(frame).__name__)

    def _resample(self, pcm: bytes, rate: int) -> bytes:
        resampler = self._resamplers.get(rate)
        if resampler is None:
            from actors.engines.audio import Resampler

            resampler = self._resamplers[rate] = Resampler(rate, INPUT_RATE)
        return bytes(resampler.process(pcm))


def _first_channel(pcm: bytes, channels: int) -> bytes:
    width = 2 * channels
    return b"".join(pcm[i : i + 2] for i in range(0, len(pcm) - width + 1, width))


class WsMessageSender(Actor):
    """Sends each :class:`RtviOut` at once. A client that does not take a message within
    ``write_deadline`` seconds is not reading: the session ends instead of buffering.
    """

    accepts = (RtviOut,)

    def __init__(
        self,
        conn: Any,
        counters: TransportCounters | None = None,
        *,
        framing: str = "protobuf",
        write_deadline: float = 5.0,
    ) -> None:
        self.conn = conn
        self.framing = framing
        self.write_deadline = write_deadline
        self.counters = counters if counters is not None else TransportCounters()

    async def handle(self, msg: RtviOut, ctx: Context) -> None:
        payload = encode_message(msg.envelope, self.framing)
        if not await send_within(self.conn, payload, self.write_deadline, ctx, self.counters):
            return
        self.counters.messages_out += 1


async def send_within(
    conn: Any, payload: bytes | str, deadline: float, ctx: Context, counters: TransportCounters
) -> bool:
    """Send one WebSocket message, or end the incarnation if the peer is gone or stalled.

    Returns:
        True when sent. False after calling ``ctx.stop()`` (peer closed, or not reading).

    Cancellation: a cancelled send may have been partly written; the connection stays usable.
    """
    try:
        with trio.move_on_after(deadline) as scope:
            await conn.send_message(payload)
    except ConnectionClosed:
        ctx.stop()
        return False
    if scope.cancelled_caught:
        counters.slow_client += 1
        ctx.log.warning("transport.client_not_reading", deadline=deadline)
        ctx.stop()
        return False
    return True
