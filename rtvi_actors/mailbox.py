"""Mailboxes: one bounded FIFO per actor, with an explicit overflow policy and counters.

:class:`Mailbox` is the spec an actor is added with. :class:`MailboxQueue` is the runtime side:
one small object per actor per session, owned by the session graph, so a crashed incarnation
neither discards the buffer nor breaks its senders. It is a deque with a fixed capacity, a count
of the producers that may still feed it (end-of-input when it reaches zero), the one task
receiving from it and the tasks waiting for room, parked with
:func:`trio.lowlevel.wait_task_rescheduled` — no per-edge or per-incarnation channel objects.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from typing import Any, Final, final

import attrs
import structlog
import trio
from trio.lowlevel import (
    Abort,
    Task,
    cancel_shielded_checkpoint,
    checkpoint_if_cancelled,
    current_task,
    enable_ki_protection,
    reschedule,
    wait_task_rescheduled,
)

__all__ = ["EMPTY", "Mailbox", "MailboxFull", "MailboxQueue", "MailboxStatistics", "Overflow"]

_WARN_INTERVAL: Final = 1.0  # seconds between two overflow warnings of one mailbox


class Overflow(enum.Enum):
    """What a sender does when the destination mailbox is full."""

    BLOCK = "block"
    """Wait for room: backpressure."""
    DROP_NEWEST = "drop_newest"
    """Drop the message being sent, count it, and warn at most once a second."""
    RAISE = "raise"
    """Raise :class:`MailboxFull` in the sender: a full mailbox here is a bug."""


class MailboxFull(Exception):
    """A message was sent on a :attr:`Overflow.RAISE` edge whose mailbox was full."""


@final
@attrs.frozen
class Mailbox:
    """The spec of an actor's mailbox: its capacity and default overflow policy.

    Args:
        size: how many messages it buffers (at least 1; unbounded mailboxes are refused).
        overflow: the policy of every edge into it that does not choose its own.
    """

    size: int = attrs.field(default=16)
    overflow: Overflow = Overflow.BLOCK

    @size.validator
    def _check_size(self, _attr: attrs.Attribute[int], value: int) -> None:
        if not isinstance(value, int) or value < 1 or value == math.inf:
            raise ValueError(f"a mailbox holds at least 1 message and is bounded, got {value!r}")


@final
@attrs.frozen(kw_only=True)
class MailboxStatistics:
    """A snapshot of one mailbox: its buffer, waiting tasks and producers, and the counters.

    ``open_send_channels`` is the number of producers that may still feed the mailbox; it ends
    (end-of-input) when that reaches zero and the buffer is empty.
    """

    owner: str
    max_buffer_size: int
    current_buffer_used: int
    peak_buffer_used: int
    tasks_waiting_send: int
    tasks_waiting_receive: int
    open_send_channels: int
    sent: int
    received: int
    dropped_overflow: int
    dropped_stale: int


@final
class _Empty:
    __slots__ = ()

    def __repr__(self) -> str:
        return "EMPTY"


EMPTY: Final = _Empty()
"""What :meth:`MailboxQueue.try_receive` returns when nothing is queued."""


@final
class MailboxQueue:
    """The runtime side of one mailbox: a bounded FIFO that outlives actor incarnations.

    Any number of tasks may send; one task at a time receives (the running incarnation). When
    a receiver is waiting, a send hands the message to it directly, so the buffer holds only
    what nobody is waiting for (like a trio memory channel). Counters are plain integers
    mutated from the trio thread.

    Args:
        owner: the actor's name (for statistics and logs).
        spec: capacity and default overflow policy.
        producers: how many producers feed it; each calls :meth:`producer_done` once.
    """

    __slots__ = (
        "_abort",
        "_buffer",
        "_capacity",
        "_closed",
        "_handoff",
        "_last_warn",
        "_peak",
        "_producers",
        "_receiver",
        "_senders",
        "_unreported",
        "dropped_overflow",
        "dropped_stale",
        "inline",
        "owner",
        "received",
        "sent",
        "spec",
    )

    def __init__(self, owner: str, spec: Mailbox, producers: int) -> None:
        self.owner = owner
        self.spec = spec
        self._capacity = spec.size
        self._buffer: deque[Any] | None = None  # created on the first buffered message
        self._producers = producers
        self._closed = False
        self._receiver: Task | None = None
        self._handoff: Any = EMPTY  # a message handed to the receiver, until it runs
        self._senders: dict[Task, Any] | None = None  # blocked senders, FIFO: task -> message
        self._peak = 0
        self.sent = 0
        self.received = 0
        self.dropped_overflow = 0
        self.dropped_stale = 0
        self._last_warn = -math.inf
        self._unreported = 0
        self._abort = self._abort_receive  # bound once: every wait passes it
        self.inline: Any = None
        """Set by the running incarnation: ``inline(msg) -> bool`` handles a message in the
        sender's step while the receiver waits (see ``Actor.handle_now``)."""

    # -- sending -------------------------------------------------------------------------------

    @enable_ki_protection
    def try_send(self, msg: Any) -> bool:
        """Deliver ``msg`` if there is room, never blocking and never yielding.

        A waiting receiver that handles ``msg`` inline (``inline``) does so in this call.

        Returns:
            True when delivered (to the waiting receiver, or into the buffer); False when full.

        Raises:
            trio.BrokenResourceError: the mailbox was closed (the session ended).
            trio.ClosedResourceError: its input has ended (every producer finished).
        """
        if self._producers <= 0:
            raise trio.BrokenResourceError if self._closed else trio.ClosedResourceError
        task = self._receiver
        if task is not None:  # a receiver is waiting, so the buffer is empty: hand it over
            inline = self.inline
            if inline is not None and inline(msg):  # or it was handled right here
                self.sent += 1
                self.received += 1
                return True
            self._receiver = None
            self._handoff = msg
            self.sent += 1
            reschedule(task)
            return True
        buf = self._buffer
        if buf is None:
            buf = self._buffer = deque()
        used = len(buf)
        if used >= self._capacity:
            return False
        buf.append(msg)
        self.sent += 1
        if used >= self._peak:
            self._peak = used + 1
        return True

    @enable_ki_protection
    async def send(self, msg: Any) -> None:
        """Deliver ``msg``, waiting for room while the mailbox is full (backpressure).

        Waiting senders are served in FIFO order.

        Raises:
            trio.BrokenResourceError: the mailbox is or was closed while waiting.
            trio.ClosedResourceError: its input has ended.

        Cancellation: a checkpoint, like ``trio.MemorySendChannel.send``. A cancelled send
        delivered nothing.
        """
        await checkpoint_if_cancelled()
        if self.try_send(msg):
            await cancel_shielded_checkpoint()
            return
        task = current_task()
        if self._senders is None:
            self._senders = {}
        senders = self._senders
        senders[task] = msg

        def abort(_: Any) -> Abort:
            del senders[task]
            return Abort.SUCCEEDED

        await wait_task_rescheduled(abort)
        if self._closed:  # woken by close(): what was buffered has been discarded
            raise trio.BrokenResourceError("the mailbox was closed")

    # -- receiving -----------------------------------------------------------------------------

    @enable_ki_protection
    def try_receive(self) -> Any:
        """The oldest queued message, or :data:`EMPTY`; never blocks and never yields.

        Taking a message makes room: the first blocked sender's message moves into the buffer.
        """
        buf = self._buffer
        if not buf:
            return EMPTY
        msg = buf.popleft()
        senders = self._senders
        if senders:
            task = next(iter(senders))
            buf.append(senders.pop(task))
            self.sent += 1
            reschedule(task)
        self.received += 1
        return msg

    @enable_ki_protection
    async def receive(self) -> Any:
        """The next message, waiting for one if none is queued.

        Raises:
            trio.EndOfChannel: every producer has finished and the buffer is empty, or the
                mailbox was closed.
            trio.BusyResourceError: another task is already receiving from this mailbox.

        Cancellation: a checkpoint, like ``trio.MemoryReceiveChannel.receive``. A cancelled
        receive took nothing: the message stays queued for the next receive.
        """
        await checkpoint_if_cancelled()
        msg = self.try_receive()
        if msg is not EMPTY:
            await cancel_shielded_checkpoint()
            return msg
        return await self.receive_empty()

    @enable_ki_protection
    async def receive_empty(self) -> Any:
        """Like :meth:`receive`, for a caller that has just found the mailbox empty with
        :meth:`try_receive` (no schedule point since): it parks at once, without checking
        the buffer again. The actor loop's path between two messages.

        Raises:
            trio.EndOfChannel, trio.BusyResourceError: as :meth:`receive`.

        Cancellation: the wait is the checkpoint; a cancelled wait took nothing.
        """
        if self._producers <= 0:
            raise trio.EndOfChannel
        if self._receiver is not None or self._handoff is not EMPTY:
            raise trio.BusyResourceError("another task is already receiving from this mailbox")
        self._receiver = current_task()
        await wait_task_rescheduled(self._abort)
        msg, self._handoff = self._handoff, EMPTY
        if msg is EMPTY:  # woken by the end of input or close()
            raise trio.EndOfChannel
        self.received += 1
        return msg

    def _abort_receive(self, _: Any) -> Abort:
        self._receiver = None
        return Abort.SUCCEEDED

    # -- producers and closing -----------------------------------------------------------------

    @property
    def producers(self) -> int:
        """How many producers may still feed this mailbox (0: its input has ended)."""
        return self._producers

    @enable_ki_protection
    def producer_done(self) -> None:
        """One producer will send nothing more; the last one ends the input (EOF once drained).

        A waiting receiver is woken with :exc:`trio.EndOfChannel`.
        """
        if self._producers <= 0:
            return
        self._producers -= 1
        if self._producers == 0:
            self._wake_receiver()

    @enable_ki_protection
    def close(self) -> None:
        """Close for good (end of session): buffered messages are discarded, a waiting receiver
        gets :exc:`trio.EndOfChannel`, blocked and later senders :exc:`trio.BrokenResourceError`.

        Idempotent; never blocks.
        """
        self._closed = True
        self._producers = 0
        if self._buffer:
            self._buffer.clear()
        senders, self._senders = self._senders, None
        for task in senders or ():
            reschedule(task)
        self._wake_receiver()

    def _wake_receiver(self) -> None:
        task = self._receiver
        if task is not None:
            self._receiver = None
            reschedule(task)  # no hand-off: EndOfChannel

    # -- accounting ----------------------------------------------------------------------------

    def count_overflow(self, source: str, msg: Any, *, level: str = "warning") -> None:
        """Count one message dropped on a full mailbox and log it, rate-limited per mailbox."""
        self.dropped_overflow += 1
        self._unreported += 1
        now = trio.current_time()
        if now - self._last_warn >= _WARN_INTERVAL:
            log = structlog.get_logger("rtvi_actors.mailbox")
            getattr(log, level)(
                "mailbox.overflow",
                mailbox=self.owner,
                source=source,
                message=type(msg).__name__,
                dropped=self._unreported,
                dropped_total=self.dropped_overflow,
                peak_buffer_used=self._peak,
            )
            self._last_warn = now
            self._unreported = 0

    def statistics(self) -> MailboxStatistics:
        """A snapshot of the buffer, the waiting tasks, the open producers and the counters."""
        return MailboxStatistics(
            owner=self.owner,
            max_buffer_size=self._capacity,
            current_buffer_used=len(self._buffer or ()),
            peak_buffer_used=self._peak,
            tasks_waiting_send=len(self._senders or ()),
            tasks_waiting_receive=int(self._receiver is not None),
            open_send_channels=self._producers,
            sent=self.sent,
            received=self.received,
            dropped_overflow=self.dropped_overflow,
            dropped_stale=self.dropped_stale,
        )
