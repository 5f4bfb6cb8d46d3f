"""Measure proposed framework changes without editing the framework: each patch below is the
exact change proposed in docs/benchmarks.md, applied by monkeypatching in this process only.

    python -m benchmarks.experiments --patch emit,serve,grid --part throughput
    python -m benchmarks.experiments --compare hop,throughput,rtvi,concurrency:100

Patches:

* ``emit``  — ``ActorCell.emit``: on a BLOCK edge try ``send_nowait`` first and only ``await
  send()`` when the mailbox is full (no schedule point when there is room).
* ``serve`` — ``ActorCell._serve``: take queued messages with ``receive_nowait`` (a schedule
  point every 64 messages for fairness), and enter a per-message ``CancelScope`` only for
  bot-side messages (user-side messages are never stale, so an interruption never cancels
  their handler: the scope is dead weight for them).
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

import trio

PATCHES = ("emit", "serve", "grid")


def apply(patches: list[str]) -> None:
    from rtvi_actors import cell as cell_mod
    from rtvi_actors.mailbox import MailboxFull, Overflow
    from rtvi_actors.messages import is_stale

    ActorCell = cell_mod.ActorCell

    if "emit" in patches:

        async def emit(self: Any, msg: Any) -> None:
            edges = self._routes.get(type(msg))
            if edges is None:
                edges = self._lookup(self._routes, msg, "emits")
            if not edges:
                self.discarded += 1
                return
            for edge in edges:
                dst = edge.dst
                try:
                    edge.send.send_nowait(msg)
                except trio.WouldBlock:
                    if edge.overflow is Overflow.BLOCK:
                        await edge.send.send(msg)
                    elif edge.overflow is Overflow.RAISE:
                        raise MailboxFull(f"mailbox of {dst.owner!r} is full") from None
                    else:
                        dst.count_overflow(self.name, msg)
                        continue
                dst.sent += 1

        ActorCell.emit = emit

    if "serve" in patches:

        async def _serve(self: Any, actor: Any, ctx: Any, recv: Any) -> None:
            control = self.graph.control
            mailbox = self.mailbox
            burst = 0
            while True:
                try:
                    msg = recv.receive_nowait()
                    burst += 1
                    if burst >= 64:
                        burst = 0
                        await trio.lowlevel.checkpoint()
                except trio.WouldBlock:
                    try:
                        msg = await recv.receive()
                    except trio.EndOfChannel:
                        return
                    burst = 0
                except trio.EndOfChannel:
                    return
                mailbox.received += 1
                if is_stale(msg, control.epoch):
                    mailbox.dropped_stale += 1
                    continue
                self._current = msg
                if getattr(msg, "__bot_side__", False):
                    with trio.CancelScope() as scope:
                        self._handler = scope
                        await actor.handle(msg, ctx)
                    self._handler = self._current = None
                    if scope.cancelled_caught:
                        self.cancelled += 1
                        continue
                else:
                    await actor.handle(msg, ctx)
                    self._current = None
                self.handled += 1

        ActorCell._serve = _serve

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
