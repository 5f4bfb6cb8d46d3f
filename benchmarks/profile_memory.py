"""Where an idle session's memory goes: ``python -m benchmarks.profile_memory [N]``.

Starts N idle sessions (bot-ready sent) and prints the tracemalloc allocations that grew, per
session: by file and by line where they were allocated, then by the innermost line of this
project's code that led to them (so trio's objects are charged to the runtime code that made
them: a nursery, a parked receive, a supervisor child).
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from collections import Counter
from pathlib import Path

import trio

from rtvi_actors.logs import configure_logging

from .workload import BenchSession, start_sessions, warmup_session

_ROOT = str(Path(__file__).resolve().parent.parent) + "/"
_FRAMES = 30


def _project_line(tb: tracemalloc.Traceback) -> str:
    """The innermost frame in this project's code (not a dependency), or the innermost one."""
    for frame in reversed(tb):  # oldest first, so reversed: innermost first
        name = frame.filename
        if name.startswith(_ROOT) and "/site-packages/" not in name:
            return f"{name[len(_ROOT) :]}:{frame.lineno}"
    return f"{tb[-1].filename}:{tb[-1].lineno}"


def report(snap0: tracemalloc.Snapshot, snap1: tracemalloc.Snapshot, n: int) -> None:
    """Print what grew between two snapshots, per session."""
    for key, top in (("filename", 15), ("lineno", 30)):
        stats = snap1.compare_to(snap0, key)
        total = sum(s.size_diff for s in stats)
        print(f"\n== by {key}: {total / n / 1024:.1f} KB per session (Python heap) ==")
        for s in stats[:top]:
            print(f"{s.size_diff / n:9.0f} B/session  {s.count_diff / n:7.1f} objs  {s.traceback}")
    size: Counter[str] = Counter()
    count: Counter[str] = Counter()
    for s in snap1.compare_to(snap0, "traceback"):
        line = _project_line(s.traceback)
        size[line] += s.size_diff
        count[line] += s.count_diff
    print(f"\n== by project line: {sum(size.values()) / n / 1024:.1f} KB per session ==")
    for line, b in size.most_common(30):
        print(f"{b / n:9.0f} B/session  {count[line] / n:7.1f} objs  {line}")


async def main(n: int) -> None:
    async with trio.open_nursery() as nursery:
        await warmup_session(nursery)
        gc.collect()
        tracemalloc.start(_FRAMES)
        snap0 = tracemalloc.take_snapshot()
        sessions = [BenchSession(i, mode="idle") for i in range(n)]
        await start_sessions(nursery, sessions)
        for s in sessions:
            await s.ready.wait()
        await trio.sleep(0.3)
        gc.collect()
        snap1 = tracemalloc.take_snapshot()
        tracemalloc.stop()
        report(snap0, snap1, n)
        nursery.cancel_scope.cancel()


if __name__ == "__main__":
    configure_logging("json", level="warning")
    trio.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 100)
