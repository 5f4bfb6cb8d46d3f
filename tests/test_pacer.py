"""The shared pacer, in virtual time: exact and quantized wake-ups, order, cancellation."""

from __future__ import annotations

import math
import random

import pytest
import trio
import trio.testing

from rtvi_actors import Pacer, PacerStatistics, current_pacer


async def sleeper(pacer: Pacer, deadline: float, woke: dict[float, float]) -> None:
    await pacer.sleep_until(deadline)
    woke[deadline] = trio.current_time()


def next_deadline() -> float:
    return trio.lowlevel.current_statistics().seconds_to_next_deadline


class ScheduledOrder(trio.abc.Instrument):
    """Records the order in which the watched tasks are rescheduled (woken)."""

    def __init__(self) -> None:
        self.watch: dict[trio.lowlevel.Task, str] = {}
        self.order: list[str] = []

    def task_scheduled(self, task: trio.lowlevel.Task) -> None:
        if task in self.watch:
            self.order.append(self.watch[task])


async def test_wakes_exactly_at_the_deadline_without_a_tick(autojump_clock) -> None:
    pacer = current_pacer()
    woke: dict[float, float] = {}
    deadlines = [0.013, 1.0, 0.25, 0.5, 0.0130001]
    async with trio.open_nursery() as nursery:
        for d in deadlines:
            nursery.start_soon(sleeper, pacer, d, woke)
    assert woke == {d: d for d in deadlines}
    assert pacer.statistics() == PacerStatistics(waiters=0, wake_ups=5, woken=5, tick=0.0)
    assert next_deadline() == math.inf  # idle: no deadline left behind


async def test_a_tick_rounds_up_and_batches(autojump_clock) -> None:
    pacer = current_pacer(0.01)
    woke: dict[float, float] = {}
    noisy = 0.04 * 7  # 0.28 but 28.000000000000004 ticks: float noise must not cost a tick
    deadlines = [0.013, 0.02, 0.0151, 0.051, noisy, 0.3]
    async with trio.open_nursery() as nursery:
        for d in deadlines:
            nursery.start_soon(sleeper, pacer, d, woke)
    assert woke == {
        0.013: pytest.approx(0.02),
        0.0151: pytest.approx(0.02),
        0.02: 0.02,
        0.051: pytest.approx(0.06),
        noisy: noisy,
        0.3: pytest.approx(0.3),
    }
    assert all(woke[d] >= d for d in deadlines)  # never early
    stats = pacer.statistics()
    assert (stats.wake_ups, stats.woken, stats.tick) == (4, 6, 0.01)  # 0.02 (x3), 0.06, 0.28, 0.3
    assert current_pacer(0.01) is pacer and current_pacer() is not pacer


async def test_past_deadline_is_a_checkpoint(autojump_clock) -> None:
    pacer = current_pacer()
    await trio.sleep(1)
    with trio.CancelScope() as scope:
        scope.cancel()
        await pacer.sleep_until(0.5)
    assert scope.cancelled_caught
    await pacer.sleep_until(0.5)
    assert trio.current_time() == 1.0
    assert pacer.statistics().wake_ups == 0
    with pytest.raises(ValueError):
        await pacer.sleep_until(math.nan)
    with pytest.raises(ValueError):
        Pacer(-0.01)


async def test_fifo_among_equal_deadlines_and_deadline_order_within_a_tick(autojump_clock) -> None:
    pacer = current_pacer(0.1)
    order = ScheduledOrder()
    trio.lowlevel.add_instrument(order)
    enqueued: list[str] = []

    async def named(name: str, deadline: float) -> None:
        order.watch[trio.lowlevel.current_task()] = name
        enqueued.append(name)
        await pacer.sleep_until(deadline)

    try:
        async with trio.open_nursery() as nursery:
            for i in range(8):
                nursery.start_soon(named, f"a{i}", 1.0)
        assert order.order == enqueued  # same deadline: the order they went to sleep in
        order.order.clear()
        enqueued.clear()
        deadlines = {"b0": 2.09, "b1": 2.01, "b2": 2.05, "b3": 2.01}
        async with trio.open_nursery() as nursery:  # all in the tick (2.0, 2.1]
            for name, d in deadlines.items():
                nursery.start_soon(named, name, d)
        assert trio.current_time() == pytest.approx(2.1)
        assert pacer.statistics().wake_ups == 2
        # one pass, by deadline, then in the order they went to sleep in (a stable sort)
        assert order.order == sorted(enqueued, key=deadlines.__getitem__)
    finally:
        trio.lowlevel.remove_instrument(order)


async def test_cancellation_removes_the_waiter_only(autojump_clock) -> None:
    pacer = current_pacer()
    woke: dict[float, float] = {}
    cancelled: list[bool] = []

    async def cancellable(deadline: float, scope: trio.CancelScope) -> None:
        with scope:
            await pacer.sleep_until(deadline)
        cancelled.append(scope.cancelled_caught)

    first, middle = trio.CancelScope(), trio.CancelScope()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(cancellable, 1.0, first)  # the earliest: the pacer is armed for it
        nursery.start_soon(cancellable, 2.0, middle)
        nursery.start_soon(sleeper, pacer, 1.5, woke)
        nursery.start_soon(sleeper, pacer, 3.0, woke)
        await trio.sleep(0.5)
        assert pacer.statistics().waiters == 4
        first.cancel()  # removed at once, by the cancellation itself
        assert pacer.statistics().waiters == 3
        assert next_deadline() == pytest.approx(1.5 - 0.5)  # re-armed for the next sleeper
        middle.cancel()
        assert pacer.statistics().waiters == 2
    assert cancelled == [True, True]
    assert woke == {1.5: 1.5, 3.0: 3.0}
    assert pacer.statistics() == PacerStatistics(waiters=0, wake_ups=2, woken=2, tick=0.0)

    # the only sleeper cancelled: the pacer waits without a deadline, so nothing moves
    with trio.move_on_after(1) as scope:
        await pacer.sleep_until(100.0)
    assert scope.cancelled_caught and trio.current_time() == 4.0
    assert next_deadline() == math.inf


async def test_many_waiters(autojump_clock) -> None:
    rng = random.Random(7)
    for tick in (0.0, 0.01):
        pacer = current_pacer(tick)
        start = trio.current_time()
        deadlines = [start + rng.uniform(0.001, 5.0) for _ in range(1000)]
        woke: dict[float, float] = {}
        async with trio.open_nursery() as nursery:
            for d in deadlines:
                nursery.start_soon(sleeper, pacer, d, woke)
        late = [woke[d] - d for d in deadlines]
        assert min(late) >= 0.0
        assert max(late) <= tick + 1e-9
        stats = pacer.statistics()
        assert (stats.waiters, stats.woken) == (0, 1000)
        if tick:
            assert stats.wake_ups <= 501  # at most one per tick


async def test_cancelled_while_being_woken(autojump_clock) -> None:
    pacer = current_pacer()
    woke: dict[float, float] = {}
    victim_scope = trio.CancelScope()

    class CancelOnWake(trio.abc.Instrument):
        victim: trio.lowlevel.Task | None = None

        def task_scheduled(self, task: trio.lowlevel.Task) -> None:
            if task is self.victim:  # the pacer has just woken it; it has not run yet
                victim_scope.cancel()

    hook = CancelOnWake()

    async def victim() -> None:
        hook.victim = trio.lowlevel.current_task()
        with victim_scope:
            await pacer.sleep_until(1.0)
            woke[-1.0] = trio.current_time()  # must not get here

    async def at_own_deadline() -> None:  # its cancel scope expires with its sleep
        with trio.move_on_at(2.0) as scope:
            await pacer.sleep_until(2.0)
        woke[-2.0] = float(scope.cancelled_caught)

    trio.lowlevel.add_instrument(hook)
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(victim)
            nursery.start_soon(at_own_deadline)
            for d in (1.0, 2.0, 3.0):
                nursery.start_soon(sleeper, pacer, d, woke)
    finally:
        trio.lowlevel.remove_instrument(hook)
    assert victim_scope.cancelled_caught
    assert woke == {1.0: 1.0, 2.0: 2.0, 3.0: 3.0, -2.0: 1.0}
    assert pacer.statistics().waiters == 0


def test_one_pacer_per_run_across_runs() -> None:
    pacers: list[Pacer] = []

    async def main() -> float:
        pacer = current_pacer(0.02)
        assert current_pacer(0.02) is pacer
        pacers.append(pacer)
        await pacer.sleep_until(trio.current_time() + 0.05)
        return trio.current_time()

    for _ in range(2):
        clock = trio.testing.MockClock(autojump_threshold=0)
        assert trio.run(main, clock=clock) == pytest.approx(0.06)
    assert pacers[0] is not pacers[1]
    assert pacers[1].statistics().woken == 1

    async def reuse() -> None:
        await pacers[0].sleep_until(trio.current_time() + 1)

    with pytest.raises(RuntimeError, match="another trio run"):
        trio.run(reuse, clock=trio.testing.MockClock(autojump_threshold=0))
