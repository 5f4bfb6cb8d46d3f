"""One timer for many paced tasks: a shared pacer that wakes sleepers from a heap of deadlines.

A trio timer costs a cancel scope, a deadline registered and removed, and a ``Cancelled``
raised and caught per wake-up. A real-time voice server wakes every session's audio sender
every chunk, so that cost is paid hundreds of times per session-second. A :class:`Pacer`
keeps its sleepers in one heap and holds a single trio deadline, for the earliest of them; when
it fires, the pacer task reschedules every sleeper that is due. With a ``tick``, deadlines are
rounded up to a grid so that the sleepers due within one tick wake together, in one pass.

``current_pacer(tick)`` gives the pacer shared by everything in the current ``trio.run``.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

import attrs
import trio
from trio.lowlevel import Abort, RunVar, Task

__all__ = ["Pacer", "PacerStatistics", "current_pacer"]

# A deadline less than this many ticks past a grid point wakes at that deadline instead of one
# tick later (floating-point noise in sums such as 0.04 * k must not cost a whole tick).
_GRID_SLACK = 1e-6

_PACERS: RunVar[dict[float, Pacer]] = RunVar("rtvi_actors.pacers")


@attrs.frozen
class PacerStatistics:
    """A snapshot of a :class:`Pacer`.

    Attributes:
        waiters: tasks sleeping in it now.
        wake_ups: times its timer fired (one pass over the due sleepers each).
        woken: sleepers it has woken, over all passes (``woken / wake_ups`` is the batch size).
        tick: the grid that deadlines are rounded up to (0: exact).
    """

    waiters: int
    wake_ups: int
    woken: int
    tick: float


class Pacer:
    """Sleeps many tasks on one trio timer.

    Args:
        tick: round each deadline up to a multiple of ``tick`` seconds on trio's clock, so that
            sleepers due within one tick wake together (fewer, larger wake-ups; a sleeper wakes
            up to ``tick`` late). 0 wakes each sleeper at its exact deadline.

    The pacer's loop runs as a trio system task, started on the first sleep that has to wait;
    it ends when the run ends. A pacer belongs to the trio run that first used it. Use
    :func:`current_pacer` to share one per run rather than creating your own.
    """

    def __init__(self, tick: float = 0.0) -> None:
        if not tick >= 0.0 or math.isinf(tick):
            raise ValueError("tick must be a finite number of seconds, >= 0")
        self.tick = tick
        # entries: [wake_at, deadline, seq, task]; task is None once the sleeper was cancelled
        self._heap: list[list[Any]] = []
        self._seq = 0
        self._waiters = 0
        self._wake_ups = 0
        self._woken = 0
        self._token: trio.lowlevel.TrioToken | None = None
        self._scope: trio.CancelScope | None = None  # the loop's current wait
        self._armed = math.inf  # the deadline of that wait

    def statistics(self) -> PacerStatistics:
        """Waiters now, timer wake-ups and sleepers woken so far, and the tick."""
        return PacerStatistics(
            waiters=self._waiters, wake_ups=self._wake_ups, woken=self._woken, tick=self.tick
        )

    async def sleep_until(self, deadline: float) -> None:
        """Sleep until trio's clock reaches ``deadline`` (rounded up to the tick grid).

        The same contract as :func:`trio.sleep_until`: always a checkpoint, never returns
        before ``deadline``; a deadline already past returns at the next schedule point, and
        ``math.inf`` sleeps forever.

        Cancellation: a cancelled sleeper is removed from the pacer at once (the other
        sleepers are not disturbed) and ``Cancelled`` is raised. A cancellation that arrives
        after the pacer has woken the sleeper but before it runs is raised too, so a
        cancelled task never goes on as if its sleep had completed.
        """
        if math.isnan(deadline):
            raise ValueError("deadline must not be NaN")
        if deadline <= trio.current_time():
            await trio.lowlevel.checkpoint()
            return
        if deadline == math.inf:
            await trio.sleep_forever()  # never returns
        wake_at = deadline
        tick = self.tick
        if tick:
            grid = math.ceil(deadline / tick - _GRID_SLACK) * tick
            if grid > deadline:
                wake_at = grid
        self._bind()
        self._seq += 1
        entry: list[Any] = [wake_at, deadline, self._seq, trio.lowlevel.current_task()]
        heapq.heappush(self._heap, entry)
        self._waiters += 1
        if wake_at < self._armed:
            self._armed = wake_at
            if self._scope is not None:
                self._scope.deadline = wake_at

        def abort(_: Any) -> Abort:
            entry[3] = None
            self._waiters -= 1
            if self._heap[0] is entry:
                self._rearm()
            return Abort.SUCCEEDED

        await trio.lowlevel.wait_task_rescheduled(abort)
        await trio.lowlevel.checkpoint_if_cancelled()

    def _rearm(self) -> None:
        # Drop cancelled sleepers from the top of the heap and wait for the first live one (or
        # without a deadline: an idle pacer must not move an autojumping MockClock).
        heap = self._heap
        while heap and heap[0][3] is None:
            heapq.heappop(heap)
        self._armed = heap[0][0] if heap else math.inf
        if self._scope is not None:
            self._scope.deadline = self._armed

    def _bind(self) -> None:
        token = trio.lowlevel.current_trio_token()
        if self._token is token:
            return
        if self._token is not None:
            raise RuntimeError("this Pacer belongs to another trio run; use current_pacer()")
        self._token = token
        trio.lowlevel.spawn_system_task(self._run, name=f"rtvi_actors.Pacer(tick={self.tick})")

    async def _run(self) -> None:
        heap = self._heap
        pop = heapq.heappop
        reschedule = trio.lowlevel.reschedule
        while True:
            with trio.CancelScope(deadline=self._armed) as scope:
                self._scope = scope
                await trio.sleep_forever()
            self._scope = None
            now = trio.current_time()
            woken = 0
            while heap and heap[0][0] <= now:
                task: Task | None = pop(heap)[3]
                if task is not None:
                    woken += 1
                    reschedule(task)
            self._rearm()
            self._wake_ups += 1
            self._woken += woken
            self._waiters -= woken


def current_pacer(tick: float = 0.0) -> Pacer:
    """The pacer with this ``tick`` shared by all tasks of the current ``trio.run``.

    Created on first use; its loop starts with the first sleep that has to wait and ends with
    the run. Synchronous: it never blocks.
    """
    try:
        pacers = _PACERS.get()
    except LookupError:
        pacers = {}
        _PACERS.set(pacers)
    pacer = pacers.get(tick)
    if pacer is None:
        pacer = pacers[tick] = Pacer(tick)
    return pacer
