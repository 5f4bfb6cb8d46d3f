"""Benchmark of the local engine stack on this machine: ``python -m benchmarks.local_engines``.

Prints, as median and p90 over the utterances: VAD CPU time per 20 ms of audio (Silero and the
energy VAD, through the detector), Whisper latency per utterance, and TTS time to first audio
(eSpeak and Piper). The utterances are spoken by eSpeak. This is a benchmark, so unlike the
engines it reads the wall clock. Engines that are not installed are reported and skipped.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable, Iterator

from actors.engines._errors import EngineUnavailable
from actors.engines.audio import duration_seconds, resample, silence
from actors.engines.stt import WhisperStt
from actors.engines.tts import EspeakTts, PiperConfig, PiperTts, TtsEngine
from actors.engines.vad import EnergyVad, SileroVad, VadEngine
from actors.engines.vad_detector import VadDetector

__all__ = ["main"]

SENTENCES = [
    "Can you remind me to call my mother when I get home tonight?",
    "The meeting has been moved to Wednesday afternoon at three.",
    "Please turn on the kitchen lights.",
    "What is the weather like in London tomorrow?",
    "I would like to book a table for two people at eight.",
    "How long does it take to drive to the airport?",
    "Play some relaxing music in the living room.",
    "Add milk, eggs and bread to my shopping list.",
    "Send a message to Sarah saying I will be late.",
    "Set a timer for fifteen minutes please.",
    "Who won the football game last night?",
    "Tell me a short story about a brave little dog.",
]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _row(name: str, values: list[float], unit: str, scale: float = 1.0) -> str:
    med, p90 = statistics.median(values) * scale, _pct(values, 0.9) * scale
    return f"  {name:<38} median {med:8.3f} {unit:<3} p90 {p90:8.3f} {unit:<3} (n={len(values)})"


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower()).split()


def _first_chunk(it: Iterator[bytes]) -> float:
    start = time.perf_counter()
    next(it, b"")
    elapsed = time.perf_counter() - start
    for _ in it:  # drain, so the next measurement starts clean
        pass
    return elapsed


def bench_tts(name: str, make: Callable[[], TtsEngine], sentences: list[str]) -> None:
    try:
        tts = make()
        load = _timed(tts.load)  # type: ignore[attr-defined]
    except EngineUnavailable as exc:
        print(f"  {name}: skipped ({exc})")
        return
    ttfa = [_first_chunk(iter(tts.synthesize(s))) for s in sentences]
    rtf = []
    for s in sentences[:5]:
        start = time.perf_counter()
        pcm = b"".join(tts.synthesize(s))
        rtf.append((time.perf_counter() - start) / duration_seconds(pcm, tts.sample_rate))
    print(f"  {name}: load {load:.2f} s")
    print(_row(f"{name} time to first audio", ttfa, "ms", 1000))
    print(_row(f"{name} real-time factor", rtf, ""))


def bench_vad(name: str, make: Callable[[], VadEngine], clips: list[bytes]) -> None:
    try:
        engine = make()
    except EngineUnavailable as exc:
        print(f"  {name}: skipped ({exc})")
        return
    per_20ms = []
    for clip in clips:
        det = VadDetector(engine)
        cpu = time.process_time()
        for i in range(0, len(clip), 640):  # 20 ms chunks at 16 kHz, like a live call
            det.feed(clip[i : i + 640])
        cpu = time.process_time() - cpu
        per_20ms.append(cpu / (duration_seconds(clip, 16000) / 0.020))
        det.reset()
    print(_row(f"{name} CPU per 20 ms (detector)", per_20ms, "us", 1e6))
    share = statistics.median(per_20ms) / 0.020 * 100
    print(f"  {name}: {share:.2f} % of one core")


def bench_stt(clips: list[bytes], sentences: list[str]) -> None:
    stt = WhisperStt()
    try:
        load = _timed(stt.load)
    except EngineUnavailable as exc:
        print(f"  whisper: skipped ({exc})")
        return
    latency, rtf, right, total = [], [], 0, 0
    for clip, text in zip(clips, sentences, strict=True):
        start = time.perf_counter()
        result = stt.transcribe(clip)
        elapsed = time.perf_counter() - start
        latency.append(elapsed)
        rtf.append(elapsed / result.audio_seconds)
        heard = set(_words(result.text))
        expected = _words(text)
        right += sum(w in heard for w in expected)
        total += len(expected)
    print(f"  whisper tiny.en int8: load {load:.2f} s, words recognised {right}/{total}")
    print(_row("whisper latency per utterance", latency, "ms", 1000))
    print(_row("whisper real-time factor", rtf, ""))


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--utterances", type=int, default=len(SENTENCES))
    args = parser.parse_args(argv)
    sentences = [SENTENCES[i % len(SENTENCES)] for i in range(max(1, args.utterances))]

    print(f"Local engine benchmark: {len(sentences)} utterances spoken by eSpeak")
    espeak = EspeakTts()
    try:
        espeak.load()
        clips = [
            silence(0.3) + resample(b"".join(espeak.synthesize(s)), 22050, 16000) + silence(0.3)
            for s in sentences
        ]
    except EngineUnavailable as exc:
        print(f"cannot generate speech without eSpeak: {exc}")
        return
    total = sum(duration_seconds(c, 16000) for c in clips)
    print(f"  audio: {total:.1f} s at 16 kHz")

    print("VAD")
    bench_vad("energy", EnergyVad, clips)
    bench_vad("silero", SileroVad, clips)
    print("STT")
    bench_stt(clips, sentences)
    print("TTS")
    bench_tts("espeak", EspeakTts, sentences)
    bench_tts("piper", lambda: PiperTts(PiperConfig()), sentences)


if __name__ == "__main__":
    main()
