"""Measure proposed framework changes without editing the framework: each patch below is the
exact change proposed in docs/benchmarks.md, applied by monkeypatching in this process only.

    python -m benchmarks.experiments --patch grid --part throughput
    python -m benchmarks.experiments --compare hop,throughput,rtvi,concurrency:100

Patches:

(The ``emit`` and ``serve`` patches measured here first are now part of
``rtvi_actors/cell.py``.)

* ``grid``  — ``Playout.due``: round the send time down to a 10 ms grid, so the paced senders
  of all sessions wake together (one epoll wake-up per tick instead of one per session);
  sending ≤ 10 ms early stays within the 80 ms lead.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from typing import Any

PATCHES = ("grid",)


def apply(patches: list[str]) -> None:
    if "grid" in patches:
        from actors.playout import Playout

        orig_due = Playout.due

        def due(self: Any, now: float, duration: float) -> float:
            return math.floor(orig_due(self, now, duration) / 0.01) * 0.01

        Playout.due = due


def run_part(part: str, patches: list[str]) -> dict[str, Any]:
    apply(patches)
    from .bench_rtvi_actors import run_part_inproc

    r = run_part_inproc(part)
    r["_patches"] = patches
    return r


KEYS = {
    "hop": [
        "bare/data/per_hop_us_p50_slope",
        "bare/system/per_hop_us_p50_slope",
        "bare/data/K=20/cpu_us_per_frame",
    ],
    "throughput": [
        "conversation/median_rep/cpu_ms_per_realtime_s",
        "silence_only/median_rep/cpu_ms_per_realtime_s",
    ],
    "rtvi": [
        "in_pipeline/cpu_us_per_message",
        "in_pipeline/delivery_cpu_us_per_message",
        "in_pipeline/event_to_json_us/p50",
    ],
    "startup": ["idle/rss_per_idle_session_kb", "cpu_ms_per_startup/p50"],
}


def _get(d: Any, path: str) -> Any:
    for k in path.split("/"):
        d = d.get(k) if isinstance(d, dict) else None
    return d


def compare(parts: list[str], variants: list[list[str]]) -> None:
    for part in parts:
        keys = KEYS.get(
            part,
            [
                "cpu_ms_per_session_realtime_s",
                "cpu_pct_of_one_core",
                "output_lateness_ms/p99",
                "send_jitter_ms/p99",
                "overloaded",
            ],
        )
        for v in variants:
            p = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.experiments",
                    "--part",
                    part,
                    "--patch",
                    ",".join(v) or "none",
                ],
                capture_output=True,
                text=True,
            )
            line = next((ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")), None)
            if line is None:
                print(part, v, "failed", p.stderr[-500:])
                continue
            r = json.loads(line[7:])
            vals = ", ".join(f"{k}={_get(r, k)}" for k in keys)
            print(
                f"{part:16s} {'+'.join(v) or 'baseline':18s} {vals}  calib={r['calib_cpu_ms']}",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part")
    ap.add_argument("--patch", default="none")
    ap.add_argument("--compare", help="parts to run as baseline and with each patch set")
    args = ap.parse_args()
    if args.compare:
        compare(
            args.compare.split(","),
            [[], ["emit"], ["serve"], ["emit", "serve"], ["emit", "serve", "grid"]],
        )
        return
    patches = [p for p in args.patch.split(",") if p in PATCHES]
    r = run_part(args.part, patches)
    sys.stdout.write("RESULT " + json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
