"""Instruction counts of the µs-level targets, for both frameworks: figures no machine phase moves.

    python -m benchmarks.instructions                 # rtvi and hop, both frameworks (~15 min)
    python -m benchmarks.instructions --parts rtvi    # one part

The timed parts (``benchmarks.run``) give CPU µs, which this shared host stretches by up to 2x
from one minute to the next. Here each framework's own part (Pipecat's ``bench_pipecat.py``
functions, unchanged, and ours) runs under ``valgrind --tool=callgrind``, which counts the
instructions the process executes. Each part runs twice with a different number of events; the
difference divided by the extra events is the cost of one event, with start-up, imports and
warm-up cancelled out. The counts repeat exactly for the same code and inputs (they are
instructions, not seconds; a cycle of one is not the same length as a cycle of the other, but
both are the same CPython on the same machine).

* ``rtvi``: one in-session event (an interim transcript: user-input + user-transcription) plus
  one ``send_server_message`` delivery, as the timed part's two loops: instructions per
  message (3 messages per pair). Our part runs without its extra schedule-point-per-event loops.
* ``hop``: the timed part with K = 1 and K = 20 (bare and default configurations, data and
  system frames); per hop = (per frame at K = 20 - per frame at K = 1) / 19, averaged over
  the four combinations (the counts cannot be told apart per combination from outside).

Needs valgrind (Debian's ``valgrind`` package); Pipecat's python as for ``benchmarks.run``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from typing import Any

from .run import DEFAULT_PIPECAT_BENCH, HERE, ROOT, log, pipecat_python

# events per run: (few, many); the difference is what is counted
RTVI_EVENTS = (50, 450)
HOP_SAMPLES = (20, 320)

_PIPECAT_DRIVER = r"""
import asyncio, json, sys
sys.path.insert(0, sys.argv[1])
import bench_pipecat as b
b._import_pipecat(); b.setup_logging("WARNING"); b.define_fakes()
part, n = sys.argv[2], int(sys.argv[3])
if part == "rtvi":
    b.PARAMS["rtvi"].update(isolated_iters_per_event=5, pipeline_events=n, pipeline_warmup=20)
    asyncio.run(b.part_rtvi())
else:
    b.PARAMS["hop"].update(K=[int(sys.argv[4])], warmup=10, samples=n)
    try:
        asyncio.run(b.part_hop())
    except ZeroDivisionError:  # the slope over one K, after everything was measured
        pass
"""


def inner(part: str, n: int, k: int | None) -> None:
    """Run our part with ``n`` events (under valgrind: the measured process)."""
    import trio

    from rtvi_actors.logs import configure_logging

    from .common import PARAMS
    from .parts import run_part

    configure_logging("json", level="warning")
    if part == "rtvi":
        PARAMS["rtvi"].update(
            isolated_iters_per_event=5,
            pipeline_events=n,
            pipeline_warmup=20,
            driver_yield_variant=False,
        )
    else:
        PARAMS["hop"].update(K=[k], warmup=10, samples=n)
    try:
        trio.run(run_part, part)
    except ZeroDivisionError:  # the hop part's slope over one K, after everything was measured
        assert part == "hop"


def count(cmd: list[str], cwd: str) -> int:
    """Instructions executed by ``cmd`` (callgrind's total)."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
    )
    m = re.search(r"Collected : (\d+)", p.stderr)
    if p.returncode != 0 or m is None:
        raise RuntimeError(f"{cmd[:3]} failed under valgrind:\n{p.stderr[-2000:]}")
    return int(m.group(1))


def per_event(framework: str, part: str, k: int | None, runner: Any) -> float:
    lo, hi = RTVI_EVENTS if part == "rtvi" else HOP_SAMPLES
    a, b = runner(part, lo, k), runner(part, hi, k)
    log(f"[{framework}] {part} K={k}: {a} / {b} instructions at n={lo}/{hi}")
    return (b - a) / (hi - lo)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--parts", default="rtvi,hop")
    ap.add_argument("--pipecat-bench", default=DEFAULT_PIPECAT_BENCH)
    ap.add_argument("--pipecat-python", default=None)
    ap.add_argument("--out-dir", default=os.path.join(HERE, "results"))
    ap.add_argument("--inner", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner:
        part, n, *k = args.inner
        inner(part, int(n), int(k[0]) if k else None)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    pc_python = pipecat_python(args.pipecat_python)
    bench_dir = os.path.dirname(os.path.abspath(args.pipecat_bench))

    def ours(part: str, n: int, k: int | None) -> int:
        extra = [] if k is None else [str(k)]
        cmd = [sys.executable, "-m", "benchmarks.instructions", "--inner", part, str(n), *extra]
        return count(cmd, ROOT)

    def pipecat(part: str, n: int, k: int | None) -> int:
        extra = [] if k is None else [str(k)]
        return count([pc_python, "-c", _PIPECAT_DRIVER, bench_dir, part, str(n), *extra], ROOT)

    results: dict[str, Any] = {}
    t0 = time.monotonic()
    for part in args.parts.split(","):
        for name, runner in (("pipecat", pipecat), ("rtvi_actors", ours)):
            if part == "rtvi":
                pair = per_event(name, part, None, runner)
                results.setdefault(part, {})[name] = {
                    "instructions_per_event_and_delivery": round(pair),
                    "instructions_per_message": round(pair / 3),
                }
            else:
                one = per_event(name, part, 1, runner)
                twenty = per_event(name, part, 20, runner)
                results.setdefault(part, {})[name] = {
                    "instructions_per_frame_K1": round(one / 4),
                    "instructions_per_frame_K20": round(twenty / 4),
                    "instructions_per_hop": round((twenty - one) / 19 / 4),
                }
    rows = []
    for part, key, target in (
        ("rtvi", "instructions_per_message", 1 / 20),
        ("hop", "instructions_per_hop", 1 / 2),
    ):
        if part in results:
            pc, us = results[part]["pipecat"][key], results[part]["rtvi_actors"][key]
            ratio = us / pc
            ok = "✓" if ratio <= target else "✗"
            rows.append(f"{part}: {key:28s} Pipecat {pc:>10,}  rtvi-actors {us:>9,}  ratio")
            rows[-1] += f" {ratio:.3f}  (target <= {target:g} {ok})"
            results[part]["ratio"] = round(ratio, 4)
    print("\n".join(rows))
    os.makedirs(args.out_dir, exist_ok=True)
    path = os.path.join(args.out_dir, f"instructions-{time.strftime('%Y%m%d-%H%M%S')}.json")
    meta = {"rtvi_events": RTVI_EVENTS, "hop_samples": HOP_SAMPLES, "python": pc_python}
    meta["wall_s"] = round(time.monotonic() - t0, 1)
    with open(path, "w") as f:
        json.dump({"meta": meta, "results": results, "table": rows}, f, indent=1)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
