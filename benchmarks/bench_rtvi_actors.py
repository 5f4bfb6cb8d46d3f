"""Run one rtvi-actors measurement in this process and print ``RESULT {json}``.

    python -m benchmarks.bench_rtvi_actors --part hop
    python -m benchmarks.bench_rtvi_actors --part concurrency:100

Parts: hop, throughput, throughput_json, concurrency:N, interruption, rtvi, startup.
``benchmarks.run`` runs each part in a fresh subprocess, like Pipecat's bench_pipecat.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import trio

from .common import calibrate


def run_part_inproc(part: str, log_level: str = "warning") -> dict:
    from rtvi_actors.logs import configure_logging

    configure_logging("json", level=log_level)
    from .parts import run_part

    t0 = time.monotonic()
    load0 = os.getloadavg()[0]
    calib0 = calibrate()
    r = trio.run(run_part, part)
    r["_part_wall_s"] = round(time.monotonic() - t0, 2)
    r["calib_cpu_ms"] = round((calib0 + calibrate()) / 2, 2)
    r["loadavg_1m_start_end"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
    return r


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", required=True)
    ap.add_argument("--log-level", default="warning")
    args = ap.parse_args()
    r = run_part_inproc(args.part, args.log_level)
    sys.stdout.write("RESULT " + json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
