"""Shared pieces of the reliability harnesses: an in-process server with the scripted bot,
task counting, memory, and clients that misbehave on purpose."""

from __future__ import annotations

import functools
import gc
import os
import socket
import struct
from collections.abc import Callable, Iterable
from typing import Any

import attrs
import trio

from actors.bots import VoiceConfig, scripted_bot
from actors.transport import UNLIMITED, InboundLimits, TransportCounters, WsReceiver
from rtvi_actors import Graph
from rtvi_actors.session import Session
from supervisors import Server, bot_session

__all__ = [
    "Target",
    "abort",
    "rss_bytes",
    "settle",
    "swap_factory",
    "task_count",
    "with_limits",
]


def task_count() -> int:
    """How many trio tasks are alive now (a walk of the task tree from the root task).

    The runtime's process-wide tasks (named ``rtvi_actors.*``: the write watchdog, the pacer)
    are not counted: there is one of each per process, started on first use, not per session.
    """
    stack = [trio.lowlevel.current_root_task()]
    n = 0
    while stack:
        task = stack.pop()
        if task is None:
            continue
        if task.name.startswith("rtvi_actors."):
            continue
        n += 1
        for nursery in task.child_nurseries:
            stack.extend(nursery.child_tasks)
    return n


def rss_bytes(pid: int | None = None) -> int:
    """Resident set size of a process (this one by default), from ``/proc``."""
    with open(f"/proc/{pid or 'self'}/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def swap_factory(name: str, wrap: Callable[[Any], Any]) -> Callable[[Graph], None]:
    """A ``voice_graph(extra=...)`` hook replacing node ``name``'s factory by ``wrap(old)``."""

    def hook(g: Graph) -> None:
        g.replace(name, wrap(g.factory_of(name)))

    return hook


def with_limits(limits: InboundLimits) -> Callable[[Graph], None]:
    """A ``voice_graph(extra=...)`` hook giving the receiver other inbound limits."""

    def wrap(old: Any) -> Any:
        # old is functools.partial(WsReceiver, conn, counters, framing=...)
        return functools.partial(WsReceiver, *old.args, **{**old.keywords, "limits": limits})

    return swap_factory("ws_in", wrap)


async def settle(seconds: float = 0.2) -> None:
    """Let the scheduler go quiet, then collect garbage."""
    await trio.sleep(seconds)
    gc.collect()


@attrs.define
class Target:
    """An in-process server running the scripted bot, with a registry of its sessions.

    Args:
        limits: the receivers' inbound limits (default: unlimited, so every message is judged).
        hooks: extra ``voice_graph`` hooks for every session (fault injection).
        config: the bot's :class:`VoiceConfig`.
        server_options: keyword arguments for :class:`Server`.
        keep: keep every session in ``sessions`` (for their counters); off for memory runs.
    """

    limits: InboundLimits = UNLIMITED
    hooks: Iterable[Callable[[Session], Iterable[Callable[[Graph], None]]]] = ()
    config: VoiceConfig = attrs.Factory(VoiceConfig)
    server_options: dict[str, Any] = attrs.Factory(dict)
    keep: bool = True
    sessions: dict[str, Session] = attrs.Factory(dict)
    server: Server | None = None
    url: str = ""
    port: int = 0

    def build(self, session: Session) -> Graph:
        if self.keep:
            self.sessions[session.id] = session
        extra = [with_limits(self.limits)]
        for hook in self.hooks:
            extra.extend(hook(session))
        return scripted_bot_with(session, self.config, extra)

    async def start(self, nursery: trio.Nursery) -> str:
        self.server = Server(bot_session(self.build), **self.server_options)
        self.port = await nursery.start(self.server.serve, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self.port}/ws"
        return self.url

    def counters(self) -> TransportCounters:
        """The transport counters summed over every session seen."""
        total = TransportCounters()
        for s in self.sessions.values():
            c = s.data.get("transport")
            if c is None:
                continue
            for f in attrs.fields(TransportCounters):
                if f.type in ("int", int):
                    setattr(total, f.name, getattr(total, f.name) + getattr(c, f.name))
        return total


def scripted_bot_with(
    session: Session, config: VoiceConfig, extra: list[Callable[[Graph], None]]
) -> Graph:
    """The scripted bot with extra graph hooks."""
    from actors.bots import voice_graph
    from actors.fakes import FakeStt, ScriptedLlm, ToneTts, energy_vad

    if not extra:
        return scripted_bot(session, config)
    return voice_graph(
        session,
        vad=energy_vad(),
        stt=FakeStt("hello"),
        llm=ScriptedLlm(),
        tts=ToneTts(),
        config=config,
        extra=extra,
    )


def abort(stream: trio.SocketStream) -> None:
    """Close a TCP connection abruptly: RST, no WebSocket close, no FIN."""
    sock = stream.socket
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class ServerProcess:
    """``python -m reliability.serve`` in a subprocess (its figures are the server's alone).

    Use as ``async with ServerProcess(["--ping", "0.5"]) as proc: ... await proc.stats()``.
    """

    def __init__(self, args: Iterable[str] = ()) -> None:
        self.args = list(args)
        self.port = 0
        self.process: trio.Process | None = None

    async def __aenter__(self) -> ServerProcess:
        import subprocess
        import sys

        cmd = [sys.executable, "-m", "reliability.serve", *self.args]
        self.process = await trio.lowlevel.open_process(cmd, stdout=subprocess.PIPE)
        assert self.process.stdout is not None
        buf = b""
        with trio.fail_after(60):
            while b"\n" not in buf:
                chunk = await self.process.stdout.receive_some()
                if not chunk:
                    raise RuntimeError("reliability.serve exited before listening")
                buf += chunk
        self.port = int(buf.split()[1])
        return self

    async def stats(self) -> dict[str, Any]:
        from .serve import fetch_stats

        return await fetch_stats(self.port)

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    async def wait(self) -> int:
        assert self.process is not None
        return await self.process.wait()

    async def __aexit__(self, *exc: object) -> None:
        if self.process is None:
            return
        if self.process.returncode is None:
            self.process.kill()
        with trio.move_on_after(5, shield=True):
            await self.process.wait()
        if self.process.stdout is not None:
            await self.process.stdout.aclose()
