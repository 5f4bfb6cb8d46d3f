"""Where an idle session's memory goes: ``python -m benchmarks.profile_memory [N]``.

Starts N idle sessions (bot-ready sent) and prints the tracemalloc allocations that grew, by
file and by line, per session.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc

import trio

from rtvi_actors.logs import configure_logging

from .workload import BenchSession, start_sessions, warmup_session


async def main(n: int) -> None:
    async with trio.open_nursery() as nursery:
        await warmup_session(nursery)
        gc.collect()
        tracemalloc.start(1)
        snap0 = tracemalloc.take_snapshot()
        sessions = [BenchSession(i, mode="idle") for i in range(n)]
        await start_sessions(nursery, sessions)
        for s in sessions:
            await s.ready.wait()
        await trio.sleep(0.3)
        gc.collect()
        snap1 = tracemalloc.take_snapshot()
        for key, top in (("filename", 15), ("lineno", 30)):
            stats = snap1.compare_to(snap0, key)
            total = sum(s.size_diff for s in stats)
            print(f"\n== by {key}: {total / n / 1024:.1f} KB per session (Python heap) ==")
            for s in stats[:top]:
                print(
                    f"{s.size_diff / n:9.0f} B/session  {s.count_diff / n:7.1f} objs  {s.traceback}"
                )
        nursery.cancel_scope.cancel()


if __name__ == "__main__":
    configure_logging("json", level="warning")
    trio.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 100)
