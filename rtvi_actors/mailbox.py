"""Mailboxes: one bounded FIFO per actor, with an explicit overflow policy and counters.

The session graph owns each mailbox's channel for the whole session; every actor incarnation
works on clones, so a crashed incarnation neither discards the buffer nor breaks its senders.
"""

from __future__ import annotations

import enum
import math
from typing import Any, Final, final

import attrs
import structlog
import trio

__all__ = ["Mailbox", "MailboxFull", "MailboxStatistics", "Overflow"]

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
    """A snapshot of one mailbox: trio's channel figures plus the drop counters."""

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


class _MailboxState:
    """The graph-owned side of a mailbox: the original channel ends and the counters.

    Counters are plain integers mutated from the single trio thread; nothing here blocks.
    """

    __slots__ = (
        "_last_warn",
        "_unreported",
        "dropped_overflow",
        "dropped_stale",
        "owner",
        "received",
        "recv",
        "send",
        "sent",
        "spec",
    )

    def __init__(self, owner: str, spec: Mailbox) -> None:
        self.owner = owner
        self.spec = spec
        self.send, self.recv = trio.open_memory_channel[Any](spec.size)
        self.sent = 0
        self.received = 0
        self.dropped_overflow = 0
        self.dropped_stale = 0
        self._last_warn = -math.inf
        self._unreported = 0

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
                peak_buffer_used=self.send.statistics().peak_buffer_used,
            )
            self._last_warn = now
            self._unreported = 0

    def statistics(self) -> MailboxStatistics:
        s = self.recv.statistics()
        return MailboxStatistics(
            owner=self.owner,
            max_buffer_size=s.max_buffer_size,
            current_buffer_used=s.current_buffer_used,
            peak_buffer_used=getattr(s, "peak_buffer_used", s.current_buffer_used),
            tasks_waiting_send=s.tasks_waiting_send,
            tasks_waiting_receive=s.tasks_waiting_receive,
            open_send_channels=s.open_send_channels,
            sent=self.sent,
            received=self.received,
            dropped_overflow=self.dropped_overflow,
            dropped_stale=self.dropped_stale,
        )
