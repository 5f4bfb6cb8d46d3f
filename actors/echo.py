"""The echo bot: the smallest complete session graph (text in, the same text out).

It exists to exercise the runtime, supervision and the server end to end before the RTVI and
voice stages arrive: ``python -m rtvi_actors --bot echo``.
"""

from __future__ import annotations

from typing import Any

from trio_websocket import ConnectionClosed

from rtvi_actors import Actor, Context, Graph, Mailbox, Overflow, TextIn, TextOut

__all__ = ["Echo", "TextReceiver", "TextSender", "build_echo_graph"]


class TextReceiver(Actor):
    """Reads WebSocket messages and emits each text message as :class:`TextIn`.

    Binary messages are counted and ignored. The actor ends normally when the peer closes.
    """

    emits = (TextIn,)

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.ignored_binary = 0

    async def started(self, ctx: Context) -> None:
        ctx.start_soon(self._read, ctx)

    async def _read(self, ctx: Context) -> None:
        try:
            while True:
                message = await self.conn.get_message()
                if isinstance(message, str):
                    await ctx.emit(TextIn(text=message))
                else:
                    self.ignored_binary += 1
                    ctx.log.warning("ws.binary_ignored", size=len(message))
        except ConnectionClosed:
            ctx.log.info("ws.closed_by_peer")
            ctx.stop()


class TextSender(Actor):
    """Sends each :class:`TextOut` as a WebSocket text message; ends when the peer is gone."""

    accepts = (TextOut,)

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def handle(self, msg: TextOut, ctx: Context) -> None:
        try:
            await self.conn.send_message(msg.text)
        except ConnectionClosed:
            ctx.stop()


class Echo(Actor):
    """Answers every :class:`TextIn` with a :class:`TextOut` carrying the same text."""

    accepts = (TextIn,)
    emits = (TextOut,)

    async def handle(self, msg: TextIn, ctx: Context) -> None:
        await ctx.emit(TextOut(epoch=ctx.epoch, text=msg.text))


def build_echo_graph(conn: Any, *, echo: Any = Echo) -> Graph:
    """The echo session graph for one connection. ``echo`` replaces the middle stage."""
    g = Graph()
    g.add("ws_in", TextReceiver, conn, significant=True)
    g.add("echo", echo, interrupt_on_restart=True, mailbox=Mailbox(size=64))
    g.add("ws_out", TextSender, conn, significant=True, mailbox=Mailbox(64, Overflow.BLOCK))
    g.route(TextIn, "ws_in", "echo")
    g.route(TextOut, "echo", "ws_out")
    return g
