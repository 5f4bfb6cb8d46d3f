"""Soak: N voice sessions talking for minutes through the real transport; memory and
lateness over time.

Each session (``rtvi_actors.client``, protobuf framing) loops: stream an utterance in real
time, wait for the bot's spoken answer, pause, again. Figures:

* **reply latency**: end of the user's audio to the first audio frame of the answer (the
  energy VAD's end-of-speech hangover is part of it);
* **lateness**: for each audio frame of an answer, its arrival minus when it was due at real
  time from the answer's first frame (``t_first + i * 40 ms``); positive is late;
* **server memory and tasks**: RSS and trio task count of the server process, sampled.

Per window (``--window`` s): turns, latency p50/p95, lateness p95/max, RSS. At the end: RSS
slope (MB per minute, least squares over samples after the first window) and whether the
last window's latency p95 is within 20 % (or 20 ms) of the first's.

``python -m reliability.soak [--sessions 8] [--minutes 10] [--quick]``; the server runs in a
``reliability.serve`` subprocess (``--in-process`` to share this one).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import statistics
import time
from typing import Any

import attrs
import trio

from actors.engines.audio import silence, tone
from rtvi_actors.client import RtviClient, open_rtvi_client

from .common import ServerProcess, Target
from .storm import local_figures

__all__ = ["SoakResult", "soak"]

UTTERANCE = silence(0.1) + tone(0.7, 16000, 300.0, amplitude=0.3) + silence(1.0)
CHUNK = 0.040  # the server's audio chunk


@attrs.define
class Turn:
    at: float
    latency: float
    lateness: list[float]


@attrs.define
class SoakResult:
    sessions: int
    seconds: float
    turns: list[Turn]
    samples: list[tuple[float, int, int]]  # (time, rss, tasks)
    errors: list[str]
    tasks_before: int
    tasks_after: int
    server: dict[str, Any]
    window: float

    def windows(self) -> list[dict[str, Any]]:
        out = []
        n = max(1, int(self.seconds // self.window + (self.seconds % self.window > 1)))
        for w in range(n):
            lo, hi = w * self.window, (w + 1) * self.window
            turns = [t for t in self.turns if lo <= t.at < hi]
            late = sorted(x for t in turns for x in t.lateness)
            lat = sorted(t.latency for t in turns)
            rss = [r for (at, r, _) in self.samples if lo <= at < hi]
            out.append(
                {
                    "window_s": f"{lo:.0f}-{hi:.0f}",
                    "turns": len(turns),
                    "latency_p50_ms": _ms(_pct(lat, 0.5)),
                    "latency_p95_ms": _ms(_pct(lat, 0.95)),
                    "lateness_p95_ms": _ms(_pct(late, 0.95)),
                    "lateness_max_ms": _ms(late[-1] if late else None),
                    "rss_mb": round(max(rss) / 2**20, 1) if rss else None,
                }
            )
        return out

    def rss_slope_mb_per_min(self) -> float:
        pts = [(at, r) for (at, r, _) in self.samples if at >= self.window]
        if len(pts) < 3:
            pts = self.samples and [(at, r) for (at, r, _) in self.samples]
        if len(pts) < 2:
            return 0.0
        xs, ys = [p[0] for p in pts], [p[1] / 2**20 for p in pts]
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        var = sum((x - mx) ** 2 for x in xs)
        return (
            0.0
            if var == 0
            else sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var * 60
        )

    def stable(self) -> bool:
        ws = [w for w in self.windows() if w["turns"]]
        if len(ws) < 2:
            return True
        first, last = ws[0]["latency_p95_ms"], ws[-1]["latency_p95_ms"]
        return last <= max(first * 1.2, first + 20)

    def report(self) -> dict[str, Any]:
        lat = sorted(t.latency for t in self.turns)
        late = sorted(x for t in self.turns for x in t.lateness)
        rss = [r for _, r, _ in self.samples]
        return {
            "sessions": self.sessions,
            "seconds": round(self.seconds, 1),
            "turns": len(self.turns),
            "latency_p50_ms": _ms(_pct(lat, 0.5)),
            "latency_p95_ms": _ms(_pct(lat, 0.95)),
            "lateness_p95_ms": _ms(_pct(late, 0.95)),
            "lateness_max_ms": _ms(late[-1] if late else None),
            "rss_first_mb": round(rss[0] / 2**20, 1) if rss else None,
            "rss_last_mb": round(rss[-1] / 2**20, 1) if rss else None,
            "rss_slope_mb_per_min": round(self.rss_slope_mb_per_min(), 3),
            "latency_stable": self.stable(),
            "tasks_before": self.tasks_before,
            "tasks_after": self.tasks_after,
            "errors": len(self.errors),
            "server": {
                k: self.server[k] for k in ("accepted", "ended", "crashed", "timed_out", "errors")
            },
            "windows": self.windows(),
        }


def _pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def _ms(x: float | None) -> float | None:
    return None if x is None else round(x * 1000, 1)


async def talk(url: str, until: float, t0: float, turns: list[Turn], errors: list[str]) -> None:
    """One session: talk until ``until`` (trio time), recording each turn."""
    try:
        async with open_rtvi_client(url) as c:
            await c.ready()
            while trio.current_time() < until:
                await one_turn(c, t0, turns)
                await trio.sleep(0.3)
    except Exception as exc:
        errors.append(repr(exc))


async def one_turn(c: RtviClient, t0: float, turns: list[Turn]) -> None:
    stopped = len(c.of("bot-stopped-speaking"))
    await c.stream_audio(UTTERANCE)
    spoke_end = trio.current_time()
    mark = len(c.received)
    with trio.fail_after(10):
        await c.wait_for("bot-stopped-speaking", count=stopped + 1)
    frames = [r.at for r in c.received[mark:] if r.audio is not None]
    if not frames:
        return
    first = frames[0]
    lateness = [at - (first + i * CHUNK) for i, at in enumerate(frames)]
    turns.append(Turn(at=spoke_end - t0, latency=first - spoke_end, lateness=lateness))
    del c.received[:]  # keep the client's memory flat too


async def soak(
    sessions: int, seconds: float, *, window: float = 60.0, external: bool = True
) -> SoakResult:
    turns: list[Turn] = []
    errors: list[str] = []
    samples: list[tuple[float, int, int]] = []
    async with contextlib.AsyncExitStack() as stack:
        nursery = await stack.enter_async_context(trio.open_nursery())
        if external:
            proc = await stack.enter_async_context(ServerProcess(["--per-ip", "1000"]))
            url, figures = f"ws://127.0.0.1:{proc.port}/ws", proc.stats
        else:
            target = Target(keep=False, server_options={"max_connections_per_ip": None})
            url = await target.start(nursery)
            assert target.server is not None
            figures = functools.partial(local_figures, target.server)
        before = await figures()
        t0 = trio.current_time()
        started = time.monotonic()
        sampler = trio.CancelScope()

        async def sample() -> None:
            with sampler:
                while True:
                    f = await figures()
                    samples.append((trio.current_time() - t0, f["rss"], f["tasks"]))
                    await trio.sleep(min(10.0, window / 6))

        nursery.start_soon(sample)
        async with trio.open_nursery() as talkers:
            for _ in range(sessions):
                talkers.start_soon(talk, url, t0 + seconds, t0, turns, errors)
                await trio.sleep(2.8 / sessions)  # spread the turns
        sampler.cancel()
        await trio.sleep(1.0)
        after = await figures()
        nursery.cancel_scope.cancel()
    return SoakResult(
        sessions=sessions,
        seconds=time.monotonic() - started,
        turns=turns,
        samples=samples,
        errors=errors,
        tasks_before=before["tasks"],
        tasks_after=after["tasks"],
        server=after["server"],
        window=window,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m reliability.soak", description="soak test")
    p.add_argument("--sessions", type=int, default=8)
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--window", type=float, default=60.0, help="seconds per report window")
    p.add_argument("--quick", action="store_true", help="4 sessions for 1 minute")
    p.add_argument("--in-process", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        args.sessions, args.minutes, args.window = 4, 1.0, 20.0
    from rtvi_actors.logs import configure_logging

    configure_logging("console", level="error")
    result = trio.run(
        lambda: soak(
            args.sessions, args.minutes * 60, window=args.window, external=not args.in_process
        )
    )
    report = result.report()
    print(json.dumps(report, indent=2))
    for e in result.errors[:10]:
        print("client error:", e)
    ok = (
        not result.errors
        and report["server"]["crashed"] == 0
        and abs(report["rss_slope_mb_per_min"]) < 0.5
        and report["latency_stable"]
    )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
