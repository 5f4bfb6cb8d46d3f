"""Session control: the response epoch and the synchronous interrupt."""

from __future__ import annotations

from collections.abc import Callable
from typing import final

import attrs

__all__ = ["ControlStatistics", "SessionControl"]


@final
@attrs.frozen(kw_only=True)
class ControlStatistics:
    """The epoch and how many interruptions moved it."""

    epoch: int
    interrupts: int


class SessionControl:
    """Owns a session's epoch. :meth:`interrupt` is synchronous, so no task runs between
    its steps: every listener sees the new epoch in the same scheduler step.
    """

    __slots__ = ("_listeners", "epoch", "interrupts")

    def __init__(self) -> None:
        self.epoch = 0
        self.interrupts = 0
        self._listeners: list[Callable[[int, str], None]] = []

    def add_listener(self, fn: Callable[[int, str], None]) -> None:
        """Call ``fn(new_epoch, reason)`` on every interruption, in registration order.

        Listeners must not raise; the graph's cells turn their actors' errors into crashes.
        """
        self._listeners.append(fn)

    def interrupt(self, reason: str) -> int:
        """Move to a new epoch and notify every listener. Returns the new epoch.

        Safe to call from any task; do not call it from an ``interrupted`` hook.
        """
        self.epoch += 1
        self.interrupts += 1
        epoch = self.epoch
        for fn in tuple(self._listeners):
            fn(epoch, reason)
        return epoch

    def statistics(self) -> ControlStatistics:
        """A snapshot of the epoch counters."""
        return ControlStatistics(epoch=self.epoch, interrupts=self.interrupts)
