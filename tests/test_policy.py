"""The pure supervision policy: decide(), restart budget and backoff."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supervisors import (
    Backoff,
    ChildSpec,
    EndSession,
    Escalate,
    Ignore,
    Restart,
    RestartBudget,
    RestartChildren,
    Strategy,
    decide,
)

ORDER = ("a", "b", "c", "d")
BUDGET = RestartBudget(max_restarts=3, period=5.0)


def _decide(spec: ChildSpec, crashed: bool, strategy=Strategy.ONE_FOR_ONE, restarts=(), now=0.0):
    return decide(
        spec,
        crashed=crashed,
        strategy=strategy,
        order=ORDER,
        budget=BUDGET,
        restarts=restarts,
        now=now,
    )


@pytest.mark.parametrize(
    ("strategy", "names"),
    [
        (Strategy.ONE_FOR_ONE, ("b",)),
        (Strategy.REST_FOR_ONE, ("b", "c", "d")),
        (Strategy.ONE_FOR_ALL, ("a", "b", "c", "d")),
    ],
)
def test_strategies_pick_the_right_children(strategy: Strategy, names: tuple[str, ...]) -> None:
    assert _decide(ChildSpec(name="b"), True, strategy) == RestartChildren(names=names)


def test_restart_types() -> None:
    perm, trans, temp = (ChildSpec(name="a", restart=r) for r in Restart)
    assert _decide(perm, crashed=False) == RestartChildren(names=("a",))
    assert _decide(perm, crashed=True) == RestartChildren(names=("a",))
    assert _decide(trans, crashed=True) == RestartChildren(names=("a",))
    assert _decide(trans, crashed=False) == Ignore()
    assert _decide(temp, crashed=True) == Ignore()
    assert _decide(temp, crashed=False) == Ignore()


def test_significant_child_ending_ends_the_session() -> None:
    for restart in (Restart.TRANSIENT, Restart.TEMPORARY):
        spec = ChildSpec(name="a", restart=restart, significant=True)
        assert _decide(spec, crashed=False) == EndSession()
    assert _decide(ChildSpec(name="a", restart=Restart.TEMPORARY, significant=True), True) == (
        EndSession()
    )
    # a crashed significant transient child is restarted, not the end of the session
    assert _decide(ChildSpec(name="a", significant=True), True) == RestartChildren(names=("a",))


def test_budget_escalates_on_the_fourth_restart_within_the_period() -> None:
    spec = ChildSpec(name="a")
    assert _decide(spec, True, restarts=(1.0, 2.0), now=3.0) == RestartChildren(names=("a",))
    assert _decide(spec, True, restarts=(1.0, 2.0, 3.0), now=4.0) == Escalate()
    # the window slides: restarts older than the period no longer count
    assert _decide(spec, True, restarts=(1.0, 2.0, 3.0), now=6.0) == RestartChildren(names=("a",))


def test_zero_budget_never_restarts() -> None:
    budget = RestartBudget(max_restarts=0, period=1.0)
    assert not budget.allows((), 0.0)


def test_backoff_grows_and_caps() -> None:
    b = Backoff(initial=0.1, maximum=1.0, factor=2.0)
    assert [b.delay(n) for n in range(6)] == [0.0, 0.1, 0.2, 0.4, 0.8, 1.0]


@given(
    max_restarts=st.integers(0, 5),
    period=st.floats(0.5, 20.0),
    gaps=st.lists(st.floats(0.0, 10.0), max_size=40),
)
def test_budget_never_allows_more_than_n_in_any_window(
    max_restarts: int, period: float, gaps: list[float]
) -> None:
    budget = RestartBudget(max_restarts=max_restarts, period=period)
    now, granted = 0.0, []
    for gap in gaps:
        now += gap
        if budget.allows(granted, now):
            granted.append(now)
    for t in granted:
        in_window = [u for u in granted if t - period < u <= t]
        assert len(in_window) <= max_restarts


@given(
    restart=st.sampled_from(list(Restart)),
    significant=st.booleans(),
    crashed=st.booleans(),
    strategy=st.sampled_from(list(Strategy)),
    who=st.sampled_from(ORDER),
)
def test_temporary_is_never_restarted_and_restarts_include_the_child(
    restart: Restart, significant: bool, crashed: bool, strategy: Strategy, who: str
) -> None:
    spec = ChildSpec(name=who, restart=restart, significant=significant)
    action = _decide(spec, crashed, strategy)
    if restart is Restart.TEMPORARY:
        assert not isinstance(action, RestartChildren)
    if isinstance(action, RestartChildren):
        assert who in action.names
        assert list(action.names) == [n for n in ORDER if n in action.names]
