"""Graceful shutdown: live sessions finish the bot's current utterance within the grace, then
close with 1001; the process exits 0 on SIGTERM and never hangs."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import pytest
import trio

from reliability.common import Target
from rtvi_actors.client import open_rtvi_client

pytestmark = pytest.mark.slow

WORDS = " ".join(f"w{i}" for i in range(6))  # "You said: w0 ... w5." is 8 words, 2 s of audio


async def test_close_lets_the_bot_finish_its_utterance_then_1001() -> None:
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            target = Target(server_options={"drain_grace": 5.0})
            url = await target.start(nursery)
            assert target.server is not None
            async with open_rtvi_client(url) as c:
                await c.ready()
                await c.send("send-text", {"content": WORDS})
                await c.wait_for("bot-started-speaking")
                t0 = trio.current_time()
                target.server.close()
                assert await c.wait_closed() == 1001
                closed_after = trio.current_time() - t0
                assert c.of("bot-stopped-speaking"), "the utterance was cut"
                assert c.audio_seconds() == pytest.approx(2.0, abs=0.1)
                assert 1.0 < closed_after < 5.0
            stats = target.server.statistics()
            assert stats.drained == 1 and stats.live == 0


async def test_the_grace_period_bounds_the_drain() -> None:
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            target = Target(server_options={"drain_grace": 0.5, "close_timeout": 0.5})
            url = await target.start(nursery)
            assert target.server is not None
            async with open_rtvi_client(url) as c:
                await c.ready()
                await c.send("send-text", {"content": WORDS * 4})  # about 7 s of speech
                await c.wait_for("bot-started-speaking")
                t0 = trio.current_time()
                target.server.close()
                assert await c.wait_closed() == 1001
                assert trio.current_time() - t0 < 0.5 + 0.5 + 0.5
            assert target.server.statistics().drained == 0


async def test_serve_returns_after_close_and_idle_sessions_close_at_once() -> None:
    with trio.fail_after(30):
        target = Target(server_options={"drain_grace": 10.0})
        async with trio.open_nursery() as nursery:
            url = await target.start(nursery)
            assert target.server is not None
            async with open_rtvi_client(url) as c:
                await c.ready()
                t0 = trio.current_time()
                target.server.close()
                assert await c.wait_closed() == 1001
                assert trio.current_time() - t0 < 1.0  # silent bot: nothing to finish
        # the nursery exited: serve() returned by itself


async def start_cli(*extra: str) -> tuple[trio.Process, int]:
    cmd = [sys.executable, "-m", "rtvi_actors", "--bot", "scripted", "--port", "0", *extra]
    proc = await trio.lowlevel.open_process(cmd, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    buf = b""
    with trio.fail_after(30):
        while not (m := re.search(rb"ws://127\.0\.0\.1:(\d+)/ws", buf)):
            chunk = await proc.stderr.receive_some()
            assert chunk, buf.decode(errors="replace")
            buf += chunk
    return proc, int(m.group(1))


async def drain_stderr(proc: trio.Process) -> None:
    assert proc.stderr is not None
    while await proc.stderr.receive_some():
        pass


async def test_sigterm_drains_then_exits_0() -> None:
    proc, port = await start_cli()
    try:
        with trio.fail_after(40):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(drain_stderr, proc)
                async with open_rtvi_client(f"ws://127.0.0.1:{port}/ws") as c:
                    await c.ready()
                    await c.send("send-text", {"content": WORDS})
                    await c.wait_for("bot-started-speaking")
                    proc.send_signal(signal.SIGTERM)
                    assert await c.wait_closed() == 1001
                    assert c.of("bot-stopped-speaking")
                assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()


async def test_a_second_signal_stops_at_once_and_still_exits_0() -> None:
    proc, port = await start_cli()
    try:
        with trio.fail_after(40):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(drain_stderr, proc)
                async with open_rtvi_client(f"ws://127.0.0.1:{port}/ws") as c:
                    await c.ready()
                    await c.send("send-text", {"content": WORDS * 4})
                    await c.wait_for("bot-started-speaking")
                    proc.send_signal(signal.SIGTERM)
                    await trio.sleep(0.3)
                    t0 = trio.current_time()
                    proc.send_signal(signal.SIGINT)
                    assert await proc.wait() == 0
                    assert trio.current_time() - t0 < 3.0
                    assert await c.wait_closed() in (1001, 1006)
    finally:
        if proc.returncode is None:
            proc.kill()
