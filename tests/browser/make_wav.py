"""Make the fake-microphone WAV for the browser end-to-end test (16 kHz, mono, PCM16).

One loop of the file is one user utterance::

    0 ........ LEAD_IN: faint noise
    LEAD_IN .. +~0.8 s: loud speech (espeak-ng "hello there friend" if espeak-ng is installed,
                        else a 300 Hz tone with a syllable-like envelope)
    ... PERIOD: faint noise

Chromium's ``--use-file-for-fake-audio-capture`` loops the file, so the page hears one
utterance every PERIOD seconds; the test uses the first utterance for the voice turn and the
second for the barge-in. The padding is faint noise (about -80 dBFS, far below the scripted
bot's -45 dBFS energy VAD threshold), never digital silence: the official client's recorder
drops every sample until the first non-zero one. The output is deterministic (seeded noise).

Usage: python make_wav.py OUT.wav [--period SECONDS] [--tone]
Prints one JSON line describing the file.
"""

from __future__ import annotations

import argparse
import array
import json
import math
import random
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

RATE = 16000
LEAD_IN = 0.6
SPEECH_MAX = 1.0
PERIOD = 9.0
NOISE_LSB = 3  # uniform +-3 LSB: RMS ~1.7 LSB, about -86 dBFS
SPEECH_PEAK = 0.5  # -6 dBFS


def _espeak(text: str) -> array.array | None:
    exe = shutil.which("espeak-ng")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "speech.wav"
        subprocess.run(
            [exe, "-v", "en-us", "-s", "190", "-w", str(out), text],
            check=True,
            capture_output=True,
            timeout=30,
        )
        with wave.open(str(out)) as w:
            if w.getsampwidth() != 2 or w.getnchannels() != 1:
                return None
            src_rate = w.getframerate()
            src = array.array("h", w.readframes(w.getnframes()))
    if sys.byteorder == "big":
        src.byteswap()
    # Trim quiet edges (frames of 10 ms below -45 dBFS).
    step = src_rate // 100
    loud = [
        i
        for i in range(0, len(src) - step, step)
        if math.sqrt(sum(x * x for x in src[i : i + step]) / step) > 32768 * 10 ** (-45 / 20)
    ]
    if not loud:
        return None
    src = src[loud[0] : loud[-1] + step]
    # Linear resampling to 16 kHz, then normalise the peak.
    n = int(len(src) * RATE / src_rate)
    peak = max(1, max(abs(x) for x in src))
    gain = SPEECH_PEAK * 32767 / peak
    out_samples = array.array("h")
    for i in range(n):
        pos = i * src_rate / RATE
        j = int(pos)
        frac = pos - j
        a = src[j]
        b = src[min(j + 1, len(src) - 1)]
        out_samples.append(round((a + (b - a) * frac) * gain))
    return out_samples


def _tone(seconds: float = 0.8, freq: float = 300.0) -> array.array:
    n = int(seconds * RATE)
    samples = array.array("h")
    for i in range(n):
        t = i / RATE
        # two "syllables", never below half level (so the energy VAD sees one utterance)
        env = 0.75 + 0.25 * math.cos(2 * math.pi * 2.5 * t)
        fade = min(1.0, i / 160, (n - 1 - i) / 160)
        v = math.sin(2 * math.pi * freq * t) + 0.3 * math.sin(2 * math.pi * 2 * freq * t)
        samples.append(int(SPEECH_PEAK * 32767 * env * fade * v / 1.3))
    return samples


def make(path: Path, *, period: float = PERIOD, tone: bool = False) -> dict[str, object]:
    """Write the WAV and describe it."""
    speech = None if tone else _espeak("hello there friend")
    source = "espeak-ng"
    if speech is None:
        speech, source = _tone(), "tone"
    speech = speech[: int(SPEECH_MAX * RATE)]
    rng = random.Random(20240611)
    total = int(period * RATE)
    start = int(LEAD_IN * RATE)
    samples = array.array("h", (rng.randint(-NOISE_LSB, NOISE_LSB) or 1 for _ in range(total)))
    for i, v in enumerate(speech):
        samples[start + i] = max(-32768, min(32767, v + samples[start + i]))
    if sys.byteorder == "big":
        samples.byteswap()
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())
    return {
        "path": str(path),
        "rate": RATE,
        "period": period,
        "speech_start": LEAD_IN,
        "speech_seconds": round(len(speech) / RATE, 3),
        "source": source,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=Path)
    p.add_argument("--period", type=float, default=PERIOD)
    p.add_argument("--tone", action="store_true", help="use the tone even if espeak-ng exists")
    args = p.parse_args(argv)
    print(json.dumps(make(args.out, period=args.period, tone=args.tone)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
