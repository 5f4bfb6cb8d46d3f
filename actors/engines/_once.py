"""A per-process cache that builds each value once, safely from many threads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["OncePerProcess"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class OncePerProcess(Generic[K, V]):
    """Builds ``factory(key)`` at most once per key and process, then returns the cached value.

    Loading a model takes hundreds of milliseconds and hundreds of megabytes, so every session
    shares one instance. Each key has its own lock: two threads asking for the same key wait for
    one build, while different keys build in parallel. A factory that raises caches nothing, so
    the next call tries again (for example after the missing package was installed).

    Args:
        factory: Builds the value for a key. It runs in the calling thread, under the key's lock.
    """

    def __init__(self, factory: Callable[[K], V]) -> None:
        self._factory = factory
        self._values: dict[K, V] = {}
        self._locks: dict[K, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: K) -> V:
        """Return the value for ``key``, building it first if needed.

        Blocks while another thread builds the same key. Call it from a worker thread
        (``trio.to_thread.run_sync``) when the build is slow.

        Raises:
            Exception: Whatever the factory raises; nothing is cached in that case.
        """
        try:
            return self._values[key]
        except KeyError:
            pass
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                self._values[key] = self._factory(key)
            return self._values[key]

    def cached(self, key: K) -> bool:
        """Whether ``key`` has been built already (never blocks)."""
        return key in self._values

    def clear(self) -> None:
        """Forget every cached value (tests use it; live sessions keep their references)."""
        with self._guard:
            self._values.clear()
            self._locks.clear()
