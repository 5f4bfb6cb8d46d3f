"""Write deadlines without a timer per write: one watchdog task per trio run.

A WebSocket send normally completes at once; it blocks only when the client stops reading and
the socket's buffers fill. Guarding every send with its own ``trio.move_on_after`` registers
and removes a trio deadline per frame (measured: the largest single cost of sending an RTVI
message). Instead each send registers itself here (a dict insert) and the watchdog — one task
for the whole process, started on first use, asleep until the earliest registered deadline,
and parked when nothing is being written — calls the writer's ``on_stall`` once its deadline
has passed. Writers end themselves there (``ctx.stop()``), which cancels the stuck send.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final, final

import attrs
import structlog
import trio

__all__ = ["WatchdogStatistics", "WriteWatchdog", "current_watchdog"]


@final
@attrs.frozen(kw_only=True)
class WatchdogStatistics:
    """A snapshot of the watchdog: writes in flight, stalls found, and its wake-ups."""

    in_flight: int
    stalls: int
    wakeups: int


class WriteWatchdog:
    """Tracks writes in flight and reports those that outlive their deadline.

    Use :func:`current_watchdog` for the run's shared instance. ``start`` and ``finish`` never
    block, so a write costs two dictionary operations when it completes in time.
    """

    __slots__ = ("_next", "_scope", "_stalls", "_wake", "_wakeups", "_writes")

    def __init__(self) -> None:
        self._writes: dict[int, tuple[float, Callable[[], None]]] = {}
        self._next = 0
        self._wake: trio.Event | None = None
        self._scope: trio.CancelScope | None = None
        self._stalls = 0
        self._wakeups = 0

    def start(self, deadline: float, on_stall: Callable[[], None]) -> int:
        """Register a write that must finish by trio time ``deadline``; returns its token.

        ``on_stall()`` is called once, from the watchdog task, if the write is still
        registered after ``deadline``; it must not block (it typically cancels the writer).
        """
        self._next += 1
        token = self._next
        self._writes[token] = (deadline, on_stall)
        if self._wake is not None:
            self._wake.set()  # the watchdog was parked with nothing to watch
        elif self._scope is not None and deadline < self._scope.deadline:
            self._scope.deadline = deadline  # earlier than what it sleeps for
        return token

    def finish(self, token: int) -> None:
        """The write of ``token`` ended (sent, failed or cancelled). Idempotent."""
        self._writes.pop(token, None)

    async def run(self) -> None:
        """Watch forever (the run's system task). Cancellation: ends it; nothing is lost."""
        log = structlog.get_logger("rtvi_actors.watchdog")
        while True:
            if not self._writes:
                self._wake = trio.Event()
                await self._wake.wait()
                self._wake = None
            earliest = min(at for at, _ in self._writes.values()) if self._writes else math.inf
            with trio.CancelScope(deadline=earliest) as scope:
                self._scope = scope
                await trio.sleep_forever()
            self._scope = None
            self._wakeups += 1
            now = trio.current_time()
            for token, (at, on_stall) in list(self._writes.items()):
                if at <= now:
                    del self._writes[token]
                    self._stalls += 1
                    try:
                        on_stall()
                    except Exception:  # a writer's bug must not end the watchdog
                        log.exception("watchdog.on_stall_failed")

    def statistics(self) -> WatchdogStatistics:
        """A snapshot of the counters."""
        return WatchdogStatistics(
            in_flight=len(self._writes), stalls=self._stalls, wakeups=self._wakeups
        )


_WATCHDOG: Final = trio.lowlevel.RunVar[WriteWatchdog]("rtvi_actors_write_watchdog")


def current_watchdog() -> WriteWatchdog:
    """The write watchdog of the current trio run, started (as a system task) on first use."""
    try:
        return _WATCHDOG.get()
    except LookupError:
        watchdog = WriteWatchdog()
        _WATCHDOG.set(watchdog)
        trio.lowlevel.spawn_system_task(watchdog.run, name="rtvi_actors.write_watchdog")
        return watchdog
