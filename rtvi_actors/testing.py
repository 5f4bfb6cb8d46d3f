"""A public test kit: run one actor or a whole graph with fakes, collect what it emits, and
inject faults.

Everything here runs on trio's clock, so tests under ``MockClock(autojump_threshold=0)`` assert
exact virtual times.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, final

import attrs
import trio

from .actor import Actor, Context
from .graph import Graph
from .session_graph import GraphStatistics, SessionGraph

__all__ = [
    "After",
    "Collector",
    "Crashy",
    "FakeConnection",
    "Feeder",
    "Recording",
    "RunResult",
    "client_ready",
    "connection_pair",
    "run_actor",
    "run_graph",
]


@final
@attrs.frozen
class After:
    """A scripted input: send ``msg`` ``delay`` seconds after the previous input."""

    delay: float
    msg: Any


class Recording:
    """What collectors saw: ``(trio.current_time(), message)`` pairs in arrival order."""

    def __init__(self) -> None:
        self.items: list[tuple[float, Any]] = []

    @property
    def messages(self) -> list[Any]:
        """The messages without their times."""
        return [m for _, m in self.items]

    def of(self, *types: type) -> list[Any]:
        """The messages that are instances of ``types``."""
        return [m for _, m in self.items if isinstance(m, types)]

    def times(self, *types: type) -> list[float]:
        """Arrival times of the messages that are instances of ``types``."""
        return [t for t, m in self.items if isinstance(m, types)]


class Collector(Actor):
    """A sink that records every message and event it receives into a :class:`Recording`."""

    def __init__(self, recording: Recording) -> None:
        self.recording = recording

    async def handle(self, msg: Any, ctx: Context) -> None:
        self.recording.items.append((trio.current_time(), msg))


class Feeder(Actor):
    """A source that emits scripted inputs (messages or :class:`After` items), then ends."""

    def __init__(self, inputs: Sequence[Any]) -> None:
        self.inputs = inputs

    async def started(self, ctx: Context) -> None:
        for item in self.inputs:
            if isinstance(item, After):
                await trio.sleep(item.delay)
                item = item.msg
            await ctx.emit(item)


def _types(items: Iterable[Any]) -> tuple[type, ...]:
    seen: dict[type, None] = {}
    for item in items:
        seen[type(item.msg if isinstance(item, After) else item)] = None
    return tuple(seen)


class Crashy:
    """Wrap an actor factory so its incarnations raise ``exc`` on their ``at``-th message.

    Args:
        factory: builds the real actor (its ``accepts``/``emits``/``publishes`` are kept).
        at: which message (1-based, counted per incarnation) raises; ``0`` raises in ``started``.
        exc: the exception to raise (a fresh copy is not made: use a simple instance).
        times: how many incarnations crash (``None``: every one).
        during: ``"handle"`` (default), ``"interrupted"`` (the hook raises) or ``"finished"``.
    """

    def __init__(
        self,
        factory: Callable[[], Actor],
        *,
        at: int = 1,
        exc: Exception | None = None,
        times: int | None = 1,
        during: str = "handle",
    ) -> None:
        if during not in ("handle", "interrupted", "finished"):
            raise ValueError(f"during must be handle, interrupted or finished, not {during!r}")
        self.factory = factory
        self.at = at
        self.exc = exc if exc is not None else RuntimeError("injected fault")
        self.times = times
        self.during = during
        self.crashes = 0
        for attr in ("accepts", "emits", "publishes"):
            setattr(self, attr, getattr(factory, attr, ()))

    def _should_crash(self) -> bool:
        return self.times is None or self.crashes < self.times

    def _crash(self) -> None:
        self.crashes += 1
        raise self.exc

    def __call__(self) -> Actor:
        inner = self.factory()
        crashy = self

        class _Wrapped(Actor):
            accepts = tuple(getattr(inner, "accepts", ()))
            emits = tuple(getattr(inner, "emits", ()))
            publishes = tuple(getattr(inner, "publishes", ()))

            def __init__(self) -> None:
                self.count = 0
                self.armed = crashy._should_crash()

            async def started(self, ctx: Context) -> None:
                if self.armed and crashy.at == 0 and crashy.during == "handle":
                    crashy._crash()
                await inner.started(ctx)

            async def handle(self, msg: Any, ctx: Context) -> None:
                self.count += 1
                if self.armed and crashy.during == "handle" and self.count == crashy.at:
                    crashy._crash()
                await inner.handle(msg, ctx)

            def interrupted(self, epoch: int) -> None:
                if self.armed and crashy.during == "interrupted":
                    crashy._crash()
                inner.interrupted(epoch)

            async def finished(self, ctx: Context) -> None:
                if self.armed and crashy.during == "finished":
                    crashy._crash()
                await inner.finished(ctx)

            def __repr__(self) -> str:
                return f"Crashy({inner!r})"

        return _Wrapped()


@final
@attrs.frozen(kw_only=True)
class RunResult:
    """What :func:`run_actor` saw: emitted messages, published events and final statistics."""

    emitted: Recording
    events: Recording
    stats: GraphStatistics


async def run_actor(
    factory: Callable[..., Actor],
    inputs: Sequence[Any],
    *args: Any,
    events: Iterable[Any] = (),
    **add_options: Any,
) -> RunResult:
    """Run one actor (unsupervised) on scripted inputs until its mailbox ends.

    The actor is wired between a :class:`Feeder` and collectors for everything it emits and
    publishes. ``events`` are extra scripted inputs that the feeder sends as ordinary messages
    (the actor's mailbox takes events and data alike).

    Returns:
        A :class:`RunResult`; the actor's statistics are ``result.stats.actor("actor")``.

    Raises:
        ExceptionGroup: the actor crashed.
    """
    emitted, published = Recording(), Recording()
    feed = list(inputs) + list(events)
    g = Graph()
    g.add("feeder", Feeder, feed, accepts=(), emits=_types(feed), publishes=())
    g.add("actor", factory, *args, **add_options)
    node_emits = g._spec()[0]["actor"].emits
    node_publishes = g._spec()[0]["actor"].publishes
    g.add("emitted", Collector, emitted, accepts=node_emits or (object,), emits=(), publishes=())
    g.add("events", Collector, published, accepts=(object,), emits=(), publishes=())
    for t in _types(feed):
        g.route(t, "feeder", "actor")
    for t in node_emits:
        g.route(t, "actor", "emitted")
    if node_publishes:
        g.subscribe("events", *node_publishes)
    session = g.build(session_id="test")
    await session.run()
    return RunResult(emitted=emitted, events=published, stats=session.statistics())


async def run_graph(graph: Graph, *, session_id: str = "test") -> SessionGraph:
    """Build ``graph`` and run it unsupervised until every actor has ended.

    Returns:
        The built :class:`SessionGraph`, for its ``statistics()``.

    Raises:
        ExceptionGroup: an actor crashed (the others were cancelled).
    """
    session = graph.build(session_id=session_id)
    await session.run()
    return session


class FakeConnection:
    """One end of an in-memory WebSocket-like connection (see :func:`connection_pair`).

    It has the methods the transport actors use: ``get_message``, ``send_message``, ``aclose``
    and ``closed``; every message sent is also recorded in ``sent`` with its trio time.
    """

    def __init__(
        self,
        send: trio.MemorySendChannel[Any],
        recv: trio.MemoryReceiveChannel[Any],
        path: str = "/ws",
    ) -> None:
        self._send = send
        self._recv = recv
        self.path = path
        self.sent: list[tuple[float, Any]] = []
        self.close_code: int | None = None
        self.peer: FakeConnection | None = None

    @property
    def closed(self) -> Any:
        """The close reason once closed, else None."""
        return self.close_code

    async def get_message(self) -> Any:
        """Receive the peer's next message.

        Raises:
            trio_websocket.ConnectionClosed: the connection was closed.
        """
        from trio_websocket import CloseReason, ConnectionClosed

        try:
            return await self._recv.receive()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            code = self.close_code or (self.peer.close_code if self.peer else None) or 1000
            raise ConnectionClosed(CloseReason(code, None)) from None

    async def send_message(self, message: Any) -> None:
        """Send a message to the peer (never blocks for long: the buffer is large)."""
        await trio.lowlevel.checkpoint()
        self.send_nowait(message)

    def send_nowait(self, message: Any) -> None:
        """Send a message to the peer without a schedule point (an in-process load generator
        that paces itself, like a transport's own receive loop).

        Raises:
            trio_websocket.ConnectionClosed: the connection was closed.
        """
        from trio_websocket import CloseReason, ConnectionClosed

        if self.close_code is not None:
            raise ConnectionClosed(CloseReason(self.close_code, None))
        self.sent.append((trio.current_time(), message))
        try:
            self._send.send_nowait(message)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            raise ConnectionClosed(CloseReason(1006, None)) from None

    async def send_messages(self, messages: list[Any]) -> None:
        """Send several messages to the peer with one schedule point (a batched write)."""
        await trio.lowlevel.checkpoint()
        for message in messages:
            self.send_nowait(message)

    def can_send_now(self) -> bool:
        """Always: the in-memory buffer takes every write at once (``send_messages_now``)."""
        return True

    def send_messages_now(self, messages: list[Any]) -> int:
        """Send several messages at once without a schedule point, as the server's socket
        connection does when its buffer has room. Returns 0 (nothing left to finish)."""
        for message in messages:
            self.send_nowait(message)
        return 0

    async def finish_send(self) -> None:
        """Nothing is ever left over here (see ``send_messages_now``)."""
        await trio.lowlevel.checkpoint()

    async def aclose(self, code: int = 1000, reason: str | None = None) -> None:
        """Close both directions; the peer's ``get_message`` raises ``ConnectionClosed``."""
        await trio.lowlevel.checkpoint()
        self.close(code)

    def close(self, code: int = 1000) -> None:
        """Synchronous :meth:`aclose`."""
        if self.close_code is None:
            self.close_code = code
            if self.peer is not None and self.peer.close_code is None:
                self.peer.close_code = code
            self._send.close()
            self._recv.close()


def connection_pair(
    path: str = "/ws", buffer: int = 100_000
) -> tuple[FakeConnection, FakeConnection]:
    """A connected (server, client) pair of :class:`FakeConnection`, for socket-free tests."""
    a_send, b_recv = trio.open_memory_channel[Any](buffer)
    b_send, a_recv = trio.open_memory_channel[Any](buffer)
    server = FakeConnection(a_send, a_recv, path)
    client = FakeConnection(b_send, b_recv, path)
    server.peer, client.peer = client, server
    return server, client


def client_ready(version: str = "2.2.0", request_id: str = "cr1") -> Any:
    """A client's RTVI ``client-ready`` as the transport hands it on (a ``ClientRtvi``)."""
    from .voice import ClientRtvi

    return ClientRtvi(
        data=json.dumps(
            {
                "label": "rtvi-ai",
                "type": "client-ready",
                "id": request_id,
                "data": {"version": version, "about": {"library": "test"}},
            }
        )
    )
