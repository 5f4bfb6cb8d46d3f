"""The write watchdog: one task per run keeps every writer's deadline, exactly on trio's clock."""

import trio
import trio.testing

from actors.watchdog import current_watchdog


async def test_a_stalled_write_is_reported_at_its_deadline(autojump_clock) -> None:
    watchdog = current_watchdog()
    assert current_watchdog() is watchdog  # one per run
    stalled: list[float] = []
    watchdog.start(trio.current_time() + 5.0, lambda: stalled.append(trio.current_time()))
    await trio.sleep(10)
    assert stalled == [5.0]
    assert watchdog.statistics().stalls == 1
    assert watchdog.statistics().in_flight == 0


async def test_finished_writes_are_never_reported(autojump_clock) -> None:
    watchdog = current_watchdog()
    stalled: list[int] = []
    for i in range(1000):
        token = watchdog.start(trio.current_time() + 1.0, lambda i=i: stalled.append(i))
        await trio.sleep(0.01)
        watchdog.finish(token)
        watchdog.finish(token)  # idempotent
    await trio.sleep(5)
    assert stalled == []
    stats = watchdog.statistics()
    assert stats.in_flight == 0 and stats.stalls == 0
    # it slept until the earliest deadline, not once per write
    assert stats.wakeups <= 12


async def test_an_earlier_deadline_wakes_it_sooner(autojump_clock) -> None:
    watchdog = current_watchdog()
    seen: list[tuple[str, float]] = []
    watchdog.start(10.0, lambda: seen.append(("late", trio.current_time())))
    await trio.sleep(1)
    watchdog.start(2.0, lambda: seen.append(("early", trio.current_time())))
    await trio.sleep(20)
    assert seen == [("early", 2.0), ("late", 10.0)]


async def test_a_failing_callback_does_not_stop_the_watchdog(autojump_clock) -> None:
    watchdog = current_watchdog()
    seen: list[float] = []

    def boom() -> None:
        raise RuntimeError("writer bug")

    watchdog.start(1.0, boom)
    watchdog.start(3.0, lambda: seen.append(trio.current_time()))
    await trio.sleep(5)
    assert seen == [3.0]
    assert watchdog.statistics().stalls == 2


def test_each_run_has_its_own_watchdog() -> None:
    async def get() -> object:
        return current_watchdog()

    clock = trio.testing.MockClock(autojump_threshold=0)
    assert trio.run(get, clock=clock) is not trio.run(get, clock=clock)
