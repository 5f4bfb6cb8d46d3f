"""The graph builder: actors by name, typed routes, event subscriptions, checked when built."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final, final

import attrs

from .actor import Actor
from .mailbox import Mailbox, Overflow
from .messages import Interrupted, StageFailed, StageRestarted

if TYPE_CHECKING:
    from .session_graph import SessionGraph

__all__ = ["RESTART_TYPES", "SESSION", "SESSION_EVENTS", "Graph", "GraphError"]

SESSION: Final = "@session"
"""The name under which the session itself publishes its events."""

SESSION_EVENTS: Final[tuple[type, ...]] = (Interrupted, StageRestarted, StageFailed)
"""Events the session publishes itself; any actor may subscribe to them."""

RESTART_TYPES: Final = ("permanent", "transient", "temporary")


class GraphError(ValueError):
    """The graph is invalid. The message lists every problem found, one per line."""


@final
@attrs.frozen(kw_only=True)
class _Node:
    name: str
    factory: Callable[[], Actor]
    accepts: tuple[type, ...]
    emits: tuple[type, ...]
    publishes: tuple[type, ...]
    mailbox: Mailbox
    restart: str
    significant: bool
    interrupt_on_restart: bool
    can_interrupt: bool
    backoff: Any


@final
@attrs.frozen(kw_only=True)
class _Route:
    type: type
    src: str
    dst: str
    overflow: Overflow | None


def _declared(factory: Any, attr: str) -> tuple[type, ...]:
    target = factory
    while isinstance(target, functools.partial):
        target = target.func
    value = getattr(target, attr, None)
    if value is None:
        value = getattr(factory, attr, ())
    return tuple(value)


def _covers(declared: Iterable[type], t: type) -> bool:
    return any(issubclass(t, d) for d in declared)


class Graph:
    """Describe one session's actors and how messages flow between them.

    Example::

        g = Graph()
        g.add("ws_in", WsReceiver, conn, significant=True)
        g.add("echo", Echo, interrupt_on_restart=True)
        g.add("ws_out", WsSender, conn, significant=True)
        g.route(TextIn, "ws_in", "echo")
        g.route(TextOut, "echo", "ws_out")
        session_graph = g.build(session_id="abc")

    Nothing runs until the built graph is run by a supervisor (``supervisors.run_session``)
    or, for tests, by :meth:`SessionGraph.run`.
    """

    def __init__(self) -> None:
        self._nodes: dict[str, _Node] = {}
        self._routes: list[_Route] = []
        self._discards: set[tuple[type, str]] = set()
        self._subs: list[tuple[str, type]] = []
        self._inlets: list[tuple[str, type]] = []

    def add(
        self,
        name: str,
        factory: Callable[..., Actor],
        *args: Any,
        mailbox: Mailbox | None = None,
        accepts: Iterable[type] | None = None,
        emits: Iterable[type] | None = None,
        publishes: Iterable[type] | None = None,
        restart: str = "transient",
        significant: bool = False,
        interrupt_on_restart: bool = False,
        can_interrupt: bool = False,
        backoff: Any = None,
    ) -> Graph:
        """Add an actor built by ``factory(*args)`` for each incarnation.

        Args:
            name: unique within the graph.
            factory: usually the actor class; ``accepts``/``emits``/``publishes`` are read
                from it (or from a :func:`functools.partial`'s function) unless given here.
            mailbox: capacity and default overflow policy (default: 16, block).
            restart: ``"permanent"``, ``"transient"`` (restart only after a crash; the
                default) or ``"temporary"`` (never restart).
            significant: when this actor ends, the session ends (transports).
            interrupt_on_restart: a restart also interrupts the session (bot-path stages), so a
                new incarnation never mixes with half an old response.
            can_interrupt: grant :meth:`Context.interrupt`.
            backoff: a ``supervisors.Backoff`` to wait before restarting it.

        Raises:
            GraphError: the name is taken, or an option is invalid.
        """
        if name in self._nodes or name == SESSION:
            raise GraphError(f"an actor named {name!r} already exists")
        if restart not in RESTART_TYPES:
            raise GraphError(f"actor {name!r}: restart must be one of {RESTART_TYPES}")
        built = functools.partial(factory, *args) if args else factory
        self._nodes[name] = _Node(
            name=name,
            factory=built,
            accepts=tuple(accepts) if accepts is not None else _declared(factory, "accepts"),
            emits=tuple(emits) if emits is not None else _declared(factory, "emits"),
            publishes=(
                tuple(publishes) if publishes is not None else _declared(factory, "publishes")
            ),
            mailbox=mailbox if mailbox is not None else Mailbox(),
            restart=str(restart),
            significant=significant,
            interrupt_on_restart=interrupt_on_restart,
            can_interrupt=can_interrupt,
            backoff=backoff,
        )
        return self

    def replace(self, name: str, factory: Callable[..., Actor], *args: Any) -> Graph:
        """Build actor ``name`` with ``factory(*args)`` instead, keeping its name, mailbox,
        options and routes (a custom stage in a standard graph, a fault-injecting wrapper).

        The declared ``accepts``/``emits``/``publishes`` are read from the new factory when it
        declares them, else kept.

        Raises:
            GraphError: no actor is called ``name``.
        """
        node = self._nodes.get(name)
        if node is None:
            raise GraphError(f"no actor named {name!r} to replace")
        built = functools.partial(factory, *args) if args else factory
        declared = {
            attr: _declared(factory, attr) or getattr(node, attr)
            for attr in ("accepts", "emits", "publishes")
        }
        self._nodes[name] = attrs.evolve(node, factory=built, **declared)
        return self

    def factory_of(self, name: str) -> Callable[[], Actor]:
        """The factory actor ``name`` is built with (to wrap it before :meth:`replace`)."""
        return self._nodes[name].factory

    def published(self) -> frozenset[type]:
        """Every event type some actor declares it publishes, plus the session's own."""
        types = set(SESSION_EVENTS)
        for node in self._nodes.values():
            types.update(node.publishes)
        return frozenset(types)

    def route(
        self, msg_type: type, src: str, *dsts: str, overflow: Overflow | None = None
    ) -> Graph:
        """Send every ``msg_type`` that ``src`` emits to each of ``dsts``, in that order.

        ``overflow`` overrides the destination mailbox's policy for this edge.
        """
        if not dsts:
            raise GraphError(f"route of {msg_type.__name__} from {src!r} names no destination")
        for dst in dsts:
            self._routes.append(_Route(type=msg_type, src=src, dst=dst, overflow=overflow))
        return self

    def discard(self, msg_type: type, src: str) -> Graph:
        """Declare that ``msg_type`` emitted by ``src`` goes nowhere (counted as discarded)."""
        self._discards.add((msg_type, src))
        return self

    def subscribe(self, dst: str, *event_types: type) -> Graph:
        """Deliver every published event of these types to ``dst``'s mailbox, never blocking."""
        for t in event_types:
            self._subs.append((dst, t))
        return self

    def inlet(self, dst: str, *msg_types: type) -> Graph:
        """Let the session inject these types into ``dst`` (``Session.queue``), never blocking."""
        for t in msg_types:
            self._inlets.append((dst, t))
        return self

    @property
    def names(self) -> tuple[str, ...]:
        """Actor names in the order they were added (the start order)."""
        return tuple(self._nodes)

    def validate(self) -> None:
        """Check the whole graph.

        Raises:
            GraphError: listing every problem: unknown actors, types a source does not emit or a
                destination does not accept, emitted types neither routed nor discarded,
                events nobody publishes, duplicate routes, and cycles of blocking edges.
        """
        problems: list[str] = []
        nodes = self._nodes
        seen: set[tuple[type, str, str]] = set()
        for r in self._routes:
            key = (r.type, r.src, r.dst)
            if key in seen:
                problems.append(f"route {r.type.__name__} {r.src!r} -> {r.dst!r} given twice")
            seen.add(key)
            for end in (r.src, r.dst):
                if end not in nodes:
                    problems.append(f"route {r.type.__name__}: no actor named {end!r}")
            if r.src in nodes and not _covers(nodes[r.src].emits, r.type):
                problems.append(
                    f"route {r.type.__name__}: {r.src!r} does not emit it "
                    f"(emits {[t.__name__ for t in nodes[r.src].emits]})"
                )
            if r.dst in nodes and not _covers(nodes[r.dst].accepts, r.type):
                problems.append(
                    f"route {r.type.__name__}: {r.dst!r} does not accept it "
                    f"(accepts {[t.__name__ for t in nodes[r.dst].accepts]})"
                )
        routed = {(r.type, r.src) for r in self._routes}
        for t, src in sorted(self._discards, key=lambda d: (d[1], d[0].__name__)):
            if src not in nodes:
                problems.append(f"discard {t.__name__}: no actor named {src!r}")
            elif not _covers(nodes[src].emits, t):
                problems.append(f"discard {t.__name__}: {src!r} does not emit it")
        for node in nodes.values():
            for t in node.emits:
                if (t, node.name) not in routed and (t, node.name) not in self._discards:
                    problems.append(
                        f"{node.name!r} emits {t.__name__} but it is neither routed nor "
                        f"discarded (use g.discard({t.__name__}, {node.name!r}))"
                    )
        published = self.published()
        for dst, t in self._subs:
            if dst not in nodes:
                problems.append(f"subscribe {t.__name__}: no actor named {dst!r}")
                continue
            if not _covers(nodes[dst].accepts, t):
                problems.append(f"subscribe {t.__name__}: {dst!r} does not accept it")
            if not any(issubclass(p, t) or issubclass(t, p) for p in published):
                problems.append(f"subscribe {t.__name__}: no actor publishes it")
        for dst, t in self._inlets:
            if dst not in nodes:
                problems.append(f"inlet {t.__name__}: no actor named {dst!r}")
            elif not _covers(nodes[dst].accepts, t):
                problems.append(f"inlet {t.__name__}: {dst!r} does not accept it")
        cycle = self._blocking_cycle()
        if cycle:
            problems.append("blocking edges form a cycle: " + " -> ".join(cycle))
        if problems:
            raise GraphError("invalid graph:\n  " + "\n  ".join(problems))

    def edge_overflow(self, r: _Route) -> Overflow:
        """The policy of one route: its own, or its destination mailbox's default."""
        return r.overflow if r.overflow is not None else self._nodes[r.dst].mailbox.overflow

    def _blocking_cycle(self) -> list[str]:
        adjacency: dict[str, list[str]] = {n: [] for n in self._nodes}
        for r in self._routes:
            if (
                r.src in adjacency
                and r.dst in adjacency
                and self.edge_overflow(r) is Overflow.BLOCK
            ):
                adjacency[r.src].append(r.dst)
        state: dict[str, int] = {}
        stack: list[str] = []

        def visit(n: str) -> list[str]:
            state[n] = 1
            stack.append(n)
            for m in adjacency[n]:
                if state.get(m) == 1:
                    return [*stack[stack.index(m) :], m]
                if m not in state:
                    found = visit(m)
                    if found:
                        return found
            stack.pop()
            state[n] = 2
            return []

        for n in adjacency:
            if n not in state:
                found = visit(n)
                if found:
                    return found
        return []

    def build(self, *, session_id: str = "") -> SessionGraph:
        """Validate the graph and create its mailboxes and cells for one session.

        Validation and the routing tables are computed once per graph structure (names,
        declared types, mailboxes, routes, discards, subscriptions, inlets) and shared by every
        session built from a graph of that structure.

        Raises:
            GraphError: see :meth:`validate`.
        """
        from .session_graph import SessionGraph

        return SessionGraph(self, session_id=session_id)

    # read access for SessionGraph
    def _spec(
        self,
    ) -> tuple[dict[str, _Node], list[_Route], list[tuple[str, type]], list[tuple[str, type]]]:
        return dict(self._nodes), list(self._routes), list(self._subs), list(self._inlets)

    def _structure(self) -> tuple[Any, ...]:
        """A hashable key of everything validation and routing depend on (not the factories)."""
        nodes = self._nodes.values()
        return (
            tuple((n.name, n.accepts, n.emits, n.publishes, n.mailbox) for n in nodes),
            tuple(self._routes),
            frozenset(self._discards),
            tuple(self._subs),
            tuple(self._inlets),
        )
