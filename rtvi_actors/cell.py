"""The runtime of one actor: runs incarnations, filters stale messages, applies interrupts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, final

import attrs
import structlog
import trio

from .actor import Actor, Context
from .mailbox import EMPTY, MailboxFull, MailboxStatistics, Overflow
from .messages import is_stale

if TYPE_CHECKING:
    from .graph import _Node
    from .session_graph import SessionGraph

__all__ = ["ActorCell", "ActorStatistics"]

_BURST = 16
"""Messages an actor may take from its mailbox in a row before it yields to the scheduler."""

_actor_log = structlog.get_logger("rtvi_actors.actor")


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


class ActorCell:
    """Runs one graph node: each :meth:`run` is one incarnation of a fresh actor.

    The cell survives restarts; the actor instance, its context and nursery do not. Its
    routing tables are the graph's shared, compiled ones: ``type -> ((mailbox index,
    overflow), ...)`` for messages, ``type -> (mailbox index, ...)`` for events.
    """

    __slots__ = (
        "_actor",
        "_current",
        "_events",
        "_failure",
        "_handler",
        "_life",
        "_mailboxes",
        "_routes",
        "_watched",
        "cancelled",
        "discarded",
        "graph",
        "handled",
        "incarnations",
        "mailbox",
        "name",
        "node",
    )

    def __init__(self, node: _Node, graph: SessionGraph, index: int) -> None:
        self.node = node
        self.graph = graph
        self.name = node.name
        self._mailboxes = graph.mailboxes
        self.mailbox = graph.mailboxes[index]
        self.incarnations = 0
        self.handled = 0
        self.cancelled = 0
        self.discarded = 0
        self._actor: Actor | None = None
        self._life: trio.CancelScope | None = None
        self._handler: trio.CancelScope | None = None
        self._current: Any = None
        self._watched: set[trio.CancelScope] | None = None  # created by the first watch()
        self._failure: BaseException | None = None
        plan = graph._plan
        self._routes: dict[type, tuple[tuple[int, Overflow], ...]] = plan.routes[index]
        self._events: dict[type, tuple[int, ...]] = plan.events[index]

    # -- one incarnation -----------------------------------------------------------------------

    async def run(self) -> None:
        """Run one incarnation until its mailbox ends, it stops itself, or it crashes.

        Raises:
            Exception: whatever the actor raised (the supervisor decides what happens next).

        Cancellation: cancelling ends the incarnation at once; the mailbox keeps what is
        queued (a receive that was waiting took nothing) for the next incarnation.
        """
        self.incarnations += 1
        self._failure = None
        log = _actor_log.bind(
            session_id=self.graph.session_id, actor=self.name, incarnation=self.incarnations
        )
        try:
            async with trio.open_nursery() as nursery:
                # the nursery's own scope is the incarnation's life: cancelling it ends the
                # incarnation normally (stop, or a failed interrupted hook)
                self._life = nursery.cancel_scope
                actor = self.node.factory()
                self._actor = actor
                ctx = Context(self, nursery, log)
                await actor.started(ctx)
                if actor.inline:
                    self.mailbox.inline = self._inline_handler(actor, ctx)
                await self._serve(actor, ctx)
                self.mailbox.inline = None
                await actor.finished(ctx)
        finally:
            self.mailbox.inline = None
            self._actor = self._life = self._handler = self._current = None
            self._watched = None
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    async def _serve(self, actor: Actor, ctx: Context) -> None:
        # One handler scope serves many messages. An interruption cancels it only while a
        # bot-side message it made stale is being handled (see _on_interrupt); a fresh scope
        # then takes over. So handling a message costs no cancel scope of its own.
        while True:
            ended = False
            with trio.CancelScope() as scope:
                self._handler = scope
                ended = await self._serve_in(actor, ctx, scope)
            self._handler = self._current = None
            if ended:
                return
            if scope.cancelled_caught:
                self.cancelled += 1

    async def _serve_in(self, actor: Actor, ctx: Context, scope: trio.CancelScope) -> bool:
        """Handle messages until the input ends (True) or ``scope`` was cancelled (False, or
        ``Cancelled`` out of the handler it cut)."""
        control = self.graph.control
        mailbox = self.mailbox
        burst = 0
        while True:
            # Take what is already queued without a scheduler round trip, but yield at least
            # every _BURST messages so a busy actor never starves the others.
            try:
                if burst < _BURST:
                    msg = mailbox.try_receive()
                    if msg is EMPTY:
                        burst = 0
                        msg = await mailbox.receive_empty()
                    else:
                        burst += 1
                else:
                    burst = 0
                    msg = await mailbox.receive()  # a schedule point even when queued
            except trio.EndOfChannel:
                return True
            if getattr(msg, "__bot_side__", False):
                if msg.epoch < control.epoch:
                    mailbox.dropped_stale += 1
                    continue
                # only a bot-side message can go stale while it is handled
                self._current = msg
                await actor.handle(msg, ctx)
                self._current = None
                self.handled += 1
                if scope.cancel_called:
                    return False  # cut too late to stop anything: continue in a fresh scope
            else:
                await actor.handle(msg, ctx)
                self.handled += 1

    def _inline_handler(self, actor: Actor, ctx: Context) -> Any:
        """The mailbox's ``inline`` hook for this incarnation (see ``Actor.handle_now``)."""
        control = self.graph.control
        mailbox = self.mailbox
        types = frozenset(actor.inline)
        busy = False

        def inline(msg: Any) -> bool:
            nonlocal busy
            if busy or type(msg) not in types:
                return False
            if getattr(msg, "__bot_side__", False) and msg.epoch < control.epoch:
                mailbox.dropped_stale += 1  # what the actor's own loop would have done
                return True
            busy = True
            try:
                done = actor.handle_now(msg, ctx)
            except Exception as exc:  # a crash of this incarnation, not of the sender
                mailbox.inline = None  # nothing more for it until the next incarnation
                if self._failure is None:
                    self._failure = exc
                if self._life is not None:
                    self._life.cancel()
                return True
            finally:
                busy = False
            if done:
                self.handled += 1
            return done

        return inline

    # -- routing (called through the Context) ------------------------------------------------

    async def emit(self, msg: Any) -> None:
        edges = self._routes.get(type(msg))
        if edges is None:
            edges = self._lookup(self._routes, msg, "emits")
        if not edges:
            self.discarded += 1
            return
        mailboxes = self._mailboxes
        for d, overflow in edges:
            dst = mailboxes[d]
            if dst.try_send(msg):  # the common case: room in the mailbox, no schedule point
                continue
            if overflow is Overflow.BLOCK:
                await dst.send(msg)  # backpressure
            elif overflow is Overflow.RAISE:
                raise MailboxFull(
                    f"mailbox of {dst.owner!r} is full ({dst.spec.size}) "
                    f"sending {type(msg).__name__} from {self.name!r}"
                )
            else:
                dst.count_overflow(self.name, msg)

    def publish(self, event: Any) -> None:
        dsts = self._events.get(type(event))
        if dsts is None:
            dsts = self._lookup(self._events, event, "publishes")
        mailboxes = self._mailboxes
        for d in dsts:
            dst = mailboxes[d]
            try:
                if dst.try_send(event):
                    continue
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                pass
            dst.count_overflow(self.name, event, level="error")

    def _lookup(self, table: dict[type, Any], msg: Any, what: str) -> Any:
        # the table is shared by every session of this graph: remembering the subclass there
        # is safe (it depends only on the declared types)
        for base in type(msg).__mro__[1:]:
            if base in table:
                table[type(msg)] = table[base]
                return table[base]
        raise TypeError(
            f"actor {self.name!r} sent a {type(msg).__name__} it does not declare in {what}"
        )

    # -- interruption and stopping -----------------------------------------------------------

    def _on_interrupt(self, epoch: int) -> None:
        """Apply an interruption (called by the graph, in the interrupting step)."""
        if self._life is None:
            return
        if self._handler is not None and is_stale(self._current, epoch):
            self._handler.cancel()
        watched, self._watched = self._watched, None
        for scope in watched or ():
            scope.cancel()
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
        if self._watched is None:
            self._watched = set()
        self._watched.add(scope)

    def unwatch(self, scope: trio.CancelScope) -> None:
        """Forget a scope registered with :meth:`watch`."""
        if self._watched is not None:
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
