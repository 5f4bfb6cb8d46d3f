"""Running blocking engine calls in worker threads, with one capacity limiter per engine.

Each engine gets a :class:`trio.CapacityLimiter` shared by every session of the process. It is
stored in a :class:`trio.lowlevel.RunVar`, so it is created inside the running trio loop and a
fresh ``trio.run`` (a test, a restarted server) never inherits tokens held by a dead one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

import trio

__all__ = ["EngineLimiter", "iterate_in_thread"]

T = TypeVar("T")


class EngineLimiter:
    """A lazily created, per-``trio.run`` capacity limiter for one engine.

    Args:
        name: Engine name (for debugging).
        tokens: How many calls of this engine may run at once in the process.
    """

    def __init__(self, name: str, tokens: int) -> None:
        self.name = name
        self.tokens = tokens
        self._var: trio.lowlevel.RunVar[trio.CapacityLimiter] = trio.lowlevel.RunVar(
            f"rtvi_actors.engines.{name}"
        )

    def get(self) -> trio.CapacityLimiter:
        """The limiter of the current trio run (created on first use).

        Raises:
            RuntimeError: Called outside ``trio.run``.
        """
        try:
            return self._var.get()
        except LookupError:
            limiter = trio.CapacityLimiter(self.tokens)
            self._var.set(limiter)
            return limiter


_DONE = object()


def _next_or_done(it: Iterator[T]) -> T | object:
    return next(it, _DONE)


async def iterate_in_thread(
    make: Callable[[], Iterator[T]], limiter: trio.CapacityLimiter
) -> AsyncIterator[T]:
    """Drive a blocking iterator from trio: each ``next()`` runs in a worker thread.

    The iterator is created in the worker thread too (``make`` may load a model). The generator
    never yields inside a cancel scope or nursery, so it is safe to iterate with ``async for``;
    wrap it in ``contextlib.aclosing`` if you may stop early.

    Cancellation: the waiting task is released at once (``abandon_on_cancel=True``); the
    abandoned ``next()`` finishes in its thread, keeps the limiter token until then, and its
    result is discarded.

    Args:
        make: Builds the blocking iterator.
        limiter: Bounds how many of these calls run at once.

    Yields:
        The iterator's items.
    """
    it = await trio.to_thread.run_sync(make, limiter=limiter, abandon_on_cancel=True)
    while True:
        item = await trio.to_thread.run_sync(
            _next_or_done, it, limiter=limiter, abandon_on_cancel=True
        )
        if item is _DONE:
            return
        yield item  # type: ignore[misc]
