"""The trio driver of a supervisor: each child in its own cancel scope, decisions from policy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, final

import attrs
import structlog
import trio

from .policy import (
    ChildSpec,
    EndSession,
    Escalate,
    Ignore,
    RestartBudget,
    RestartChildren,
    Strategy,
    decide,
)

__all__ = ["RestartIntensityExceeded", "Supervisor", "SupervisorStatistics"]


class RestartIntensityExceeded(Exception):
    """A supervisor spent its restart budget and gave up (OTP escalation).

    Attributes:
        child: the child whose exit exceeded the budget; ``__cause__`` is its exception.
    """

    def __init__(self, child: str) -> None:
        super().__init__(f"restart intensity exceeded by child {child!r}")
        self.child = child


@final
@attrs.frozen(kw_only=True)
class SupervisorStatistics:
    """A snapshot of a supervisor: restarts in total and per child, and who runs now."""

    restarts: int
    child_restarts: tuple[tuple[str, int], ...]
    running: tuple[str, ...]
    ended: tuple[str, ...]


@attrs.define
class _Child:
    spec: ChildSpec
    start: Callable[[], Awaitable[None]]
    scope: trio.CancelScope | None = None
    done: trio.Event | None = None
    incarnation: int = 0
    restarts: int = 0
    restart_times: list[float] = attrs.Factory(list)
    ended: bool = False


@final
@attrs.frozen
class _Exit:
    name: str
    incarnation: int
    exc: Exception | None


Hook = Callable[..., None]


def _nothing(*_args: Any) -> None:
    return None


class Supervisor:
    """Run children under a restart strategy and a restart budget.

    Children start in the order they were added and stop in reverse order. A child that its
    supervisor cancels is never counted as a crash nor restarted. :meth:`run` returns when
    every child has ended for good or a significant child ended; it raises
    :class:`RestartIntensityExceeded` when the budget is spent.

    Hooks (all synchronous, called from the supervisor task):

    * ``on_ended(name, exc)``: a child is gone for good (``exc`` is its error or ``None``);
    * ``on_restart(names, name, exc)``: ``names`` were stopped and are about to restart because
      ``name`` exited (``exc``: its error, ``None`` for a normal exit of a permanent child);
    * ``on_escalate(name, exc)``: the budget is spent; the children are stopped next.
    """

    def __init__(
        self,
        *,
        strategy: Strategy = Strategy.ONE_FOR_ONE,
        budget: RestartBudget | None = None,
        on_ended: Hook = _nothing,
        on_restart: Hook = _nothing,
        on_escalate: Hook = _nothing,
        name: str = "supervisor",
    ) -> None:
        self.strategy = strategy
        self.budget = budget if budget is not None else RestartBudget()
        self._on_ended = on_ended
        self._on_restart = on_restart
        self._on_escalate = on_escalate
        self._children: dict[str, _Child] = {}
        self._restart_times: list[float] = []
        self._log = structlog.get_logger("supervisors").bind(supervisor=name)
        self._nursery: trio.Nursery | None = None
        self._exits_send, self._exits = trio.open_memory_channel[_Exit](0)

    def add(self, spec: ChildSpec, fn: Callable[..., Awaitable[None]], *args: Any) -> None:
        """Add a child that runs ``fn(*args)`` once per incarnation. Only before :meth:`run`."""
        if self._nursery is not None:
            raise RuntimeError("children are added before the supervisor runs")
        if spec.name in self._children:
            raise ValueError(f"a child named {spec.name!r} already exists")

        async def start() -> None:
            await fn(*args)

        self._children[spec.name] = _Child(spec=spec, start=start)

    @property
    def order(self) -> tuple[str, ...]:
        """Child names in start order."""
        return tuple(self._children)

    async def run(self) -> None:
        """Start every child and supervise them until the supervisor ends.

        Raises:
            RestartIntensityExceeded: more restarts than the budget allows; every child has
                been stopped first. Its ``__cause__`` is the last child's exception.

        Cancellation: cancelling stops every child (reverse order is not guaranteed then) and
        restarts nothing.
        """
        # Every incarnation reports at most once, and a child can have at most one stale
        # report pending besides its current one, so this buffer can never fill.
        self._exits_send, self._exits = trio.open_memory_channel[_Exit](2 * len(self._children))
        escalation: tuple[str, Exception | None] | None = None
        with self._exits_send, self._exits:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                for name in self.order:
                    await self._start(name)
                while any(not c.ended for c in self._children.values()):
                    ex = await self._exits.receive()
                    child = self._children[ex.name]
                    if ex.incarnation != child.incarnation:
                        continue  # a report from an incarnation already replaced
                    action = decide(
                        child.spec,
                        crashed=ex.exc is not None,
                        strategy=self.strategy,
                        order=self.order,
                        budget=self.budget,
                        restarts=self._restart_times,
                        now=trio.current_time(),
                    )
                    if ex.exc is not None:
                        self._log.error(
                            "child.crashed",
                            child=ex.name,
                            error=repr(ex.exc),
                            exc_info=ex.exc,
                        )
                    match action:
                        case Ignore():
                            self._end(child, ex.exc)
                        case EndSession():
                            self._end(child, ex.exc)
                            self._log.info("supervisor.significant_exit", child=ex.name)
                            break
                        case Escalate():
                            self._on_escalate(ex.name, ex.exc)
                            escalation = (ex.name, ex.exc)
                            break
                        case RestartChildren(names=names):
                            await self._restart(names, ex)
                nursery.cancel_scope.cancel()
            self._nursery = None
        if escalation is not None:
            name, exc = escalation
            self._log.error("supervisor.escalated", child=name)
            raise RestartIntensityExceeded(name) from exc

    async def _start(self, name: str) -> None:
        # nursery.start: the child's task is running (up to its first checkpoint) before the
        # next child starts, so children really start in order.
        assert self._nursery is not None
        child = self._children[name]
        child.incarnation += 1
        child.scope = trio.CancelScope()
        child.done = trio.Event()
        await self._nursery.start(self._runner, child, child.scope, child.done, child.incarnation)

    async def _runner(
        self,
        child: _Child,
        scope: trio.CancelScope,
        done: trio.Event,
        incarnation: int,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        exc: Exception | None = None
        task_status.started()
        try:
            with scope:
                try:
                    await child.start()
                except Exception as e:  # Cancelled and KeyboardInterrupt are not crashes
                    exc = e
        finally:
            done.set()
        if not scope.cancel_called:
            self._exits_send.send_nowait(_Exit(child.spec.name, incarnation, exc))

    def _end(self, child: _Child, exc: Exception | None) -> None:
        child.ended = True
        self._on_ended(child.spec.name, exc)

    async def _restart(self, names: tuple[str, ...], ex: _Exit) -> None:
        names = tuple(n for n in names if n == ex.name or not self._children[n].ended)
        now = trio.current_time()
        self._restart_times.append(now)
        period = self.budget.period
        self._restart_times[:] = [t for t in self._restart_times if t > now - period]
        trigger = self._children[ex.name]
        trigger.restarts += 1
        trigger.restart_times[:] = [t for t in trigger.restart_times if t > now - period]
        trigger.restart_times.append(now)
        for name in reversed(names):  # stop in reverse start order, one at a time
            child = self._children[name]
            if child.scope is not None and child.done is not None and not child.done.is_set():
                child.scope.cancel()
                await child.done.wait()
        self._on_restart(names, ex.name, ex.exc)
        self._log.info("child.restarting", child=ex.name, restarting=list(names))
        if trigger.spec.backoff is not None:
            await trio.sleep(trigger.spec.backoff.delay(len(trigger.restart_times)))
        for name in names:  # restart in start order
            await self._start(name)

    def statistics(self) -> SupervisorStatistics:
        """A snapshot of the restart counters and which children are running."""
        kids = self._children.values()
        return SupervisorStatistics(
            restarts=sum(c.restarts for c in kids),
            child_restarts=tuple((c.spec.name, c.restarts) for c in kids),
            running=tuple(c.spec.name for c in kids if c.done is not None and not c.done.is_set()),
            ended=tuple(c.spec.name for c in kids if c.ended),
        )
