"""Shared helpers: parameters, percentiles, RSS, the machine reference loop.

The percentile, the summary and the calibration loop are the same definitions as in Pipecat's
``bench_pipecat.py`` so that the two frameworks' figures are comparable.
"""

from __future__ import annotations

import os
import resource
import statistics
import struct
import time
from typing import Any

SR = 16000
FRAME_S = 0.020
FRAME_BYTES = 640
MB = 1024 * 1024

PARAMS: dict[str, Any] = {
    "audio": {
        "sample_rate": SR,
        "channels": 1,
        "sample_format": "int16",
        "frame_ms": 20,
        "frame_bytes": FRAME_BYTES,
        "output_chunk_ms": 20,
    },
    "client": {
        # how the in-process client paces its 20 ms mic frames: "pacer" (every session on one
        # shared rtvi_actors Pacer, wake-ups rounded up to pacer_tick_s) or "trio" (one trio
        # timer per session per frame, as before)
        "timers": "pacer",
        "pacer_tick_s": 0.005,
    },
    "wire": {
        "framing": "protobuf",
        "audio_lead_s": 0.08,
        "note": "client<->server payloads are real wire frames over in-memory connections",
    },
    "hop": {
        "K": [1, 5, 10, 20],
        "warmup": 100,
        "samples": 1000,
        "frame_types": {
            "data": "LlmText(epoch, 'x') (bot-side: staleness check)",
            "system": "AudioIn(640 B) (user-side)",
        },
        "configs": {
            "bare": "K pass-through actors, SessionGraph.run (unsupervised)",
            "default": "same under run_session (supervised) with the RtviActor (observer "
            "and frame writer) in the graph",
        },
    },
    "conversation": {
        "user_speech_frames": 40,
        "llm_sentences": 3,
        "llm_tokens_per_sentence": 6,
        "tts_frames_per_sentence": 20,
        "bot_reply_frames": 60,
        "interim_every_speech_frames": 10,
    },
    "throughput": {
        "frames": 3000,
        "reps": 3,
        "window_frames": 32,
        "cycle_frames": 150,
        "speech_start_in_cycle": 10,
    },
    "concurrency": {
        "N": [10, 100, 500, 1000],
        "conversation_s": 10.0,
        "turn_starts_s": [0.2, 3.2, 6.2],
        "per_session_turn_offset_s": "0.1 * (i % 10)",
        "phase_stagger": "i * 20ms / N",
        "grace_s": 3.0,
        "rss_sample_period_s": 0.25,
    },
    "interruption": {
        "trials": 12,
        "first_speech_at_frame": 5,
        "user_speech_frames": 15,
        "reply_sentences": 2,
        "tts_frames_per_sentence": 250,
        "reply_audio_s": 10.0,
        "inject_after_bot_start_s": 0.5,
        "inject_jitter_s": 0.02,
    },
    "rtvi": {
        "isolated_iters_per_event": 3000,
        "pipeline_events": 1000,
        "pipeline_warmup": 100,
        "driver_yield_variant": True,  # ours only: also the loops whose driver yields each event
    },
    "startup": {
        "sequential_sessions": 30,
        "warmup_sessions": 1,
        "idle_sessions": 100,
        "idle_measure_s": 3.0,
    },
}

BOT_MAGIC = b"BOT!"
_BOT_FILL = bytes(FRAME_BYTES - 12)
IN_SPEECH = b"\x01" + bytes(FRAME_BYTES - 1)
IN_SILENCE = bytes(FRAME_BYTES)


def bot_payload(reply: int, k: int) -> bytes:
    """A stamped 20 ms bot frame: ``BOT!`` + u32 reply + u32 frame index + zeros."""
    return BOT_MAGIC + struct.pack("<II", reply, k) + _BOT_FILL


def pct(values: list[float], p: float) -> float | None:
    """Percentile with linear interpolation (numpy 'linear')."""
    if not values:
        return None
    v = sorted(values)
    if len(v) == 1:
        return v[0]
    k = (len(v) - 1) * p / 100.0
    f = int(k)
    c = min(f + 1, len(v) - 1)
    return v[f] + (v[c] - v[f]) * (k - f)


def summ(values: list[float], scale: float = 1.0, nd: int = 1) -> dict[str, Any]:
    """n / p50 / p99 / mean / max of a list, scaled."""
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": round(pct(values, 50) * scale, nd),
        "p99": round(pct(values, 99) * scale, nd),
        "mean": round(statistics.fmean(values) * scale, nd),
        "max": round(max(values) * scale, nd),
    }


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cpu() -> float:
    return time.process_time()


def calibrate() -> float:
    """CPU ms of a fixed pure-Python loop (the same loop as Pipecat's ``calib_cpu_ms``)."""
    best = None
    for _ in range(3):
        c0 = time.process_time()
        d: dict[int, int] = {}
        acc = 0
        for i in range(200_000):
            d[i & 1023] = i
            acc += d.get((i * 7) & 1023, 0)
        c = time.process_time() - c0
        best = c if best is None else min(best, c)
    return round(best * 1000, 2)


def make_speech_flags(n_frames: int, starts: list[int], speech_frames: int) -> bytearray:
    flags = bytearray(n_frames)
    for s in starts:
        for i in range(s, min(s + speech_frames, n_frames)):
            flags[i] = 1
    return flags


def merge_rounds(rounds: list[Any]) -> Any:
    """One result from several rounds of a part (run interleaved with the other framework's):
    every number present in all rounds becomes the median over the rounds, everything else is
    the first round's; the rounds themselves are kept under ``"rounds"``. Failed rounds (an
    ``error`` entry) are left out."""
    import copy
    import statistics

    ok = [r for r in rounds if isinstance(r, dict) and "error" not in r]
    if not ok:
        return rounds[0] if rounds else {}

    def med(values: list[Any]) -> Any:
        first = values[0]
        if isinstance(first, dict):
            return {
                k: med([v[k] for v in values]) if all(k in v for v in values) else first[k]
                for k in first
            }
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            m = statistics.median(values)
            return round(m, 3) if isinstance(m, float) else m
        return first

    merged = med([copy.deepcopy(r) for r in ok]) if len(ok) > 1 else copy.deepcopy(ok[0])
    merged["rounds"] = ok
    return merged
