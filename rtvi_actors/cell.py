"""The runtime of one actor: runs incarnations, filters stale messages, applies interrupts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, final

import attrs
import structlog
import trio

from .actor import Actor, Context
from .mailbox import MailboxFull, MailboxStatistics, Overflow
from .messages import is_stale

if TYPE_CHECKING:
    from .graph import SessionGraph, _Node

__all__ = ["ActorCell", "ActorStatistics"]

_BURST = 16
"""Messages an actor may take from its mailbox in a row before it yields to the scheduler."""


@final
@attrs.frozen(kw_only=True)
class ActorStatistics:
    """A snapshot of one actor: its incarnations, work counters and mailbox."""

    name: str
    running: bool
    incarnations: int
    handled: int
    cancelled: int
    discarded: int
    mailbox: MailboxStatistics


class _Edge:
    """One producer → mailbox connection with the overflow policy of that edge."""

    __slots__ = ("dst", "overflow", "send")

    def __init__(self, dst: Any, overflow: Overflow, send: trio.MemorySendChannel[Any]) -> None:
        self.dst = dst  # the destination's _MailboxState
        self.overflow = overflow
        self.send = send


class ActorCell:
    """Runs one graph node: each :meth:`run` is one incarnation of a fresh actor.

    The cell survives restarts; the actor instance, its context and nursery do not.
    """

    def __init__(self, node: _Node, graph: SessionGraph) -> None:
        self.node = node
        self.graph = graph
        self.name = node.name
        self.mailbox = graph.mailboxes[node.name]
        self.incarnations = 0
        self.handled = 0
        self.cancelled = 0
        self.discarded = 0
        self._actor: Actor | None = None
        self._life: trio.CancelScope | None = None
        self._handler: trio.CancelScope | None = None
        self._current: Any = None
        self._watched: set[trio.CancelScope] = set()
        self._failure: BaseException | None = None
        self._routes: dict[type, tuple[_Edge, ...]] = {}
        self._events: dict[type, tuple[_Edge, ...]] = {}
        graph.control.add_listener(self._on_interrupt)

    # -- one incarnation -----------------------------------------------------------------------

    async def run(self) -> None:
        """Run one incarnation until its mailbox ends, it stops itself, or it crashes.

        Raises:
            Exception: whatever the actor raised (the supervisor decides what happens next).

        Cancellation: cancelling ends the incarnation at once; its channel clones are closed
        synchronously, so the mailbox and the edges survive for the next incarnation.
        """
        self.incarnations += 1
        recv = self.mailbox.recv.clone()
        routes, events, clones = self.graph.open_outbox(self.name)
        self._routes, self._events = routes, events
        self._failure = None
        log = structlog.get_logger("rtvi_actors.actor").bind(
            session_id=self.graph.session_id, actor=self.name, incarnation=self.incarnations
        )
        try:
            with trio.CancelScope() as life:
                self._life = life
                async with trio.open_nursery() as nursery:
                    actor = self.node.factory()
                    self._actor = actor
                    ctx = Context(self, nursery, log)
                    await actor.started(ctx)
                    await self._serve(actor, ctx, recv)
                    await actor.finished(ctx)
        finally:
            self._actor = self._life = self._handler = self._current = None
            self._watched.clear()
            recv.close()
            for clone in clones:
                clone.close()
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    async def _serve(
        self, actor: Actor, ctx: Context, recv: trio.MemoryReceiveChannel[Any]
    ) -> None:
        control = self.graph.control
        mailbox = self.mailbox
        burst = 0
        while True:
            # Take what is already queued without a scheduler round trip, but yield at least
            # every _BURST messages so a busy actor never starves the others.
            try:
                if burst >= _BURST:
                    raise trio.WouldBlock
                msg = recv.receive_nowait()
                burst += 1
            except trio.WouldBlock:
                burst = 0
                try:
                    msg = await recv.receive()
                except trio.EndOfChannel:
                    return
            except trio.EndOfChannel:
                return
            mailbox.received += 1
            if getattr(msg, "__bot_side__", False):
                if msg.epoch < control.epoch:
                    mailbox.dropped_stale += 1
                    continue
                # only a bot-side message can go stale while it is handled: only it needs a
                # scope that an interruption may cancel
                self._current = msg
                with trio.CancelScope() as scope:
                    self._handler = scope
                    await actor.handle(msg, ctx)
                self._handler = self._current = None
                if scope.cancelled_caught:
                    self.cancelled += 1
                    continue
            else:
                await actor.handle(msg, ctx)
            self.handled += 1

    # -- routing (called through the Context) ------------------------------------------------

    async def emit(self, msg: Any) -> None:
        edges = self._routes.get(type(msg))
        if edges is None:
            edges = self._lookup(self._routes, msg, "emits")
        if not edges:
            self.discarded += 1
            return
        for edge in edges:
            dst = edge.dst
            if edge.overflow is Overflow.BLOCK:
                try:
                    edge.send.send_nowait(msg)  # the common case: room in the mailbox
                except trio.WouldBlock:
                    await edge.send.send(msg)  # backpressure
                dst.sent += 1
                continue
            try:
                edge.send.send_nowait(msg)
            except trio.WouldBlock:
                if edge.overflow is Overflow.RAISE:
                    raise MailboxFull(
                        f"mailbox of {dst.owner!r} is full ({dst.spec.size}) "
                        f"sending {type(msg).__name__} from {self.name!r}"
                    ) from None
                dst.count_overflow(self.name, msg)
            else:
                dst.sent += 1

    def publish(self, event: Any) -> None:
        edges = self._events.get(type(event))
        if edges is None:
            edges = self._lookup(self._events, event, "publishes")
        for edge in edges:
            try:
                edge.send.send_nowait(event)
            except trio.WouldBlock:
                edge.dst.count_overflow(self.name, event, level="error")
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                edge.dst.count_overflow(self.name, event, level="error")
            else:
                edge.dst.sent += 1

    def _lookup(
        self, table: dict[type, tuple[_Edge, ...]], msg: Any, what: str
    ) -> tuple[_Edge, ...]:
        for base in type(msg).__mro__[1:]:
            if base in table:
                table[type(msg)] = table[base]
                return table[base]
        raise TypeError(
            f"actor {self.name!r} sent a {type(msg).__name__} it does not declare in {what}"
        )

    # -- interruption and stopping -----------------------------------------------------------

    def _on_interrupt(self, epoch: int, reason: str) -> None:
        if self._life is None:
            return
        if self._handler is not None and is_stale(self._current, epoch):
            self._handler.cancel()
        for scope in tuple(self._watched):
            scope.cancel()
        self._watched.clear()
        actor = self._actor
        if actor is None:
            return
        try:
            actor.interrupted(epoch)
        except Exception as exc:
            self._failure = exc
            self._life.cancel()

    def watch(self, scope: trio.CancelScope) -> None:
        """Cancel ``scope`` at the next interruption."""
        self._watched.add(scope)

    def unwatch(self, scope: trio.CancelScope) -> None:
        """Forget a scope registered with :meth:`watch`."""
        self._watched.discard(scope)

    def stop(self) -> None:
        """End the running incarnation normally."""
        if self._life is not None:
            self._life.cancel()

    @property
    def running(self) -> bool:
        """Whether an incarnation is running now."""
        return self._life is not None

    def statistics(self) -> ActorStatistics:
        """A snapshot of this actor's counters and mailbox."""
        return ActorStatistics(
            name=self.name,
            running=self.running,
            incarnations=self.incarnations,
            handled=self.handled,
            cancelled=self.cancelled,
            discarded=self.discarded,
            mailbox=self.mailbox.statistics(),
        )
