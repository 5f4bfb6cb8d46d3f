"""The actor base class and the context the runtime hands to each incarnation."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import trio

if TYPE_CHECKING:
    from .cell import ActorCell

__all__ = ["Actor", "Context"]


class Actor:
    """Base class of every stage. Subclass it and override :meth:`handle`.

    Declare what the actor takes and gives, so the graph can be checked when it is built:

    * ``accepts``: message and event types its mailbox takes;
    * ``emits``: message types it sends downstream with :meth:`Context.emit`;
    * ``publishes``: event types it broadcasts with :meth:`Context.publish`.

    State kept on ``self`` lives exactly one incarnation: after a crash the supervisor builds a
    fresh instance from the factory, while the mailbox and edges survive.
    """

    accepts: ClassVar[tuple[type, ...]] = ()
    emits: ClassVar[tuple[type, ...]] = ()
    publishes: ClassVar[tuple[type, ...]] = ()
    inline: ClassVar[tuple[type, ...]] = ()
    """Message types (exact) that :meth:`handle_now` may take; empty: it is never called."""

    async def started(self, ctx: Context) -> None:
        """Run once per incarnation before the first message (connect to vendors, etc.).

        Cancellation: a cancelled ``started`` ends the incarnation; nothing is handled.
        """

    async def handle(self, msg: Any, ctx: Context) -> None:
        """Process one message. Messages arrive one at a time, in FIFO order.

        Cancellation: the runtime cancels this call when an interruption makes ``msg`` stale;
        the message is then lost and the actor goes on with the next one.
        """

    def handle_now(self, msg: Any, ctx: Context) -> bool:
        """Optional synchronous fast path for the types in ``inline``.

        When this actor is idle — its mailbox is empty and it waits for the next message —
        a sender delivering one of those types calls this in its own step instead of queueing
        the message and waking the actor (one scheduler round trip less). Return True when
        ``msg`` was handled exactly as :meth:`handle` would have; return False, before
        changing any state, to have it queued and handled by :meth:`handle` as usual.

        It must not block. Stale bot-side messages never reach it. An exception ends this
        incarnation as a crash reported to its supervisor (the message is lost, as with a
        crash in ``handle``); the sender is not affected. It is never re-entered: a message
        sent to this actor while it runs is queued.
        """
        return False

    def interrupted(self, epoch: int) -> None:
        """Synchronous hook: the session epoch just moved to ``epoch``.

        Called in the same scheduler step as the interruption, for every live actor. It must
        not await; clear buffers and reset timers here. If it raises, this incarnation is
        ended and reported to its supervisor as a crash.
        """

    async def finished(self, ctx: Context) -> None:
        """Run once when the mailbox reached end-of-input (every producer finished).

        Not called when the incarnation is cancelled or crashes.
        """


class Context:
    """What the runtime gives one actor incarnation: routing, events, tasks, logging.

    A context is only valid while its incarnation runs.
    """

    __slots__ = ("_cell", "_nursery", "log")

    def __init__(self, cell: ActorCell, nursery: trio.Nursery, log: Any) -> None:
        self._cell = cell
        self._nursery = nursery
        self.log = log
        """A structlog logger bound with ``session_id``, ``actor`` and ``incarnation``."""

    @property
    def name(self) -> str:
        """The actor's name in the graph."""
        return self._cell.name

    @property
    def session_id(self) -> str:
        """The id of the session this actor belongs to."""
        return self._cell.graph.session_id

    @property
    def epoch(self) -> int:
        """The session's current epoch: stamp bot-side messages with it."""
        return self._cell.graph.control.epoch

    @property
    def emit(self) -> Callable[[Any], Awaitable[None]]:
        """``await ctx.emit(msg)``: send ``msg`` to every destination routed for its type, in
        route order.

        Each destination applies its edge's overflow policy: ``BLOCK`` waits for room,
        ``DROP_NEWEST`` drops and counts, ``RAISE`` raises :class:`~rtvi_actors.MailboxFull`.

        Raises:
            TypeError: the actor did not declare ``type(msg)`` in ``emits`` (a bug).

        Cancellation: a cancelled emit may have delivered ``msg`` to some destinations and not
        to others; each single delivery is atomic. When every destination has room, emit
        completes without yielding to the scheduler (the mailbox loop yields regularly).

        (It is the runtime's own coroutine function: no extra call level on the hot path.)
        """
        return self._cell.emit

    def publish(self, event: Any) -> None:
        """Broadcast ``event`` to every subscriber without blocking.

        A full subscriber mailbox drops the event, counts it and logs an error: controllers
        are fast by construction, so this is a bug to fix, never backpressure.

        Raises:
            TypeError: the actor did not declare ``type(event)`` in ``publishes``.
        """
        self._cell.publish(event)

    def interrupt(self, reason: str) -> int:
        """Start a new response epoch now (barge-in). Synchronous; returns the new epoch.

        Only actors added with ``can_interrupt=True`` may call it.

        Raises:
            PermissionError: this actor was not granted the capability.
        """
        if not self._cell.node.can_interrupt:
            raise PermissionError(f"actor {self.name!r} was not added with can_interrupt=True")
        return self._cell.graph.interrupt(reason)

    def start_soon(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Run ``fn(*args)`` in this incarnation's own nursery.

        The task dies with the incarnation; an exception in it crashes the incarnation.
        The incarnation does not end before its tasks have returned.
        """
        self._nursery.start_soon(fn, *args)

    @contextlib.contextmanager
    def interruptible(self) -> Iterator[trio.CancelScope]:
        """A cancel scope that the next interruption cancels.

        Use it around background work for the current response (a vendor stream, say).
        """
        with trio.CancelScope() as scope:
            self._cell.watch(scope)
            try:
                yield scope
            finally:
                self._cell.unwatch(scope)

    def stop(self) -> None:
        """End this incarnation normally, as if the mailbox had reached end-of-input.

        Used by transports when the peer went away. ``finished`` is not called.
        """
        self._cell.stop()
