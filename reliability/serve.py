"""A server process for the long runs: the scripted bot behind :class:`supervisors.Server`,
plus ``GET /stats`` (JSON: trio task count, RSS, gc objects, server counters, transport
counters of live sessions) so a load generator in another process can read the server's own
figures.

``python -m reliability.serve [--port 0] [--ping 20] [--per-ip 32] [--grace 10]`` prints
``PORT <n>`` on stdout once listening; SIGINT/SIGTERM shut it down like the CLI (graceful,
then immediate on a second signal).
"""

from __future__ import annotations

import argparse
import gc
import json
import signal
import sys
from typing import Any

import attrs
import trio

from actors.transport import DEFAULT_INBOUND_LIMITS, UNLIMITED
from rtvi_actors.web import HttpRequest, HttpResponse

from .common import Target, rss_bytes, task_count

__all__ = ["fetch_stats", "main"]


def stats_app(target: Target) -> Any:
    def app(request: HttpRequest) -> HttpResponse:
        if request.path != "/stats":
            return HttpResponse.text(404, "not found\n")
        assert target.server is not None
        gc.collect()
        body = {
            "tasks": task_count(),
            "rss": rss_bytes(),
            "gc_objects": len(gc.get_objects()),
            "server": attrs.asdict(target.server.statistics()),
        }
        return HttpResponse.json(200, body)

    return app


async def fetch_stats(port: int, host: str = "127.0.0.1") -> dict[str, Any]:
    """``GET /stats`` from a ``reliability.serve`` process."""
    stream = await trio.open_tcp_stream(host, port)
    async with stream:
        await stream.send_all(
            f"GET /stats HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := await stream.receive_some(65536):
            data += chunk
    return json.loads(data.split(b"\r\n\r\n", 1)[1])


async def serve(args: argparse.Namespace) -> None:
    limits = UNLIMITED if args.unlimited else DEFAULT_INBOUND_LIMITS
    target = Target(
        limits=limits,
        keep=False,
        server_options={
            "ping_interval": args.ping,
            "ping_timeout": args.ping,
            "max_connections_per_ip": args.per_ip,
            "drain_grace": args.grace,
            "close_timeout": args.close_timeout,
        },
    )
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:
            from supervisors import Server, bot_session

            target.server = Server(
                bot_session(target.build), http=stats_app(target), **target.server_options
            )

            async def run(task_status: trio.TaskStatus[int]) -> None:
                assert target.server is not None
                await target.server.serve("127.0.0.1", args.port, task_status=task_status)
                nursery.cancel_scope.cancel()

            port = await nursery.start(run)
            print(f"PORT {port}", flush=True)
            async for _ in signals:
                if target.server.closing:
                    nursery.cancel_scope.cancel()
                    break
                target.server.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m reliability.serve")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--ping", type=float, default=20.0)
    p.add_argument("--per-ip", type=int, default=None)
    p.add_argument("--grace", type=float, default=10.0)
    p.add_argument("--close-timeout", type=float, default=2.0)
    p.add_argument("--unlimited", action="store_true", help="no inbound rate limits")
    args = p.parse_args(argv)
    from rtvi_actors.logs import configure_logging

    configure_logging("json", level="error", stream=sys.stderr)
    trio.run(serve, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
