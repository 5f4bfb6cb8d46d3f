"""Disconnect storms: abrupt disconnects of every kind, then count what is left.

Kinds (``KINDS``), each ending with a TCP reset (no WebSocket close, no FIN) unless said:

* ``handshake-partial``: half a request head, then reset;
* ``handshake-unread``: a whole upgrade request, reset before reading the answer;
* ``after-ready``: ``client-ready`` answered, then reset;
* ``mid-speech``: streaming mic audio (the VAD has heard speech), then reset;
* ``mid-reply``: the bot is speaking (``bot-started-speaking`` seen), then reset;
* ``half-open``: a WebSocket that stops reading and answering (no pong, no FIN); the server's
  ping timeout has to find it;
* ``close-mid-reply``: a polite close frame while the bot speaks.

Afterwards every session must be gone, the trio task count back to its baseline (a walk of
the task tree), and memory (RSS of this process: server and clients) back to its baseline
within 5 %.

``python -m reliability.storm [--count 1000] [--quick]``; ``tests/reliability/test_storm.py``
runs a small version.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import itertools
import json
import secrets
import sys
import time
from typing import Any

import attrs
import trio
from trio_websocket import ConnectionClosed, wrap_client_stream

from actors.engines.audio import silence, tone
from rtvi_actors.client import RtviClient
from supervisors import Server

from .common import ServerProcess, Target, abort, rss_bytes, task_count

__all__ = ["KINDS", "StormResult", "storm"]

KINDS = (
    "handshake-partial",
    "handshake-unread",
    "after-ready",
    "mid-speech",
    "mid-reply",
    "half-open",
    "close-mid-reply",
)
SPEECH = silence(0.05) + tone(0.5, 16000, 300.0, amplitude=0.3)


def _upgrade(port: int) -> bytes:
    key = secrets.token_urlsafe(16)
    return (
        f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


async def _read_head(stream: trio.SocketStream) -> bytes:
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = await stream.receive_some(4096)
        if not chunk:
            break
        buf += chunk
    return buf


async def disconnect(kind: str, port: int, local: str, *, half_open_hold: float) -> None:
    """One abrupt disconnect of ``kind`` from source address ``local``."""
    stream = await trio.open_tcp_stream("127.0.0.1", port, local_address=local)
    try:
        if kind == "handshake-partial":
            await stream.send_all(_upgrade(port)[:40])
            await trio.sleep(0.01)
            return
        if kind == "handshake-unread":
            await stream.send_all(_upgrade(port))
            return
        if kind == "half-open":
            await stream.send_all(_upgrade(port))
            await _read_head(stream)
            await trio.sleep(half_open_hold)  # never read again, never answer a ping
            return
        async with trio.open_nursery() as nursery:
            ws = await wrap_client_stream(nursery, stream, "127.0.0.1", "/ws")
            client = RtviClient(ws)
            nursery.start_soon(client.run)
            await client.ready()
            if kind == "mid-speech":
                await client.stream_audio(SPEECH, realtime=False)
                await trio.sleep(0.3)
            elif kind in ("mid-reply", "close-mid-reply"):
                await client.send("send-text", {"content": "one two three four five six"})
                await client.wait_for("bot-started-speaking")
                if kind == "close-mid-reply":
                    await ws.aclose()
            abort(stream)
            nursery.cancel_scope.cancel()
    except (ConnectionClosed, ConnectionError, trio.BrokenResourceError, OSError):
        pass  # the server may refuse or drop us first: that is fine
    finally:
        abort(stream)
        with trio.move_on_after(1, shield=True):
            await stream.aclose()


@attrs.define
class StormResult:
    disconnects: int
    by_kind: dict[str, int]
    seconds: float
    tasks_before: int
    tasks_after: int
    rss_before: int
    rss_after: int
    rss_peak: int
    live_after: int
    objects_before: int
    objects_after: int
    server: dict[str, Any]
    errors: list[str]
    client_library_errors: list[str] = attrs.field(factory=list)
    """The trio-websocket *client* failing to answer a ping while it closes (wsproto's
    ``LocalProtocolError``): a client-library issue, counted apart; the server is judged."""

    @property
    def leaked_tasks(self) -> int:
        return self.tasks_after - self.tasks_before

    @property
    def rss_change(self) -> float:
        return (self.rss_after - self.rss_before) / self.rss_before

    def report(self) -> dict[str, Any]:
        return {
            "disconnects": self.disconnects,
            "by_kind": self.by_kind,
            "seconds": round(self.seconds, 1),
            "leaked_tasks": self.leaked_tasks,
            "tasks_before": self.tasks_before,
            "tasks_after": self.tasks_after,
            "rss_before_mb": round(self.rss_before / 2**20, 1),
            "rss_peak_mb": round(self.rss_peak / 2**20, 1),
            "rss_after_mb": round(self.rss_after / 2**20, 1),
            "rss_change_pct": round(self.rss_change * 100, 2),
            "live_sessions_after": self.live_after,
            "gc_objects_before": self.objects_before,
            "gc_objects_after": self.objects_after,
            "server": self.server,
            "client_errors": len(self.errors),
            "client_library_errors": len(self.client_library_errors),
        }


async def storm(
    count: int,
    *,
    concurrency: int = 24,
    ping: float = 0.5,
    half_open_hold: float = 3.0,
    warmup: int = 15,
    settle_limit: float = 30.0,
    kinds: tuple[str, ...] = KINDS,
    external: bool = False,
    linger: float | None = None,
) -> StormResult:
    """Run ``count`` disconnects (kinds in turn) against a fresh server: in this process, or
    (``external``) a ``reliability.serve`` subprocess, whose figures are then its own."""
    errors: list[str] = []
    quirks: list[str] = []
    by_kind = dict.fromkeys(kinds, 0)
    sources = (f"127.0.{i // 250}.{i % 250 + 2}" for i in itertools.count())
    handshake_timeout = 10.0
    async with contextlib.AsyncExitStack() as stack:
        nursery = await stack.enter_async_context(trio.open_nursery())
        if external:
            proc = await stack.enter_async_context(
                ServerProcess(["--ping", str(ping), "--close-timeout", "0.5", "--unlimited"])
            )
            port, figures = proc.port, proc.stats
        else:
            target = Target(
                server_options={"ping_interval": ping, "ping_timeout": ping, "close_timeout": 0.5},
                keep=False,
            )
            await target.start(nursery)
            assert target.server is not None
            port, figures = target.port, functools.partial(local_figures, target.server)

        async def one(kind: str, local: str, limiter: trio.CapacityLimiter) -> None:
            async with limiter:
                try:
                    with trio.fail_after(half_open_hold + 5):
                        await disconnect(kind, port, local, half_open_hold=half_open_hold)
                except Exception as exc:  # record and go on: the server is what is judged
                    (quirks if _client_quirk(exc) else errors).append(f"{kind}: {exc!r}")

        async def run(n: int) -> None:
            limiter = trio.CapacityLimiter(concurrency)
            async with trio.open_nursery() as wave:
                for i in range(n):
                    kind = kinds[i % len(kinds)]
                    by_kind[kind] += 1
                    wave.start_soon(one, kind, next(sources), limiter)

        async def quiet() -> dict[str, Any]:
            with trio.move_on_after(settle_limit):
                while (await figures())["server"]["connections"] > (1 if external else 0):  # noqa: ASYNC110
                    await trio.sleep(0.1)
            # trio drops an exited scope from its deadline heap only once the deadline has
            # passed: wait out the longest (the server's head timeout, the clients' guard)
            await trio.sleep(
                max(handshake_timeout, half_open_hold + 5) + 0.5 if linger is None else linger
            )
            return await figures()

        await run(warmup * len(kinds))  # warm caches, imports, allocator arenas
        for k in kinds:
            by_kind[k] = 0
        before = await quiet()
        started = time.monotonic()
        peak = before["rss"]

        async def sample() -> None:
            nonlocal peak
            while True:
                peak = max(peak, (await figures())["rss"])
                await trio.sleep(1.0)

        sampler = trio.CancelScope()

        async def run_sampler() -> None:
            with sampler:
                await sample()

        nursery.start_soon(run_sampler)
        await run(count)
        seconds = time.monotonic() - started
        sampler.cancel()
        after = await quiet()
        server_stats = dict(after["server"])
        result = StormResult(
            disconnects=count,
            by_kind=by_kind,
            seconds=seconds,
            tasks_before=before["tasks"],
            tasks_after=after["tasks"],
            rss_before=before["rss"],
            rss_after=after["rss"],
            rss_peak=max(peak, after["rss"]),
            live_after=server_stats["live"],
            objects_before=before["gc_objects"],
            objects_after=after["gc_objects"],
            server=server_stats,
            errors=errors,
            client_library_errors=quirks,
        )
        nursery.cancel_scope.cancel()
    return result


async def local_figures(server: Server) -> dict[str, Any]:
    """The figures ``reliability.serve`` reports, for an in-process server."""
    gc.collect()
    return {
        "tasks": task_count(),
        "rss": rss_bytes(),
        "gc_objects": len(gc.get_objects()),
        "server": attrs.asdict(server.statistics()),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m reliability.storm", description="disconnect storm")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=24)
    p.add_argument("--kind", action="append", choices=KINDS, help="only these kinds")
    p.add_argument("--quick", action="store_true", help="140 disconnects")
    p.add_argument(
        "--in-process", action="store_true", help="server in this process (RSS includes clients)"
    )
    args = p.parse_args(argv)
    if args.quick:
        args.count = 140
    from rtvi_actors.logs import configure_logging

    configure_logging("console", level="error")
    kinds = tuple(args.kind or KINDS)
    result = trio.run(
        lambda: storm(
            args.count, concurrency=args.concurrency, kinds=kinds, external=not args.in_process
        )
    )
    print(json.dumps(result.report(), indent=2))
    for e in result.errors[:10]:
        print("client error:", e, file=sys.stderr)
    ok = result.leaked_tasks <= 0 and result.live_after == 0 and abs(result.rss_change) <= 0.05
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())


def _client_quirk(exc: BaseException) -> bool:
    """Whether ``exc`` is only the client library refusing to send a pong while closing."""
    if isinstance(exc, BaseExceptionGroup):
        return all(_client_quirk(e) for e in exc.exceptions)
    return type(exc).__name__ == "LocalProtocolError" and "LOCAL_CLOSING" in str(exc)
