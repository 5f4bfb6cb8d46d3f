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

import trio
from trio_websocket import ConnectionClosed

from rtvi_actors import Actor, Context
from rtvi_actors.protocol import wire
from rtvi_actors.voice import RtviOut

from .transport import FRAMINGS, TransportCounters
from .watchdog import current_watchdog

__all__ = ["MessageWriter", "WsMessageSender", "encode_message", "send_all_within", "send_within"]

_JSON: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
"""Compact JSON, built once (``json.dumps`` with options builds an encoder per call)."""
_C_JSON: Final = (
    json.encoder.c_make_encoder(  # the C encoder behind _JSON, without its per-call set-up
        None, _JSON.default, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )
    if json.encoder.c_make_encoder is not None
    else None
)
_SPEAKING: Final = {"bot-started-speaking": True, "bot-stopped-speaking": False}


def _to_json(envelope: Any) -> str:
    if _C_JSON is not None:
        try:
            return "".join(_C_JSON(envelope, 0))
        except (TypeError, ValueError, RecursionError):
            pass  # let the full encoder raise its usual error
    return _JSON.encode(envelope)


def encode_message(envelope: Any, framing: str) -> bytes | str:
    """Frame one RTVI envelope (a JSON-ready dict) for the wire."""
    text = _to_json(envelope)
    if framing == "json":
        return text
    try:
        return wire.message_frame(text)
    except UnicodeEncodeError:  # lone surrogates: the same error as the generic serializer
        return wire.serialize(wire.RtviText(data=text))


class MessageWriter:
    """Frames RTVI envelopes and writes them to the connection (what the RTVI actor uses to
    reach the client without another hop; the session's counters and speaking state follow).

    A client that does not take a message within ``write_deadline`` seconds is not reading:
    the writing actor ends (and with it the session) instead of buffering.
    """

    __slots__ = ("conn", "counters", "framing", "write_deadline")

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
        conn, deadline, counters = self.conn, self.write_deadline, self.counters
        payloads = [encode_message(envelope, self.framing) for envelope in envelopes]
        if len(payloads) == 1:
            sent = await send_within(conn, payloads[0], deadline, ctx, counters)
        else:
            sent = await send_all_within(conn, payloads, deadline, ctx, counters)
        if not sent:
            return False
        for envelope in envelopes:
            counters.messages_out += 1
            kind = envelope.get("type") if isinstance(envelope, dict) else None
            if kind in _SPEAKING:
                counters.bot_speaking = _SPEAKING[kind]
        return True


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

    The deadline is kept by the run's :class:`~actors.watchdog.WriteWatchdog` (no timer per
    send): a send still blocked ``deadline`` seconds later counts as a slow client, logs
    ``transport.client_not_reading`` and ends the incarnation (``ctx.stop()``), which cancels
    the send.

    Returns:
        True when sent. False after calling ``ctx.stop()`` because the peer closed.

    Cancellation: a cancelled send may have been partly written; the connection stays usable.
    """
    return await _guarded(conn.send_message, payload, deadline, ctx, counters)


async def send_all_within(
    conn: Any, payloads: list[Any], deadline: float, ctx: Context, counters: TransportCounters
) -> bool:
    """Like :func:`send_within` for several messages at once (``conn.send_messages``: one
    write when the connection can batch); connections without it send them one by one."""
    batch = getattr(conn, "send_messages", None)
    if batch is not None:
        return await _guarded(batch, payloads, deadline, ctx, counters)
    for payload in payloads:
        if not await send_within(conn, payload, deadline, ctx, counters):
            return False
    return True


async def _guarded(
    send: Callable[[Any], Awaitable[None]],
    arg: Any,
    deadline: float,
    ctx: Context,
    counters: TransportCounters,
) -> bool:
    def stalled() -> None:
        counters.slow_client += 1
        ctx.log.warning("transport.client_not_reading", deadline=deadline)
        ctx.stop()

    watchdog = current_watchdog()
    token = watchdog.start(trio.current_time() + deadline, stalled)
    try:
        await send(arg)
    except ConnectionClosed:
        ctx.stop()
        return False
    finally:
        watchdog.finish(token)
    return True
