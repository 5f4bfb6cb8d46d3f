"""Real-browser end-to-end test: headless Chromium runs the official Pipecat web client
(``@pipecat-ai/client-js`` + ``@pipecat-ai/websocket-transport``) against
``python -m rtvi_actors --bot scripted``, with a fake microphone fed from a generated WAV.

The browser side is ``web/e2e.mjs`` (see ``web/README.md``). Needs ``/usr/bin/chromium`` and
``web/node_modules`` (``.ci/browser-deps.sh`` installs both); skipped without them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
E2E_TIMEOUT = 120.0

pytestmark = pytest.mark.slow


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (run .ci/browser-deps.sh)"
    if shutil.which("node") is None:
        return "node not found"
    if not (WEB / "node_modules" / "playwright-core").is_dir():
        return "web/node_modules missing (run .ci/browser-deps.sh, or: cd web && npm ci)"
    return None


needs_browser = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


class _Server:
    """``python -m rtvi_actors --bot scripted --port 0`` with its output drained in a thread."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rtvi_actors", "--bot", "scripted", "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        self._url: str | None = None
        self._found = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            m = re.search(r"ws://[^\s'\"]+/ws", line)
            if m and self._url is None:
                self._url = m.group(0)
                self._found.set()
        self._found.set()

    def url(self, timeout: float = 20.0) -> str:
        self._found.wait(timeout)
        if self._url is None:
            raise AssertionError("server printed no ws:// URL:\n" + self.log())
        return self._url

    def log(self) -> str:
        return "\n".join(self.lines[-60:])

    def stop(self, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("server did not stop within 15 s of SIGTERM") from None
        self._reader.join(5)
        return code


@needs_browser
@pytest.mark.timeout(E2E_TIMEOUT + 60)
def test_official_web_client_in_chromium(tmp_path: Path) -> None:
    wav = tmp_path / "mic.wav"
    made = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("make_wav.py")), str(wav)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    print("fake mic:", made.stdout.strip())
    server = _Server()
    try:
        url = server.url()
        t0 = time.monotonic()
        run = subprocess.run(
            ["node", str(WEB / "e2e.mjs"), url, "--wav", str(wav), "--chromium", str(CHROMIUM)],
            cwd=WEB,
            capture_output=True,
            text=True,
            timeout=E2E_TIMEOUT,
        )
        elapsed = time.monotonic() - t0
    finally:
        code = server.stop()
    print(run.stderr)
    print(run.stdout)
    try:
        result = json.loads(run.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"e2e.mjs printed no JSON (exit {run.returncode}):\n{run.stderr}\n{run.stdout}")
    summary = {k: v.get("ok") for k, v in result.get("checks", {}).items()}
    assert run.returncode == 0 and result["ok"], (
        f"browser e2e failed: {result.get('failed')} {result.get('error', '')}\n"
        f"checks: {json.dumps(result.get('checks'), indent=1)}\nserver log:\n{server.log()}"
    )
    assert summary == dict.fromkeys(
        [
            "a_bot_ready",
            "b_voice_turn",
            "c_send_text",
            "d_barge_in",
            "e_disconnect_bot",
            "f_demo_page",
        ],
        True,
    )
    assert code == 0, f"server exited {code} after SIGTERM:\n{server.log()}"
    bad = [line for line in server.lines if re.search(r"\[error|crashed=[1-9]", line)]
    assert not bad, "server logged errors:\n" + "\n".join(bad)
    assert elapsed < 90, f"browser e2e took {elapsed:.0f} s"


@pytest.mark.skipif(
    shutil.which("node") is None or not (WEB / "node_modules" / "esbuild").is_dir(),
    reason="node or web/node_modules missing (cd web && npm ci)",
)
def test_built_demo_page_is_up_to_date() -> None:
    """``rtvi_actors/static`` is exactly what ``npm run build`` makes from ``web/src``."""
    run = subprocess.run(
        ["node", "build.mjs", "--check"], cwd=WEB, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr + run.stdout


def test_demo_page_is_committed_and_offline() -> None:
    """The served page needs no npm step and loads nothing from another host."""
    static = ROOT / "rtvi_actors" / "static"
    for name in ("index.html", "app.js", "style.css"):
        assert (static / name).is_file(), f"rtvi_actors/static/{name} missing (npm run build)"
    html = (static / "index.html").read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "index.html loads a remote URL"


def test_lockfile_names_no_registry() -> None:
    """``web/package-lock.json`` pins versions and integrity hashes but no ``resolved`` URLs."""
    text = (WEB / "package-lock.json").read_text()
    lock = json.loads(text)
    resolved = [k for k, v in lock.get("packages", {}).items() if "resolved" in v]
    assert resolved == [], f"resolved URLs (run: cd web && node strip-lock.mjs): {resolved}"
    assert all("integrity" in v for k, v in lock["packages"].items() if k), "entries lack integrity"
    assert "registry" not in text
