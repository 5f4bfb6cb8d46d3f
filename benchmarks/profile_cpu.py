"""A long-running workload to profile with py-spy (``pip install py-spy`` in the main venv):

    py-spy record -r 400 -f raw -o rtvi.txt -- python -m benchmarks.profile_cpu rtvi
    py-spy record -r 400 -f raw -o conv.txt -- python -m benchmarks.profile_cpu throughput
    python -m benchmarks.profile_cpu --report rtvi.txt      # self / inclusive time per function

``rtvi``: 20 000 interim transcripts through the RTVI actor (observer + writer) → client.
``throughput``: the unpaced conversation (3000 frames) five times.
"""

from __future__ import annotations

import sys
from collections import Counter

import trio

from rtvi_actors.logs import configure_logging


async def rtvi_events(n: int = 20000) -> None:
    from rtvi_actors import Transcript

    from .workload import BenchSession

    async with trio.open_nursery() as nursery:
        s = BenchSession(0, mode="idle")
        await s.run(nursery)
        await s.ready.wait()
        stt = s.probe.stt
        assert stt is not None and stt.ctx is not None
        done = {"evt": trio.Event(), "needle": b""}

        def watch(kind: bytes, data: bytes, now: float) -> None:
            if kind == b"user-transcription" and done["needle"] in data:
                done["evt"].set()

        s.msg_watch = watch
        for i in range(n):  # one event at a time, as the benchmark's in-session part
            done["evt"], done["needle"] = trio.Event(), f"probe {i}".encode()
            stt.ctx.publish(Transcript(text=f"probe {i}", final=False, at=0.0))
            await done["evt"].wait()
        await s.stop()
        nursery.cancel_scope.cancel()


async def throughput(reps: int = 5) -> None:
    from .parts import part_throughput

    for _ in range(reps):
        await part_throughput()


def report(path: str, top: int = 40) -> None:
    self_c: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    tot = 0
    with open(path) as f:
        lines = f.readlines()
    for line in lines:
        stack, _, n = line.rstrip().rpartition(" ")
        frames = stack.split(";")
        tot += int(n)
        self_c[frames[-1]] += int(n)
        for f in set(frames):
            incl[f] += int(n)
    print(f"{tot} samples\n-- self --")
    for f, n in self_c.most_common(top):
        print(f"{n / tot * 100:5.1f}%  {f}")
    print("-- inclusive --")
    for f, n in incl.most_common(top + 20):
        print(f"{n / tot * 100:5.1f}%  {f}")


if __name__ == "__main__":
    if sys.argv[1] == "--report":
        report(sys.argv[2])
        sys.exit()
    configure_logging("json", level="warning")
    trio.run({"rtvi": rtvi_events, "throughput": throughput}[sys.argv[1]])
