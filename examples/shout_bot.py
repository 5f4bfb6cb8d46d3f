"""A custom stage wired between the standard text transports, served with one call.

Run it:  python examples/shout_bot.py   then connect a WebSocket client to ws://127.0.0.1:7861/ws
and send text frames; each comes back upper-cased.
"""

from __future__ import annotations

from typing import Any

import trio

from actors.echo import TextReceiver, TextSender
from rtvi_actors import Actor, Context, Graph, Mailbox, TextIn, TextOut
from rtvi_actors.logs import configure_logging
from supervisors import Server, graph_session


class Shout(Actor):
    """Upper-cases every text it receives."""

    accepts = (TextIn,)
    emits = (TextOut,)

    async def handle(self, msg: TextIn, ctx: Context) -> None:
        await ctx.emit(TextOut(epoch=ctx.epoch, text=msg.text.upper()))


def build(conn: Any) -> Graph:
    """The session graph for one connection."""
    g = Graph()
    g.add("ws_in", TextReceiver, conn, significant=True)
    g.add("shout", Shout, interrupt_on_restart=True, mailbox=Mailbox(64))
    g.add("ws_out", TextSender, conn, significant=True)
    g.route(TextIn, "ws_in", "shout")
    g.route(TextOut, "shout", "ws_out")
    return g


async def main(port: int = 7861) -> None:
    """Serve the shout bot until cancelled (Ctrl-C)."""
    await Server(graph_session(build)).serve("127.0.0.1", port)


if __name__ == "__main__":
    configure_logging()
    trio.run(main)
