"""A built graph for one session: it owns the mailboxes, the edges and the cells."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, final

import attrs
import structlog
import trio

from .cell import ActorCell, ActorStatistics, _Edge
from .control import SessionControl
from .graph import SESSION, SESSION_EVENTS
from .mailbox import _MailboxState
from .messages import Interrupted

if TYPE_CHECKING:
    from .graph import Graph, _Node

__all__ = ["GraphStatistics", "SessionGraph"]


@final
@attrs.frozen(kw_only=True)
class GraphStatistics:
    """A snapshot of a whole session graph."""

    session_id: str
    epoch: int
    interrupts: int
    actors: tuple[ActorStatistics, ...]
    dropped_overflow: int
    dropped_stale: int

    def actor(self, name: str) -> ActorStatistics:
        """The statistics of the actor called ``name``."""
        for a in self.actors:
            if a.name == name:
                return a
        raise KeyError(name)


class SessionGraph:
    """The runtime side of a :class:`~rtvi_actors.Graph` for one session.

    The graph owns every channel for the whole session. Each producer (an actor, or the
    session itself for its own events) holds one send clone per destination mailbox; a
    mailbox reaches end-of-input once every producer that feeds it has finished
    (:meth:`producer_finished`). Incarnations only ever work on clones of these.
    """

    def __init__(self, graph: Graph, *, session_id: str = "") -> None:
        nodes, routes, subs, inlets = graph._spec()
        self.session_id = session_id
        self.control = SessionControl()
        self.nodes: dict[str, _Node] = nodes
        self.order: tuple[str, ...] = tuple(nodes)
        self.mailboxes = {name: _MailboxState(name, n.mailbox) for name, n in nodes.items()}
        self._log = structlog.get_logger("rtvi_actors.graph")
        self.supervisor: Any = None
        """The supervisor running this graph, set by it (for its ``statistics()``)."""

        # (src, dst) -> the producer's send clone into dst's mailbox
        self._producer: dict[tuple[str, str], trio.MemorySendChannel[Any]] = {}
        self._feeds: dict[str, set[str]] = {name: set() for name in nodes}
        # src -> type -> ((dst, overflow), ...)
        self._route_table: dict[str, dict[type, list[tuple[str, Any]]]] = {
            name: {t: [] for t in n.emits} for name, n in nodes.items()
        }
        for r in routes:
            self._connect(r.src, r.dst)
            self._route_table[r.src].setdefault(r.type, []).append((r.dst, graph.edge_overflow(r)))
        # src -> event type -> (dst, ...)
        self._event_table: dict[str, dict[type, list[str]]] = {
            name: {t: [] for t in n.publishes} for name, n in nodes.items()
        }
        self._event_table[SESSION] = {t: [] for t in SESSION_EVENTS}
        for dst, t in subs:
            for src, table in self._event_table.items():
                for published in list(table):
                    if issubclass(published, t):
                        table[published].append(dst)
                        self._connect(src, dst)
        self._inlets: dict[str, tuple[type, ...]] = {}
        for dst, t in inlets:
            self._inlets[dst] = (*self._inlets.get(dst, ()), t)
            self._connect(SESSION, dst)
        for mb in self.mailboxes.values():
            mb.send.close()  # only the producers' clones keep a mailbox open now
        # A mailbox fed only by the session (a pure session-event subscriber) stays open until
        # every other actor has ended; other mailboxes never stay open for session events alone.
        self._session_only = {d for d, feeds in self._feeds.items() if feeds == {SESSION}}
        self._active = set(nodes) - self._session_only
        for dst in self.mailboxes:
            self._release_session_feed(dst)
        self.cells: dict[str, ActorCell] = {name: ActorCell(n, self) for name, n in nodes.items()}
        self.control.add_listener(self._announce_interrupt)

    def _connect(self, src: str, dst: str) -> None:
        if (src, dst) not in self._producer:
            self._producer[(src, dst)] = self.mailboxes[dst].send.clone()
            self._feeds[dst].add(src)

    def _edges_for(
        self, src: str
    ) -> tuple[dict[type, tuple[_Edge, ...]], dict[type, tuple[_Edge, ...]], list[Any]]:
        clones: dict[str, trio.MemorySendChannel[Any]] = {}

        def clone(dst: str) -> trio.MemorySendChannel[Any]:
            if dst not in clones:
                original = self._producer.get((src, dst))
                clones[dst] = original.clone() if original is not None else _closed_channel()
            return clones[dst]

        routes = {
            t: tuple(_Edge(self.mailboxes[d], ov, clone(d)) for d, ov in dests)
            for t, dests in self._route_table.get(src, {}).items()
        }
        events = {
            t: tuple(
                _Edge(self.mailboxes[d], self.mailboxes[d].spec.overflow, clone(d)) for d in dests
            )
            for t, dests in self._event_table.get(src, {}).items()
        }
        return routes, events, list(clones.values())

    def open_outbox(
        self, src: str
    ) -> tuple[dict[type, tuple[_Edge, ...]], dict[type, tuple[_Edge, ...]], list[Any]]:
        """Fresh send clones for one incarnation of ``src``: (routes, events, clones to close)."""
        return self._edges_for(src)

    def producer_finished(self, src: str) -> None:
        """``src`` will produce nothing more: close its edges so EOF can propagate.

        Idempotent. The session's own event feed into a mailbox never keeps it open alone.
        """
        for (s, dst), chan in list(self._producer.items()):
            if s == src:
                chan.close()
                del self._producer[(s, dst)]
                self._feeds[dst].discard(src)
                self._release_session_feed(dst)
        self._active.discard(src)
        if not self._active:
            for dst in self._session_only:
                self._release_session_feed(dst, force=True)

    def _release_session_feed(self, dst: str, *, force: bool = False) -> None:
        if dst in self._session_only and not force:
            return
        if self._feeds[dst] == {SESSION}:
            chan = self._producer.pop((SESSION, dst))
            chan.close()
            self._feeds[dst].clear()

    def publish(self, event: Any) -> None:
        """Publish a session event (:data:`~rtvi_actors.SESSION_EVENTS`) to its subscribers.

        Never blocks; a full subscriber mailbox drops the event, counted and logged.

        Raises:
            TypeError: ``event`` is not a session event.
        """
        table = self._event_table[SESSION]
        for base in type(event).__mro__:
            if base in table:
                for dst in table[base]:
                    chan = self._producer.get((SESSION, dst))
                    if chan is None:
                        continue  # that subscriber's input has ended
                    mailbox = self.mailboxes[dst]
                    try:
                        chan.send_nowait(event)
                    except trio.WouldBlock:
                        mailbox.count_overflow(SESSION, event, level="error")
                    except (trio.BrokenResourceError, trio.ClosedResourceError):
                        pass  # the session is closing
                    else:
                        mailbox.sent += 1
                return
        raise TypeError(f"the session does not publish {type(event).__name__}")

    def inject(self, dst: str, msg: Any) -> bool:
        """Put ``msg`` into ``dst``'s mailbox from outside the graph, never blocking.

        Returns:
            True when delivered; False when the mailbox is full (counted as an overflow) or
            its input has ended.

        Raises:
            TypeError: ``dst`` has no inlet for ``type(msg)`` (see ``Graph.inlet``).
        """
        if not isinstance(msg, self._inlets.get(dst, ())):
            raise TypeError(f"no inlet for {type(msg).__name__} into {dst!r}")
        chan = self._producer.get((SESSION, dst))
        if chan is None:
            return False
        mailbox = self.mailboxes[dst]
        try:
            chan.send_nowait(msg)
        except trio.WouldBlock:
            mailbox.count_overflow(SESSION, msg)
            return False
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return False
        mailbox.sent += 1
        return True

    def interrupt(self, reason: str) -> int:
        """Start a new epoch now: see :meth:`SessionControl.interrupt`. Returns the new epoch."""
        return self.control.interrupt(reason)

    def _announce_interrupt(self, epoch: int, reason: str) -> None:
        self._log.info("session.interrupted", epoch=epoch, reason=reason)
        self.publish(Interrupted(new_epoch=epoch, reason=reason, at=trio.current_time()))

    def close(self) -> None:
        """Close every edge and mailbox (end of session). Buffered messages are discarded."""
        for chan in self._producer.values():
            chan.close()
        self._producer.clear()
        for mb in self.mailboxes.values():
            mb.recv.close()

    async def run(self) -> None:
        """Run every actor once, unsupervised, until all have ended (for tests and tools).

        A normal exit closes that actor's edges; the first crash cancels the rest and
        propagates (in an ``ExceptionGroup``). Production sessions run under
        ``supervisors.run_session`` instead.
        """

        async def one(name: str) -> None:
            await self.cells[name].run()
            self.producer_finished(name)

        try:
            async with trio.open_nursery() as nursery:
                for name in self.order:
                    nursery.start_soon(one, name)
        finally:
            self.close()

    def statistics(self) -> GraphStatistics:
        """A snapshot of every actor and the session counters."""
        actors = tuple(cell.statistics() for cell in self.cells.values())
        return GraphStatistics(
            session_id=self.session_id,
            epoch=self.control.epoch,
            interrupts=self.control.interrupts,
            actors=actors,
            dropped_overflow=sum(a.mailbox.dropped_overflow for a in actors),
            dropped_stale=sum(a.mailbox.dropped_stale for a in actors),
        )


def _closed_channel() -> trio.MemorySendChannel[Any]:
    send, recv = trio.open_memory_channel[Any](1)
    send.close()
    recv.close()
    return send
