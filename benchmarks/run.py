"""Run Pipecat's baseline and rtvi-actors back to back, print figures and ratios, save JSON + plot.

    python -m benchmarks.run            # full run of both frameworks (~5-8 min on 2 cores)
    python -m benchmarks.run --quick    # a subset (~3 min)
    python -m benchmarks.run --skip-pipecat --pipecat-results PATH   # compare to stored figures

Pipecat runs from its own venv: the current interpreter if it has pipecat-ai 1.14 (the ``bench``
extra), else ``benchmarks/.venv-pipecat`` (created on demand with ``pip install
'pipecat-ai==1.14.*' matplotlib``). Its benchmark is ``bench_pipecat.py`` from
/work/shared/bench/pipecat_baseline or ``--pipecat-bench PATH``. Every part of both frameworks
runs in a fresh subprocess; each records ``calib_cpu_ms`` (a fixed pure-Python loop) and the
load average, so the machine's noise is in the results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_PIPECAT_BENCH = "/work/shared/bench/pipecat_baseline/bench_pipecat.py"
PIPECAT_VENV = os.path.join(HERE, ".venv-pipecat")

OURS_FULL = [
    "hop",
    "throughput",
    "concurrency:10",
    "concurrency:50",
    "concurrency:100",
    "concurrency:150",
    "concurrency:200",
    "concurrency:500",
    "concurrency:1000",
    "interruption",
    "rtvi",
    "startup",
    "throughput_json",
]
PIPECAT_FULL = [
    "hop",
    "throughput",
    "concurrency:10",
    "concurrency:100",
    "concurrency:500",
    "interruption",
    "rtvi",
    "startup",
]
OURS_QUICK = [
    "hop",
    "throughput",
    "concurrency:10",
    "concurrency:50",
    "concurrency:100",
    "interruption",
    "rtvi",
    "startup",
]
PIPECAT_QUICK = ["hop", "throughput", "concurrency:10", "interruption", "rtvi", "startup"]
ROUND_GROUPS: list[tuple[list[str], list[str]]] = [
    (["hop"], ["hop"]),
    (["rtvi"], ["rtvi"]),
    (["concurrency:10"], ["concurrency:100", "concurrency:150", "concurrency:200"]),
]
"""Parts measured again in interleaved rounds (``--short-rounds``), Pipecat's then ours, group
by group: the target figures (µs per hop and per message, and the capacity steps, Pipecat's
N=10 against our largest N held) would otherwise be decided by a machine phase lasting one
part. Their figures are the medians over the rounds."""

TARGETS = {
    "sessions_per_core": (">= 8x Pipecat", lambda r: r >= 8),
    "rss_per_session": ("<= 1/3", lambda r: r <= 1 / 3),
    "rtvi_cpu_per_message": ("<= 1/20", lambda r: r <= 1 / 20),
    "per_hop": ("<= 1/2", lambda r: r <= 0.5),
}


# ------------------------------------------------------------------------------------------
# running
# ------------------------------------------------------------------------------------------


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def has_pipecat(python: str) -> bool:
    r = subprocess.run(
        [
            python,
            "-c",
            "import importlib.metadata as m; assert m.version('pipecat-ai').startswith('1.14')",
        ],
        capture_output=True,
    )
    return r.returncode == 0


def pipecat_python(explicit: str | None) -> str:
    if explicit:
        return explicit
    if has_pipecat(sys.executable):
        return sys.executable
    py = os.path.join(PIPECAT_VENV, "bin", "python")
    if not os.path.exists(py) or not has_pipecat(py):
        log(f"creating {PIPECAT_VENV} with pipecat-ai 1.14 (one time) ...")
        subprocess.run([sys.executable, "-m", "venv", PIPECAT_VENV], check=True)
        subprocess.run(
            [py, "-m", "pip", "install", "-q", "pipecat-ai==1.14.*", "matplotlib"], check=True
        )
    return py


def run_ours(parts: list[str], timeout: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in parts:
        log(f"[rtvi-actors] {part} ...")
        t0 = time.monotonic()
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        try:
            p = subprocess.run(
                [sys.executable, "-m", "benchmarks.bench_rtvi_actors", "--part", part],
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=ROOT,
                env=env,
            )
        except subprocess.TimeoutExpired:
            out[part] = {"error": "timeout"}
            continue
        line = next((ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if p.returncode != 0 or line is None:
            log(p.stderr[-3000:])
            out[part] = {"error": f"rc={p.returncode}", "stderr_tail": p.stderr[-2000:]}
            continue
        r = json.loads(line[len("RESULT ") :])
        r["_subprocess_wall_s"] = round(time.monotonic() - t0, 2)
        r["_log_warnings_errors"] = sum(
            1
            for ln in p.stderr.splitlines()
            if '"level": "warning"' in ln or '"level": "error"' in ln
        )
        out[part] = r
    return out


def run_pipecat(
    python: str, bench: str, parts: list[str], out_path: str, timeout: int
) -> dict[str, Any]:
    log(f"[pipecat] {', '.join(parts)} with {python} {bench} ...")
    p = subprocess.run(
        [
            python,
            bench,
            "--parts",
            ",".join(parts),
            "--runs",
            "1",
            "--out",
            out_path,
            "--part-timeout",
            str(timeout),
        ],
        cwd=os.path.dirname(bench),
        stderr=sys.stderr,
        stdout=subprocess.PIPE,
        text=True,
    )
    if p.returncode != 0:
        raise SystemExit(f"pipecat benchmark failed (rc={p.returncode})")
    with open(out_path) as f:
        data = json.load(f)
    return data["runs"][0]


def interleave(
    pc: dict[str, Any],
    us: dict[str, Any],
    groups: list[tuple[list[str], list[str]]],
    rounds: int,
    python: str,
    bench: str,
    out_dir: str,
    stamp: str,
    timeout: int,
) -> None:
    """Run each group's parts ``rounds - 1`` more times, Pipecat's then ours, group by group,
    and replace every such part's result in ``pc`` / ``us`` by the medians over the rounds
    (`common.merge_rounds`; the rounds are kept)."""
    from .common import merge_rounds

    pc_runs = {q: [pc.get(q)] for g_pc, _ in groups for q in g_pc}
    us_runs = {q: [us.get(q)] for _, g_us in groups for q in g_us}
    for r in range(2, rounds + 1):
        for i, (g_pc, g_us) in enumerate(groups):
            path = os.path.join(out_dir, f"pipecat-{stamp}-round{r}-{i}.json")
            more = run_pipecat(python, bench, g_pc, path, timeout)
            ours = run_ours(g_us, timeout)
            for q in g_pc:
                pc_runs[q].append(more.get(q))
            for q in g_us:
                us_runs[q].append(ours.get(q))
    for q, runs in pc_runs.items():
        pc[q] = merge_rounds(runs)
    for q, runs in us_runs.items():
        us[q] = merge_rounds(runs)


def run_loadtest(steps: list[int], budget: float, timeout: int) -> dict[str, Any]:
    log(f"[loadtest] steps {steps} against python -m rtvi_actors --bot scripted ...")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.loadtest",
            "--steps",
            ",".join(map(str, steps)),
            "--time-budget",
            str(budget),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )
    sys.stderr.write(p.stderr[-3000:])
    line = next((ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if p.returncode != 0 or line is None:
        return {"error": f"rc={p.returncode}", "stderr_tail": p.stderr[-2000:]}
    return json.loads(line[len("RESULT ") :])


# ------------------------------------------------------------------------------------------
# the table
# ------------------------------------------------------------------------------------------


def get(d: Any, path: str) -> Any:
    for k in path.split("/"):
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


HELD_LATENESS_P99_MS = 20.0
"""A concurrency step counts for capacity only if the listener heard it on time as well."""


def capacity(run: dict[str, Any], *, strict: bool = True) -> tuple[float | None, str]:
    """Real-time sessions per core: 1000 / CPU ms per session-second at the largest N that was
    not overloaded (Pipecat's criteria: ≥ 98 % of the bot audio delivered, client send lag p99
    ≤ 100 ms) and, when ``strict``, whose output lateness p99 stayed under 20 ms (the load
    test's criterion; Pipecat's N=10 meets it too)."""
    best = None
    for key, r in run.items():
        if not (key.startswith("concurrency:") and isinstance(r, dict)):
            continue
        if r.get("overloaded") != 0:
            continue
        late = (r.get("output_lateness_ms") or {}).get("p99")
        if strict and (late is None or late >= HELD_LATENESS_P99_MS):
            continue
        n = r["N"]
        if best is None or n > best[0]:
            best = (n, r["cpu_ms_per_session_realtime_s"])
    if best is None:
        return None, "no N held"
    return round(1000 / best[1], 1), f"from N={best[0]}"


def fmt(v: Any, nd: int = 1) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.{nd}f}" if abs(v) < 1e5 else f"{v:.3g}"
    return str(v)


def build_rows(pc: dict[str, Any], us: dict[str, Any]) -> list[tuple]:
    rows: list[tuple] = []

    def row(
        name: str,
        pp: str,
        up: str | None = None,
        target: str | None = None,
        invert: bool = False,
        nd: int = 1,
    ) -> None:
        a, b = get(pc, pp), get(us, up or pp)
        ratio = None
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a and b:
            ratio = (a / b) if invert else (b / a)
        verdict = ""
        if target and ratio is not None:  # no verdict without both figures
            verdict = TARGETS[target][0] + (" ✓" if TARGETS[target][1](ratio) else " ✗")
        rows.append(
            (name, fmt(a, nd), fmt(b, nd), fmt(ratio, 3) if ratio is not None else "", verdict)
        )
        if target:
            per_round(pp.split("/")[0], pp.split("/", 1)[1], (up or pp).split("/", 1)[1])

    def per_round(part: str, pc_path: str, us_path: str) -> None:
        """The ratio of each interleaved round (the row above is their medians)."""
        pc_rounds, us_rounds = get(pc, f"{part}/rounds") or [], get(us, f"{part}/rounds") or []
        ratios = []
        for a_run, b_run in zip(pc_rounds, us_rounds, strict=False):
            a, b = get(a_run, pc_path), get(b_run, us_path)
            if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a and b:
                ratios.append(f"{b / a:.3f}")
        if len(ratios) > 1:
            rows.append(("     … each round", "", "", " / ".join(ratios), ""))

    def section(name: str) -> None:
        rows.append((name, None, None, None, None))

    def rounds_note(part: str) -> str:
        n = len(get(us, f"{part}/rounds") or [])
        return f" — medians of {n} interleaved rounds" if n > 1 else ""

    section("1. Hop latency (µs), one message in flight" + rounds_note("hop"))
    for cfg in ("bare", "default"):
        for ft in ("data", "system"):
            for k in (1, 20):
                row(f"   {cfg} {ft} K={k} p50", f"hop/{cfg}/{ft}/K={k}/p50")
            row(
                f"   {cfg} {ft} per hop (slope of p50)",
                f"hop/{cfg}/{ft}/per_hop_us_p50_slope",
                target="per_hop",
                nd=2,
            )
    section("2. Throughput, one session, unpaced (ratio: ours/Pipecat; lower CPU = better)")
    for v in ("conversation", "silence_only"):
        b = f"throughput/{v}/median_rep"
        row(f"   {v}: input frames / CPU-s", f"{b}/frames_per_cpu_s")
        row(f"   {v}: CPU ms per real-time s", f"{b}/cpu_ms_per_realtime_s", nd=2)
        row(f"   {v}: real-time sessions / core", f"{b}/realtime_sessions_per_core")
    row(
        "   conversation: RTVI messages per turn",
        "throughput/conversation/median_rep/rtvi_messages_per_turn",
    )
    row(
        "   conversation, JSON framing: CPU ms per rt-s",
        "throughput/conversation/median_rep/cpu_ms_per_realtime_s",
        "throughput_json/conversation/median_rep/cpu_ms_per_realtime_s",
        nd=2,
    )
    note = rounds_note("concurrency:150")
    section(
        "3. Concurrent real-time sessions (10 s, 3 turns each, output paced)"
        + (note + " for the capacity steps" if note else "")
    )
    ns = sorted({int(k.split(":")[1]) for k in list(pc) + list(us) if k.startswith("concurrency:")})
    for n in ns:
        b = f"concurrency:{n}"
        row(f"   N={n}: overloaded", f"{b}/overloaded")
        row(f"   N={n}: CPU % of one core", f"{b}/cpu_pct_of_one_core")
        row(f"   N={n}: CPU ms / session / rt-s", f"{b}/cpu_ms_per_session_realtime_s", nd=2)
        row(f"   N={n}: bot frames delivered", f"{b}/bot_frames_out_frac", nd=3)
        row(f"   N={n}: out lateness p50 ms", f"{b}/output_lateness_ms/p50", nd=2)
        row(f"   N={n}: out lateness p99 ms", f"{b}/output_lateness_ms/p99", nd=2)
        row(
            f"   N={n}: (ours) send jitter p99 ms (vs own schedule)",
            "-",
            f"{b}/send_jitter_ms/p99",
            nd=2,
        )
        row(f"   N={n}: response latency p50 ms", f"{b}/response_latency_ms/p50", nd=1)
        row(
            f"   N={n}: RSS per session idle KB",
            f"{b}/rss_per_session_idle_kb",
            target="rss_per_session",
        )
        row(f"   N={n}: RSS per session peak KB", f"{b}/rss_per_session_peak_kb")
        row(f"   N={n}: startup CPU ms / session", f"{b}/startup/cpu_ms_per_session", nd=2)
    for strict in (False, True):
        cap_p, note_p = capacity(pc, strict=strict)
        cap_u, note_u = capacity(us, strict=strict)
        ratio = cap_u / cap_p if cap_p and cap_u else None
        ok = TARGETS["sessions_per_core"][1](ratio) if ratio else False
        rows.append(
            (
                "   real-time sessions per core (1000 / CPU ms per session-s)"
                + (", also lateness p99 < 20 ms" if strict else ", not overloaded"),
                f"{fmt(cap_p)} ({note_p})",
                f"{fmt(cap_u)} ({note_u})",
                fmt(ratio, 2) if ratio else "",
                TARGETS["sessions_per_core"][0] + (" ✓" if ok else " ✗"),
            )
        )
    pc_rounds = get(pc, "concurrency:10/rounds") or []
    us_keys = [k for k in us if k.startswith("concurrency:") and get(us, f"{k}/rounds")]
    if len(pc_rounds) > 1 and us_keys:
        ratios = []
        for i, a_run in enumerate(pc_rounds):
            ours = {k: us[k]["rounds"][i] for k in us_keys if len(us[k]["rounds"]) > i}
            cap_p, _ = capacity({"concurrency:10": a_run})
            cap_u, note = capacity(ours)
            if cap_p and cap_u:
                ratios.append(f"{cap_u / cap_p:.2f} ({note})")
        rows.append(("     … each round, strict rule", "", "", " / ".join(ratios), ""))
    section("4. Interruption (10 s reply queued, barge-in 0.5 s in; 12 trials)")
    row("   inject → output flushed ms p50", "interruption/inject_to_output_flush_ms/p50", nd=2)
    row("   inject → last bot frame ms p50", "interruption/inject_to_last_bot_frame_ms/p50", nd=2)
    row("   leaked frames p50", "interruption/leaked_frames/p50")
    rows.append(
        (
            "   leaked frames max",
            fmt(get(pc, "interruption/leaked_frames/max")),
            fmt(get(us, "interruption/leaked_frames/max")),
            "",
            "0 " + ("✓" if get(us, "interruption/leaked_frames/max") == 0 else "✗"),
        )
    )
    row(
        "   inject → RTVI bot-interrupted ms p50",
        "interruption/inject_to_rtvi_bot_interrupted_ms/p50",
        nd=2,
    )
    section("5. RTVI message cost" + rounds_note("rtvi"))
    row(
        "   isolated observer+message+JSON, CPU µs/msg",
        "rtvi/isolated/all_types_cpu_us_per_message",
        nd=2,
    )
    row("   in session: event → client, latency p50 µs", "rtvi/in_pipeline/event_to_json_us/p50")
    row(
        "   in session: CPU µs per message",
        "rtvi/in_pipeline/cpu_us_per_message",
        target="rtvi_cpu_per_message",
    )
    row(
        "   delivery only: CPU µs per message",
        "rtvi/in_pipeline/delivery_cpu_us_per_message",
        target="rtvi_cpu_per_message",
    )
    for what, key in (
        ("in session", "cpu_us_per_message"),
        ("delivery", "delivery_cpu_us_per_message"),
    ):
        row(
            f"   {what}, driver yields every event (earlier method): CPU µs/msg",
            f"rtvi/in_pipeline/{key}",
            f"rtvi/in_pipeline/driver_schedule_point_each_event/{key}",
        )
    section("6. Startup and idle sessions")
    row("   create → bot-ready ms p50", "startup/create_to_bot_ready_ms/p50", nd=2)
    row("   CPU ms per startup p50", "startup/cpu_ms_per_startup/p50", nd=2)
    row("   teardown ms p50", "startup/teardown_ms/p50", nd=2)
    row("   cold first session ms", "startup/cold_first_session_ms")
    row(
        "   idle session RSS KB (100 sessions)",
        "startup/idle/rss_per_idle_session_kb",
        target="rss_per_session",
    )
    row(
        "   tasks per idle session",
        "startup/idle/asyncio_tasks_per_idle_session",
        "startup/idle/trio_tasks_per_idle_session",
    )
    section("Machine")
    row("   calib_cpu_ms median over parts (lower = faster)", "machine/calib_cpu_ms_median", nd=2)
    row("   1-min load average max", "machine/loadavg_1m_max", nd=2)
    return rows


def machine_summary(run: dict[str, Any]) -> dict[str, Any]:
    calibs = [
        v["calib_cpu_ms"] for v in run.values() if isinstance(v, dict) and "calib_cpu_ms" in v
    ]
    loads = [
        x for v in run.values() if isinstance(v, dict) for x in v.get("loadavg_1m_start_end", [])
    ]
    return {
        "calib_cpu_ms_median": round(statistics.median(calibs), 2) if calibs else None,
        "calib_cpu_ms_range": [min(calibs), max(calibs)] if calibs else None,
        "loadavg_1m_max": max(loads) if loads else None,
    }


def print_table(rows: list[tuple]) -> str:
    w = max(len(r[0]) for r in rows) + 1
    lines = [
        f"{'metric':{w}s} {'Pipecat 1.14':>16s} {'rtvi-actors':>16s} {'ratio':>8s}  target",
        "-" * (w + 62),
    ]
    for name, a, b, ratio, target in rows:
        if a is None:
            lines.append(name)
        else:
            lines.append(f"{name:{w}s} {a:>16s} {b:>16s} {ratio:>8s}  {target}")
    text = "\n".join(lines)
    print(text)
    return text


# ------------------------------------------------------------------------------------------
# the plot
# ------------------------------------------------------------------------------------------

PLOT_SCRIPT = r"""
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
data = json.load(open(sys.argv[1]))
fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
for name, run, style in (("Pipecat 1.14", data["pipecat"], "o-"),
                         ("rtvi-actors", data["rtvi_actors"], "s-")):
    pts = sorted((v["N"], v) for k, v in run.items()
                 if k.startswith("concurrency:") and isinstance(v, dict) and "N" in v)
    if not pts:
        continue
    ns = [n for n, _ in pts]
    a1.plot(ns, [v["cpu_pct_of_one_core"] for _, v in pts], style, label=name)
    # lateness only where bot audio was delivered; 0 ms is drawn at 0.01 ms (log scale)
    lp = [(n, v) for n, v in pts if v["output_lateness_ms"].get("n")]
    ln = [n for n, _ in lp]
    a2.plot(ln, [max(0.01, v["output_lateness_ms"]["p99"]) for _, v in lp], style,
            label=name + " p99")
    a2.plot(ln, [max(0.01, v["output_lateness_ms"]["p50"]) for _, v in lp],
            style.replace("-", ":"), label=name + " p50", alpha=0.6)
    jp = [(n, v) for n, v in lp if v.get("send_jitter_ms", {}).get("n")]
    if jp:
        a2.plot([n for n, _ in jp], [max(0.01, v["send_jitter_ms"]["p99"]) for _, v in jp],
                "x--", label=name + " send jitter p99 (no lead)", alpha=0.7)
    for n, v in pts:
        if v.get("overloaded"):
            a1.annotate("overloaded", (n, v["cpu_pct_of_one_core"]), fontsize=7,
                        textcoords="offset points", xytext=(3, -10))
a1.set_xscale("log"); a1.set_xlabel("concurrent sessions (one process)")
a1.set_ylabel("CPU % of one core"); a1.axhline(100, color="grey", lw=0.5); a1.legend()
a1.set_title("CPU vs sessions (10 s, 3 turns each)")
a2.set_xscale("log"); a2.set_yscale("log"); a2.set_xlabel("concurrent sessions (one process)")
a2.set_ylabel("output lateness ms"); a2.axhline(20, color="red", lw=0.5, ls="--")
a2.legend(fontsize=7)
a2.set_title("Bot audio lateness (0 ms drawn at 0.01; no point = no audio)", fontsize=9)
fig.tight_layout(); fig.savefig(sys.argv[2], dpi=110)
"""


def plot(json_path: str, png_path: str, pc_python: str | None) -> str | None:
    for py in (sys.executable, pc_python):
        if not py:
            continue
        r = subprocess.run(
            [py, "-c", PLOT_SCRIPT, json_path, png_path], capture_output=True, text=True
        )
        if r.returncode == 0:
            return png_path
    log("plot skipped: matplotlib is not installed (pip install matplotlib)")
    return None


# ------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="a subset of the parts (~3 min)")
    ap.add_argument(
        "--pipecat-bench",
        default=DEFAULT_PIPECAT_BENCH,
        help="path of bench_pipecat.py (or a copy)",
    )
    ap.add_argument("--pipecat-python", default=None, help="a python with pipecat-ai 1.14")
    ap.add_argument("--skip-pipecat", action="store_true", help="do not run Pipecat")
    ap.add_argument(
        "--pipecat-results",
        default=None,
        help="with --skip-pipecat: a results.json of bench_pipecat.py to compare to",
    )
    ap.add_argument("--ours-parts", default=None, help="comma-separated rtvi-actors parts")
    ap.add_argument("--pipecat-parts", default=None, help="comma-separated Pipecat parts")
    ap.add_argument("--no-loadtest", action="store_true")
    ap.add_argument("--loadtest-steps", default=None)
    ap.add_argument("--out-dir", default=os.path.join(HERE, "results"))
    ap.add_argument("--part-timeout", type=int, default=300)
    ap.add_argument(
        "--short-rounds",
        type=int,
        default=None,
        help="rounds of the target parts (hop, rtvi, the capacity steps) per framework, "
        "interleaved; their figures are the medians over the rounds (default 3, 1 with --quick)",
    )
    ap.add_argument("--replot", metavar="RESULTS_JSON", help="only redraw the plot of a run")
    args = ap.parse_args()
    if args.replot:
        png = args.replot.replace("results-", "sessions-").replace(".json", ".png")
        py = os.path.join(PIPECAT_VENV, "bin", "python")
        print(plot(args.replot, png, py if os.path.exists(py) else None))
        return

    os.makedirs(args.out_dir, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    ours_parts = (
        args.ours_parts.split(",") if args.ours_parts else OURS_QUICK if args.quick else OURS_FULL
    )
    pc_parts = (
        args.pipecat_parts.split(",")
        if args.pipecat_parts
        else PIPECAT_QUICK
        if args.quick
        else PIPECAT_FULL
    )
    steps = (
        [int(x) for x in args.loadtest_steps.split(",")]
        if args.loadtest_steps
        else [10, 50, 100]
        if args.quick
        else [10, 25, 50, 75, 100, 150, 200, 300, 400]
    )
    t_all = time.monotonic()
    meta = {
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "quick": args.quick,
        "ours_parts": ours_parts,
        "pipecat_parts": pc_parts,
    }
    from .common import PARAMS

    meta["params"] = PARAMS
    pc_python = None
    if args.skip_pipecat:
        src = args.pipecat_results or os.path.join(
            os.path.dirname(args.pipecat_bench), "results.json"
        )
        with open(src) as f:
            pc = json.load(f)["runs"][0]
        meta["pipecat_source"] = f"stored: {src} (run 1)"
    else:
        pc_python = pipecat_python(args.pipecat_python)
        t0 = time.monotonic()
        pc = run_pipecat(
            pc_python,
            os.path.abspath(args.pipecat_bench),
            pc_parts,
            os.path.join(args.out_dir, f"pipecat-{stamp}.json"),
            args.part_timeout,
        )
        meta["pipecat_source"] = f"ran {args.pipecat_bench} with {pc_python}"
        meta["pipecat_wall_s"] = round(time.monotonic() - t0, 1)
    t0 = time.monotonic()
    us = run_ours(ours_parts, args.part_timeout)
    meta["ours_wall_s"] = round(time.monotonic() - t0, 1)
    rounds = args.short_rounds or (1 if args.quick else 3)
    groups = [
        ([q for q in g_pc if q in pc_parts], [q for q in g_us if q in ours_parts])
        for g_pc, g_us in ROUND_GROUPS
    ]
    groups = [(g_pc, g_us) for g_pc, g_us in groups if g_pc and g_us]
    if rounds > 1 and not args.skip_pipecat and groups:
        assert pc_python is not None
        bench = os.path.abspath(args.pipecat_bench)
        interleave(pc, us, groups, rounds, pc_python, bench, args.out_dir, stamp, args.part_timeout)
        meta["interleaved_rounds"] = {"groups": groups, "rounds": rounds}
    pc.setdefault("machine", {}).update(machine_summary(pc))
    us["machine"] = machine_summary(us)
    lt = None
    if not args.no_loadtest:
        t0 = time.monotonic()
        lt = run_loadtest(steps, 150.0 if args.quick else 300.0, 600)
        meta["loadtest_wall_s"] = round(time.monotonic() - t0, 1)
    meta["total_wall_s"] = round(time.monotonic() - t_all, 1)
    meta["loadavg_end"] = os.getloadavg()
    rows = build_rows(pc, us)
    table = print_table(rows)
    if lt is not None:
        if "steps" in lt:
            print(
                "\nLoopback WebSocket load test (python -m rtvi_actors --bot scripted, protobuf, "
                "127.0.0.1)"
            )
            for s in lt["steps"]:
                print(
                    f"   N={s['N']:4d}: held={s['held']!s:5s} lateness p50/p99 "
                    f"{s['output_lateness_ms'].get('p50')}/{s['output_lateness_ms'].get('p99')}"
                    f" ms, server CPU {s['server_cpu_pct_of_one_core']}% "
                    f"({s['server_cpu_ms_per_session_realtime_s']} ms/session/s), RSS peak "
                    f"{s['server_rss_peak_mb']} MB, audio {s['bot_audio_delivered_frac']}, "
                    f"client lag p99 {s['client_send_lag_ms'].get('p99')} ms"
                )
            print(f"   sessions held with p99 lateness < 20 ms: {lt['max_sessions_held']}")
        else:
            print(f"\nloadtest failed: {lt.get('error')}")
    out = {"meta": meta, "pipecat": pc, "rtvi_actors": us, "loadtest": lt, "table": table}
    path = os.path.join(args.out_dir, f"results-{stamp}.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    png = plot(
        path,
        os.path.join(args.out_dir, f"sessions-{stamp}.png"),
        pc_python
        or (os.path.join(PIPECAT_VENV, "bin", "python") if os.path.exists(PIPECAT_VENV) else None),
    )
    print(f"\nwrote {path}" + (f" and {png}" if png else "") + f" (total {meta['total_wall_s']} s)")


if __name__ == "__main__":
    main()
