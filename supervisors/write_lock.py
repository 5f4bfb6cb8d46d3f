"""The write lock of a WebSocket connection, handed from a writer to the task that finishes.

trio-websocket serialises its writes (messages, pongs, close frames) with a
``trio.StrictFIFOLock``, which only the acquiring task may release. A write started without a
schedule point (``SessionConnection.send_messages_now``, in whatever task delivered the event)
may leave bytes that the socket did not take, and those must be finished by another task
before any other frame starts. :class:`WriteLock` is the same FIFO lock without the owner
check, so the starting task can hold it and the finishing task release it.
"""

from __future__ import annotations

from typing import Any, final

import attrs
import trio
from trio.lowlevel import ParkingLot, cancel_shielded_checkpoint, checkpoint_if_cancelled

__all__ = ["WriteLock", "WriteLockStatistics"]


@final
@attrs.frozen(kw_only=True)
class WriteLockStatistics:
    """Whether the lock is held, and how many writes wait for it."""

    locked: bool
    tasks_waiting: int


@final
class WriteLock:
    """A FIFO lock that any task may release (used as trio-websocket's ``_stream_lock``).

    Waiters are served in arrival order; :meth:`release` hands the lock straight to the first
    waiter, so a task arriving later never overtakes it.
    """

    __slots__ = ("_held", "_lot")

    def __init__(self) -> None:
        self._held = False
        self._lot = ParkingLot()

    def locked(self) -> bool:
        """Whether a write holds the lock."""
        return self._held

    def acquire_nowait(self) -> None:
        """Take the lock at once.

        Raises:
            trio.WouldBlock: it is held.
        """
        if self._held:
            raise trio.WouldBlock
        self._held = True

    async def acquire(self) -> None:
        """Take the lock, waiting in FIFO order while it is held.

        Cancellation: a checkpoint; a cancelled acquire did not take the lock.
        """
        await checkpoint_if_cancelled()
        if not self._held:
            self._held = True
            await cancel_shielded_checkpoint()
            return
        await self._lot.park()  # woken by release(), which passed the lock to this task

    def release(self) -> None:
        """Let the next write go (the first waiter now holds the lock).

        Raises:
            RuntimeError: the lock is not held.
        """
        if not self._held:
            raise RuntimeError("release of a WriteLock that is not held")
        if not self._lot.unpark():
            self._held = False

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc: Any) -> None:
        self.release()

    def statistics(self) -> WriteLockStatistics:
        """Whether it is held, and how many writes wait for it."""
        return WriteLockStatistics(locked=self._held, tasks_waiting=len(self._lot))
