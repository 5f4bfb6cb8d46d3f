"""``python -m rtvi_actors`` as a user runs it: help, the URL line, signals, exit status."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import trio
from trio_websocket import ConnectionClosed, open_websocket_url

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
URL = re.compile(r"ws://127\.0\.0\.1:(\d+)/ws")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _start(*args: str) -> tuple[subprocess.Popen[str], str, list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "rtvi_actors", "--port", "0", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=ROOT,
    )
    assert proc.stderr is not None
    lines: list[str] = []
    for line in proc.stderr:
        lines.append(line)
        m = URL.search(line)
        if m:
            return proc, m.group(0), lines
    proc.kill()
    raise AssertionError("no URL line:\n" + "".join(lines))


def test_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "rtvi_actors", "--help"],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
        check=True,
    ).stdout
    for flag in ("--host", "--port", "--bot", "--log-format"):
        assert flag in out


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_start_signal_exit_zero(signum: signal.Signals) -> None:
    proc, _url, lines = _start("--bot", "scripted")
    url_lines = [line for line in lines if "ws://" in line]
    assert len(url_lines) == 1
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_sigterm_closes_a_live_session_with_1001() -> None:
    proc, url, _ = _start("--bot", "echo", "--log-format", "json")
    codes: list[int] = []

    async def client() -> None:
        async with open_websocket_url(url) as ws:
            await ws.send_message("ping")
            assert await ws.get_message() == "ping"
            proc.send_signal(signal.SIGTERM)
            try:
                await ws.get_message()
            except ConnectionClosed as closed:
                codes.append(closed.reason.code)

    try:
        trio.run(client)
        _, err = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert codes == [1001]
    assert proc.returncode == 0, err
    # JSON logs: every session line carries the session id
    assert '"session_id"' in err


def test_missing_engine_is_a_clear_error(tmp_path: Path) -> None:
    # shadow faster_whisper with a module that cannot be imported, as if the extra were absent
    (tmp_path / "faster_whisper.py").write_text("raise ImportError('not installed')\n")
    env = _env()
    env["PYTHONPATH"] = f"{tmp_path}{os.pathsep}{env['PYTHONPATH']}"
    res = subprocess.run(
        [sys.executable, "-m", "rtvi_actors", "--bot", "local", "--port", "0"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert res.returncode == 2
    assert "engine.unavailable" in res.stderr
    assert "pip install" in res.stderr
    assert "Traceback" not in res.stderr


def test_tune_gc_freezes_the_startup_heap_and_collects_less_often() -> None:
    import gc

    from rtvi_actors.cli import GC_THRESHOLDS, tune_gc

    before = gc.get_threshold()
    gc.unfreeze()
    try:
        tune_gc()
        assert gc.get_freeze_count() > 1000  # at least the imported modules' objects
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    assert gc.get_freeze_count() == 0
