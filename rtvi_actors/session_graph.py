"""A built graph for one session: its mailboxes and cells, on routing tables shared by every
session of the same graph structure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, final

import attrs
import structlog
import trio

from .cell import ActorCell, ActorStatistics
from .control import SessionControl
from .graph import SESSION, SESSION_EVENTS
from .mailbox import MailboxQueue, Overflow
from .messages import Interrupted

if TYPE_CHECKING:
    from collections.abc import Hashable

    from .graph import Graph, _Node

__all__ = ["GraphStatistics", "SessionGraph"]

_PLAN_CACHE_SIZE: Final = 32
"""Distinct graph structures whose compiled tables are kept (oldest evicted first)."""


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


class _Plan:
    """A graph's routing compiled once, shared (read-only) by every session built from a graph
    of the same structure. Actors are numbered in start order; bit ``i`` of a mask is actor i.
    """

    __slots__ = (
        "active",
        "events",
        "feeds_out",
        "index",
        "inlets",
        "names",
        "producers",
        "routes",
        "session_events",
        "session_fed",
        "session_only",
        "specs",
    )

    def __init__(self, graph: Graph) -> None:
        nodes, routes, subs, inlets = graph._spec()
        names = tuple(nodes)
        index = {name: i for i, name in enumerate(names)}
        # (producer, destination) pairs in the order they were first connected
        edges: dict[tuple[str, int], None] = {}
        route_table: list[dict[type, list[tuple[int, Overflow]]]] = [
            {t: [] for t in nodes[n].emits} for n in names
        ]
        for r in routes:
            d = index[r.dst]
            edges[(r.src, d)] = None
            route_table[index[r.src]].setdefault(r.type, []).append((d, graph.edge_overflow(r)))
        event_table: dict[str, dict[type, list[int]]] = {
            n: {t: [] for t in nodes[n].publishes} for n in names
        }
        event_table[SESSION] = {t: [] for t in SESSION_EVENTS}
        for dst, t in subs:
            for src, table in event_table.items():
                for published, dsts in table.items():
                    if issubclass(published, t):
                        dsts.append(index[dst])
                        edges[(src, index[dst])] = None
        inlet_table: dict[str, tuple[type, ...]] = {}
        for dst, t in inlets:
            inlet_table[dst] = (*inlet_table.get(dst, ()), t)
            edges[(SESSION, index[dst])] = None
        feeds: list[set[str]] = [set() for _ in names]
        for src, d in edges:
            feeds[d].add(src)
        self.names = names
        self.index = index
        self.specs = tuple(nodes[n].mailbox for n in names)
        self.routes = tuple({t: tuple(ds) for t, ds in table.items()} for table in route_table)
        self.events = tuple({t: tuple(ds) for t, ds in event_table[n].items()} for n in names)
        self.session_events = {t: tuple(ds) for t, ds in event_table[SESSION].items()}
        self.inlets = inlet_table
        self.feeds_out = tuple(tuple(d for s, d in edges if s == n) for n in names)
        self.producers = tuple(len(f) for f in feeds)
        self.session_fed = _mask(d for d, f in enumerate(feeds) if SESSION in f)
        # A mailbox fed only by the session (a pure session-event subscriber) stays open until
        # every other actor has ended; other mailboxes never stay open for session events alone.
        self.session_only = _mask(d for d, f in enumerate(feeds) if f == {SESSION})
        self.active = _mask(range(len(names))) & ~self.session_only


def _mask(indices: Any) -> int:
    m = 0
    for i in indices:
        m |= 1 << i
    return m


_plans: dict[Hashable, _Plan] = {}
_log = structlog.get_logger("rtvi_actors.graph")


def _compile(graph: Graph) -> _Plan:
    """The compiled tables of ``graph``'s structure: validated and compiled on first use.

    Raises:
        GraphError: see :meth:`Graph.validate`.
    """
    key = graph._structure()
    plan = _plans.get(key)
    if plan is None:
        graph.validate()
        plan = _Plan(graph)
        if len(_plans) >= _PLAN_CACHE_SIZE:
            del _plans[next(iter(_plans))]
        _plans[key] = plan
    return plan


class SessionGraph:
    """The runtime side of a :class:`~rtvi_actors.Graph` for one session.

    The graph owns every mailbox for the whole session; incarnations come and go on them. A
    mailbox reaches end-of-input once every producer that feeds it (an actor, or the session
    itself for its own events and inlets) has finished (:meth:`producer_finished`). The routing
    tables are compiled once per graph structure and shared between sessions.

    Raises:
        GraphError: ``graph`` is invalid (see :meth:`Graph.validate`).
    """

    def __init__(self, graph: Graph, *, session_id: str = "") -> None:
        plan = _compile(graph)
        self._plan = plan
        self.session_id = session_id
        self.control = SessionControl()
        self.nodes: dict[str, _Node] = graph._spec()[0]
        self.order: tuple[str, ...] = plan.names
        self.mailboxes: tuple[MailboxQueue, ...] = tuple(
            MailboxQueue(name, spec, n)
            for name, spec, n in zip(plan.names, plan.specs, plan.producers, strict=True)
        )
        self.supervisor: Any = None
        """The supervisor running this graph, set by it (for its ``statistics()``)."""
        self._finished = 0  # mask of the actors that will produce nothing more
        self._session_open = plan.session_fed  # mask of the mailboxes the session still feeds
        self.cells: dict[str, ActorCell] = {
            name: ActorCell(self.nodes[name], self, i) for i, name in enumerate(plan.names)
        }
        self.control.add_listener(self._on_interrupt)

    def producer_finished(self, src: str) -> None:
        """``src`` will produce nothing more: release its feeds so EOF can propagate.

        Idempotent. The session's own event feed into a mailbox never keeps it open alone.
        """
        plan = self._plan
        i = plan.index.get(src)
        if i is not None:
            if self._finished & (1 << i):
                return
            self._finished |= 1 << i
            for d in plan.feeds_out[i]:
                self.mailboxes[d].producer_done()
                self._release_session_feed(d)
        if self._finished & plan.active == plan.active:
            for d in range(len(plan.names)):
                if plan.session_only & (1 << d):
                    self._release_session_feed(d, force=True)

    def _release_session_feed(self, d: int, *, force: bool = False) -> None:
        bit = 1 << d
        if self._plan.session_only & bit and not force:
            return
        mailbox = self.mailboxes[d]
        if self._session_open & bit and mailbox.producers == 1:  # only the session feeds it
            self._session_open &= ~bit
            mailbox.producer_done()

    def publish(self, event: Any) -> None:
        """Publish a session event (:data:`~rtvi_actors.SESSION_EVENTS`) to its subscribers.

        Never blocks; a full subscriber mailbox drops the event, counted and logged.

        Raises:
            TypeError: ``event`` is not a session event.
        """
        table = self._plan.session_events
        for base in type(event).__mro__:
            dsts = table.get(base)
            if dsts is None:
                continue
            for d in dsts:
                if not self._session_open & (1 << d):
                    continue  # that subscriber's input has ended
                mailbox = self.mailboxes[d]
                if not mailbox.try_send(event):
                    mailbox.count_overflow(SESSION, event, level="error")
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
        plan = self._plan
        if not isinstance(msg, plan.inlets.get(dst, ())):
            raise TypeError(f"no inlet for {type(msg).__name__} into {dst!r}")
        d = plan.index[dst]
        if not self._session_open & (1 << d):
            return False
        mailbox = self.mailboxes[d]
        if mailbox.try_send(msg):
            return True
        mailbox.count_overflow(SESSION, msg)
        return False

    def interrupt(self, reason: str) -> int:
        """Start a new epoch now: see :meth:`SessionControl.interrupt`. Returns the new epoch."""
        return self.control.interrupt(reason)

    def _on_interrupt(self, epoch: int, reason: str) -> None:
        for cell in self.cells.values():
            cell._on_interrupt(epoch)
        _log.info("session.interrupted", epoch=epoch, reason=reason)
        self.publish(Interrupted(new_epoch=epoch, reason=reason, at=trio.current_time()))

    def close(self) -> None:
        """Close every mailbox (end of session). Buffered messages are discarded; a blocked
        sender gets ``trio.BrokenResourceError`` and a waiting receiver end-of-input."""
        self._session_open = 0
        for mailbox in self.mailboxes:
            mailbox.close()

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
