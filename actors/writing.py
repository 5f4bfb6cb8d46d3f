"""What the server writes to the client: RTVI frames, and the write deadline of every send.

`MessageWriter` frames RTVI envelopes (protobuf or JSON framing, see :mod:`actors.transport`)
and writes them; the RTVI actor uses it directly, and `WsMessageSender` wraps it as a stage for
graphs whose RTVI actor has no writer. `send_within` / `send_all_within` are the guarded writes
shared with the paced audio sender: a client that does not take a frame within the deadline is
not reading, and the writing actor ends instead of buffering.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Final

import orjson
import trio
from trio_websocket import ConnectionClosed

from rtvi_actors import Actor, Context
from rtvi_actors.protocol import wire
from rtvi_actors.voice import RtviOut

from .transport import FRAMINGS, TransportCounters
from .watchdog import current_watchdog

__all__ = ["MessageWriter", "WsMessageSender", "encode_message", "send_all_within", "send_within"]

_JSON: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
"""Compact JSON from the standard library: the fallback for what orjson refuses."""
_SPEAKING: Final = {"bot-started-speaking": True, "bot-stopped-speaking": False}
_ORJSON_REFUSES: Final = (TypeError, ValueError, RecursionError)  # orjson.JSONEncodeError is both


def _json_bytes(envelope: Any) -> bytes:
    """Compact UTF-8 JSON of ``envelope``: orjson (about 7x the standard library's C encoder
    on RTVI envelopes), or the standard library for what orjson refuses (non-string keys,
    integers beyond 64 bits, lone surrogates), which then raises its usual errors."""
    try:
        return orjson.dumps(envelope)
    except _ORJSON_REFUSES:
        return _JSON.encode(envelope).encode("utf-8")


def encode_message(envelope: Any, framing: str) -> bytes | str:
    """Frame one RTVI envelope (a JSON-ready dict) for the wire.

    ``"json"`` framing gives the compact JSON text; ``"protobuf"`` the binary ``Frame`` with
    that text as its ``message.data``.

    Raises:
        TypeError, ValueError: the envelope is not JSON-serializable.
        UnicodeEncodeError: a string holds a lone surrogate.
    """
    data = _json_bytes(envelope)
    if framing == "json":
        return data.decode("utf-8")
    return wire.message_frame_bytes(data)


class MessageWriter:
    """Frames RTVI envelopes and writes them to the connection (what the RTVI actor uses to
    reach the client without another hop; the session's counters and speaking state follow).

    A client that does not take a message within ``write_deadline`` seconds is not reading:
    the writing actor ends (and with it the session) instead of buffering.
    """

    __slots__ = ("_can_send_now", "conn", "counters", "framing", "write_deadline")

    def __init__(
        self,
        conn: Any,
        counters: TransportCounters | None = None,
        *,
        framing: str = "protobuf",
        write_deadline: float = 5.0,
    ) -> None:
        if framing not in FRAMINGS:
            raise ValueError(f"framing must be one of {FRAMINGS}")
        self.conn = conn
        self._can_send_now = getattr(conn, "can_send_now", None)  # the connection never changes
        self.framing = framing
        self.write_deadline = write_deadline
        self.counters = counters if counters is not None else TransportCounters()

    async def write(self, envelope: Any, ctx: Context) -> bool:
        """Send one envelope; see :meth:`write_many`."""
        return await self.write_many([envelope], ctx)

    async def write_many(self, envelopes: list[Any], ctx: Context) -> bool:
        """Send envelopes in order, several with one write when the connection can batch
        (``send_messages``).

        Returns:
            True when all were sent; False after ending ``ctx``'s actor (peer gone).

        Cancellation: see :func:`send_within`.
        """
        framing = self.framing
        payloads = [encode_message(envelope, framing) for envelope in envelopes]
        if not await _write(self.conn, payloads, self.write_deadline, ctx, self.counters):
            return False
        self._count(envelopes)
        return True

    async def write_soon(self, envelopes: list[Any], ctx: Context) -> None:
        """Write envelopes at once when the connection can (:meth:`write_now`: what the
        socket does not take, a task of ``ctx``'s incarnation finishes), else wait for the
        connection (:meth:`write_many`). Either way in one write, in order.

        Cancellation: see :func:`send_within`.
        """
        if self.ready_now():
            self.write_now(envelopes, ctx)
        else:
            await self.write_many(envelopes, ctx)

    def ready_now(self) -> bool:
        """Whether :meth:`write_now` can write at once: the connection writes without a
        schedule point (``can_send_now``) and no other write is in progress."""
        ready = self._can_send_now
        return ready is not None and ready()

    def write_now(self, envelopes: list[Any], ctx: Context) -> None:
        """Frame and write envelopes at once, never blocking (only after :meth:`ready_now`
        said so, with no schedule point in between).

        What the socket does not take at once is finished by a task of ``ctx``'s incarnation
        under the write deadline (later writes wait for it). A closed connection ends the
        incarnation (``ctx.stop()``), as :meth:`write_many` does.
        """
        conn, framing = self.conn, self.framing
        left = _start_now(conn, [encode_message(e, framing) for e in envelopes], ctx)
        if left is None:
            return
        if left:
            ctx.start_soon(_guarded, self.write_deadline, ctx, self.counters, conn.finish_send)
        self._count(envelopes)

    def _count(self, envelopes: list[Any]) -> None:
        counters = self.counters
        counters.messages_out += len(envelopes)
        for envelope in envelopes:
            speaking = _SPEAKING.get(envelope.get("type")) if type(envelope) is dict else None
            if speaking is not None:
                counters.bot_speaking = speaking


class WsMessageSender(Actor):
    """Sends each :class:`RtviOut` at once through a :class:`MessageWriter` (for graphs whose
    RTVI actor has no writer of its own)."""

    accepts = (RtviOut,)

    def __init__(
        self, conn: Any, counters: TransportCounters | None = None, **options: Any
    ) -> None:
        self.writer = MessageWriter(conn, counters, **options)

    async def handle(self, msg: RtviOut, ctx: Context) -> None:
        await self.writer.write(msg.envelope, ctx)


async def send_within(
    conn: Any, payload: bytes | str, deadline: float, ctx: Context, counters: TransportCounters
) -> bool:
    """Send one WebSocket message, or end the incarnation if the peer is gone or stalled.

    When the connection can write at once (``can_send_now``) and the socket takes the whole
    frame, that is all: no deadline to keep and no schedule point. Otherwise the deadline is
    kept by the run's :class:`~actors.watchdog.WriteWatchdog` (no timer per send): a send
    still blocked ``deadline`` seconds later counts as a slow client, logs
    ``transport.client_not_reading`` and ends the incarnation (``ctx.stop()``), which cancels
    the send.

    Returns:
        True when sent. False after calling ``ctx.stop()`` because the peer closed.

    Cancellation: a cancelled send may have been partly written; the connection stays usable.
    """
    return await _write(conn, [payload], deadline, ctx, counters)


async def send_all_within(
    conn: Any, payloads: list[Any], deadline: float, ctx: Context, counters: TransportCounters
) -> bool:
    """Like :func:`send_within` for several messages at once (``conn.send_messages``: one
    write when the connection can batch); connections without it send them one by one."""
    return await _write(conn, payloads, deadline, ctx, counters)


def _start_now(conn: Any, payloads: list[Any], ctx: Context) -> int | None:
    """``conn.send_messages_now``: the bytes left for ``finish_send``, or None after ending
    ``ctx``'s incarnation because the connection is closed."""
    try:
        return conn.send_messages_now(payloads)
    except ConnectionClosed:
        ctx.stop()
        return None


async def _write(
    conn: Any, payloads: list[Any], deadline: float, ctx: Context, counters: TransportCounters
) -> bool:
    now = getattr(conn, "can_send_now", None)
    if now is not None and now():
        left = _start_now(conn, payloads, ctx)
        if left is None:
            return False
        if left == 0:
            return True
        return await _guarded(deadline, ctx, counters, conn.finish_send)
    if len(payloads) == 1:
        return await _guarded(deadline, ctx, counters, conn.send_message, payloads[0])
    batch = getattr(conn, "send_messages", None)
    if batch is not None:
        return await _guarded(deadline, ctx, counters, batch, payloads)
    for payload in payloads:
        if not await _guarded(deadline, ctx, counters, conn.send_message, payload):
            return False
    return True


async def _guarded(
    deadline: float,
    ctx: Context,
    counters: TransportCounters,
    send: Callable[..., Awaitable[None]],
    *args: Any,
) -> bool:
    """Await ``send(*args)`` under the write deadline."""

    def stalled() -> None:
        counters.slow_client += 1
        ctx.log.warning("transport.client_not_reading", deadline=deadline)
        ctx.stop()

    watchdog = current_watchdog()
    token = watchdog.start(trio.current_time() + deadline, stalled)
    try:
        await send(*args)
    except ConnectionClosed:
        ctx.stop()
        return False
    finally:
        watchdog.finish(token)
    return True
