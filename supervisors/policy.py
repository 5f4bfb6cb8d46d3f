"""Supervision policy, pure: restart types, strategies, restart intensity, backoff, decide().

Nothing here imports trio; times are plain floats passed in, so every rule is testable as a
function (and with Hypothesis).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import TypeAlias, final

import attrs

__all__ = [
    "Action",
    "Backoff",
    "ChildSpec",
    "EndSession",
    "Escalate",
    "Ignore",
    "Restart",
    "RestartBudget",
    "RestartChildren",
    "Strategy",
    "decide",
]


class Restart(enum.StrEnum):
    """When a child is restarted (OTP restart types)."""

    PERMANENT = "permanent"
    """Always restarted, whether it crashed or returned."""
    TRANSIENT = "transient"
    """Restarted only after a crash; a normal return is final."""
    TEMPORARY = "temporary"
    """Never restarted."""


class Strategy(enum.StrEnum):
    """Which children a restart concerns (OTP strategies)."""

    ONE_FOR_ONE = "one_for_one"
    """Only the child that exited."""
    REST_FOR_ONE = "rest_for_one"
    """That child and every child started after it."""
    ONE_FOR_ALL = "one_for_all"
    """Every child."""


@final
@attrs.frozen(kw_only=True)
class RestartBudget:
    """Restart intensity of one supervisor: at most ``max_restarts`` in any ``period`` seconds.

    One more restart than that escalates (the supervisor gives up and raises).
    """

    max_restarts: int = attrs.field(default=3, validator=attrs.validators.ge(0))
    period: float = attrs.field(default=5.0, validator=attrs.validators.gt(0))

    def allows(self, restarts: Sequence[float], now: float) -> bool:
        """Whether one more restart at ``now`` stays within the budget.

        Args:
            restarts: the times of this supervisor's earlier restarts.
            now: the current time.
        """
        recent = sum(1 for t in restarts if t > now - self.period)
        return recent < self.max_restarts


@final
@attrs.frozen(kw_only=True)
class Backoff:
    """Exponential delay before a restart: ``initial * factor**(n-1)``, at most ``maximum``.

    ``n`` counts the child's restarts within the supervisor's budget period, so the delay
    resets once the child has stayed up for a while.
    """

    initial: float = attrs.field(default=0.1, validator=attrs.validators.ge(0))
    maximum: float = attrs.field(default=5.0, validator=attrs.validators.ge(0))
    factor: float = attrs.field(default=2.0, validator=attrs.validators.ge(1))

    def delay(self, attempt: int) -> float:
        """The wait before restart number ``attempt`` (1-based)."""
        if attempt < 1:
            return 0.0
        return float(min(self.maximum, self.initial * self.factor ** (attempt - 1)))


@final
@attrs.frozen(kw_only=True)
class ChildSpec:
    """How one child is supervised.

    Args:
        name: unique among its siblings.
        restart: see :class:`Restart`.
        significant: when this child ends for good, the supervisor ends (OTP auto_shutdown).
        backoff: wait before restarting it, or ``None`` to restart at once.
        interrupt_on_restart: (session supervisor) interrupt the session before restarting.
    """

    name: str
    restart: Restart = Restart.TRANSIENT
    significant: bool = False
    backoff: Backoff | None = None
    interrupt_on_restart: bool = False


@final
@attrs.frozen
class Ignore:
    """Nothing to do: the child is gone for good and the others go on."""


@final
@attrs.frozen
class EndSession:
    """A significant child ended: stop every child and end the supervisor normally."""


@final
@attrs.frozen
class Escalate:
    """The restart budget is spent: stop every child and raise to the parent."""


@final
@attrs.frozen(kw_only=True)
class RestartChildren:
    """Stop ``names`` (reverse start order), then start them again in start order."""

    names: tuple[str, ...]


Action: TypeAlias = Ignore | EndSession | Escalate | RestartChildren


def decide(
    spec: ChildSpec,
    *,
    crashed: bool,
    strategy: Strategy,
    order: Sequence[str],
    budget: RestartBudget,
    restarts: Sequence[float],
    now: float,
) -> Action:
    """Decide what a supervisor does when one of its children exits.

    A child cancelled by its supervisor never reaches this function: cancellation is not an
    exit.

    Args:
        spec: the child that exited.
        crashed: it raised an exception (else it returned normally).
        strategy: the supervisor's strategy.
        order: the children's names in start order.
        budget: the supervisor's restart intensity.
        restarts: times of the supervisor's earlier restarts.
        now: the current time.
    """
    wants_restart = spec.restart is Restart.PERMANENT or (
        spec.restart is Restart.TRANSIENT and crashed
    )
    if not wants_restart:
        return EndSession() if spec.significant else Ignore()
    if not budget.allows(restarts, now):
        return Escalate()
    i = list(order).index(spec.name)
    match strategy:
        case Strategy.ONE_FOR_ONE:
            return RestartChildren(names=(spec.name,))
        case Strategy.REST_FOR_ONE:
            return RestartChildren(names=tuple(order[i:]))
        case Strategy.ONE_FOR_ALL:
            return RestartChildren(names=tuple(order))
    raise ValueError(f"unknown strategy {strategy!r}")
