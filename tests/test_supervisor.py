"""The trio supervisor driver, in virtual time."""

from __future__ import annotations

import pytest
import trio

from supervisors import (
    Backoff,
    ChildSpec,
    Restart,
    RestartBudget,
    RestartIntensityExceeded,
    Strategy,
    Supervisor,
)


class Journal:
    """Records (virtual time, event, child) triples."""

    def __init__(self) -> None:
        self.entries: list[tuple[float, str, str]] = []

    def note(self, event: str, name: str) -> None:
        self.entries.append((trio.current_time(), event, name))

    def of(self, event: str) -> list[tuple[float, str]]:
        return [(t, n) for t, e, n in self.entries if e == event]


def crash_every(journal: Journal, name: str, period: float):
    async def child() -> None:
        journal.note("start", name)
        await trio.sleep(period)
        raise RuntimeError(f"{name} crashed")

    return child


def sleeper(journal: Journal, name: str):
    async def child() -> None:
        journal.note("start", name)
        try:
            await trio.sleep_forever()
        finally:
            journal.note("stop", name)

    return child


async def test_restart_intensity_runs_at_0_1_2_3_then_escalates(autojump_clock) -> None:
    journal = Journal()
    sup = Supervisor(budget=RestartBudget(max_restarts=3, period=5.0))
    sup.add(ChildSpec(name="c"), crash_every(journal, "c", 1.0))
    with trio.fail_after(60), pytest.raises(RestartIntensityExceeded) as info:
        await sup.run()
    assert [t for t, _ in journal.of("start")] == [0.0, 1.0, 2.0, 3.0]
    assert trio.current_time() == 4.0
    assert info.value.child == "c"
    assert isinstance(info.value.__cause__, RuntimeError)
    assert sup.statistics().restarts == 3


@pytest.mark.parametrize(
    ("strategy", "stopped", "restarted"),
    [
        (Strategy.ONE_FOR_ONE, [], ["b"]),
        (Strategy.REST_FOR_ONE, ["d", "c"], ["b", "c", "d"]),
        (Strategy.ONE_FOR_ALL, ["d", "c", "a"], ["a", "b", "c", "d"]),
    ],
)
async def test_strategies_restart_the_right_children_in_order(
    autojump_clock, strategy: Strategy, stopped: list[str], restarted: list[str]
) -> None:
    journal = Journal()
    crashed = False

    async def b() -> None:
        nonlocal crashed
        journal.note("start", "b")
        if not crashed:
            crashed = True
            await trio.sleep(1.0)
            raise RuntimeError("b")
        await trio.sleep_forever()

    sup = Supervisor(strategy=strategy)
    sup.add(ChildSpec(name="a"), sleeper(journal, "a"))
    sup.add(ChildSpec(name="b"), b)
    sup.add(ChildSpec(name="c"), sleeper(journal, "c"))
    sup.add(ChildSpec(name="d"), sleeper(journal, "d"))
    with trio.move_on_after(10):
        await sup.run()
    # stops before the restart happen at t=1 in reverse start order, one at a time
    assert [n for t, n in journal.of("stop") if t == 1.0] == stopped
    assert [n for t, n in journal.of("start") if t == 1.0] == restarted
    assert sup.statistics().restarts == 1


async def test_temporary_children_are_never_restarted(autojump_clock) -> None:
    journal = Journal()
    sup = Supervisor()
    sup.add(ChildSpec(name="t", restart=Restart.TEMPORARY), crash_every(journal, "t", 1.0))
    sup.add(ChildSpec(name="s"), sleeper(journal, "s"))
    with trio.move_on_after(10):
        await sup.run()
    assert journal.of("start") == [(0.0, "t"), (0.0, "s")] or journal.of("start") == [
        (0.0, "s"),
        (0.0, "t"),
    ]
    assert sup.statistics().restarts == 0
    assert sup.statistics().ended == ("t",)


async def test_cancelling_a_supervisor_never_restarts_anything(autojump_clock) -> None:
    journal = Journal()
    sup = Supervisor(strategy=Strategy.ONE_FOR_ALL)
    for name in "abc":
        sup.add(ChildSpec(name=name, restart=Restart.PERMANENT), sleeper(journal, name))
    with trio.move_on_after(5):
        await sup.run()
    assert sorted(n for _, n in journal.of("start")) == ["a", "b", "c"]
    assert sorted(n for _, n in journal.of("stop")) == ["a", "b", "c"]
    assert sup.statistics().restarts == 0


async def test_significant_child_exit_ends_the_supervisor(autojump_clock) -> None:
    journal = Journal()

    async def transport() -> None:
        await trio.sleep(2.0)

    ended: list[str] = []
    sup = Supervisor(on_ended=lambda name, exc: ended.append(name))
    sup.add(ChildSpec(name="transport", significant=True), transport)
    sup.add(ChildSpec(name="worker"), sleeper(journal, "worker"))
    with trio.fail_after(60):
        await sup.run()
    assert trio.current_time() == 2.0
    assert journal.of("stop") == [(2.0, "worker")]
    assert ended == ["transport"]


async def test_all_children_ending_normally_ends_the_supervisor(autojump_clock) -> None:
    async def quick() -> None:
        await trio.sleep(1.0)

    sup = Supervisor()
    sup.add(ChildSpec(name="a"), quick)
    sup.add(ChildSpec(name="b"), quick)
    with trio.fail_after(60):
        await sup.run()
    assert trio.current_time() == 1.0
    assert sup.statistics().ended == ("a", "b")


async def test_backoff_delays_restarts_in_virtual_time(autojump_clock) -> None:
    journal = Journal()
    sup = Supervisor(budget=RestartBudget(max_restarts=3, period=100.0))
    sup.add(
        ChildSpec(name="c", backoff=Backoff(initial=0.5, maximum=1.0, factor=2.0)),
        crash_every(journal, "c", 1.0),
    )
    with trio.fail_after(60), pytest.raises(RestartIntensityExceeded):
        await sup.run()
    # crash at 1 -> wait 0.5 -> start 1.5; crash 2.5 -> wait 1.0 -> 3.5; crash 4.5 -> wait 1.0
    assert [t for t, _ in journal.of("start")] == [0.0, 1.5, 3.5, 5.5]


async def test_restart_hooks_run_between_stop_and_start(autojump_clock) -> None:
    journal = Journal()
    calls: list[tuple[float, tuple[str, ...], str, str]] = []
    crashed = False

    async def flaky() -> None:
        nonlocal crashed
        journal.note("start", "flaky")
        if not crashed:
            crashed = True
            await trio.sleep(1.0)
            raise ValueError("bad")
        await trio.sleep_forever()

    sup = Supervisor(
        on_restart=lambda names, name, exc: calls.append(
            (trio.current_time(), names, name, type(exc).__name__)
        )
    )
    sup.add(ChildSpec(name="flaky"), flaky)
    with trio.move_on_after(3):
        await sup.run()
    assert calls == [(1.0, ("flaky",), "flaky", "ValueError")]
    assert journal.of("start") == [(0.0, "flaky"), (1.0, "flaky")]


async def test_keyboard_interrupt_is_not_a_crash(autojump_clock) -> None:
    async def bad() -> None:
        raise KeyboardInterrupt

    sup = Supervisor()
    sup.add(ChildSpec(name="k"), bad)
    with pytest.RaisesGroup(KeyboardInterrupt, flatten_subgroups=True):
        await sup.run()
    assert sup.statistics().restarts == 0
