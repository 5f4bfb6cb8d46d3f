"""End-of-speech → first bot audio of the offline bot, measured through the whole session graph.

Run:  python -m benchmarks.local_turns [--turns 12] [--tts piper|espeak]

Each turn streams an eSpeak utterance in real time into one session of the local bot (Silero
VAD → Whisper tiny.en → demo responder → Piper/eSpeak), followed by silence, and measures
until the first bot audio frame arrives. Reported: median and p90 of (a) end of the user's
speech → first bot audio, as a user would feel it (includes the VAD's 0.8 s silence timeout),
and (b) the server's own turn metric (the VAD's end-of-turn decision → first audio). A
benchmark may read the wall clock; the server itself does not.
"""

from __future__ import annotations

import argparse
import statistics

import trio
import trio.lowlevel

SENTENCES = (
    "Hello there, how are you today?",
    "Can you tell me what time it is?",
    "What is the weather like outside?",
    "Please remind me to call my mother.",
    "I would like to book a table for two.",
    "Who are you and what can you do?",
    "Tell me something interesting about space.",
    "How far is the moon from the earth?",
    "Thank you very much for your help.",
    "Could you repeat that one more time?",
    "I am looking for a good book to read.",
    "Goodbye and have a nice evening.",
)


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    k = 0.9 * (len(ordered) - 1)
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def run(turns: int, tts: str) -> dict[str, float]:
    """Run ``turns`` turns; return the figures."""
    from actors.bots import VoiceConfig
    from actors.engines import EspeakTts, resample, silence
    from actors.local import EngineChoice, local_bot, make_engines, preload
    from rtvi_actors.client import RtviClient
    from rtvi_actors.testing import connection_pair
    from supervisors import bot_session

    choice = EngineChoice(tts=tts)
    preload(choice)
    engines = make_engines(choice)
    voice = EspeakTts()
    utterances = [
        resample(b"".join(voice.synthesize(s)), voice.sample_rate, 16000)
        for s in (SENTENCES * (turns // len(SENTENCES) + 1))[:turns]
    ]
    felt: list[float] = []
    server_side: list[float] = []
    server_conn, client_conn = connection_pair()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(
            bot_session(lambda s: local_bot(s, VoiceConfig(), engines=engines)), server_conn, "b"
        )
        client = RtviClient(client_conn)
        nursery.start_soon(client.run)
        await client.ready()
        for i, pcm in enumerate(utterances):
            await client.stream_audio(silence(0.3) + pcm)
            end = trio.current_time()
            frames_before = len(client.audio_times())

            async def quiet() -> None:
                while True:  # keep the microphone stream going, as a browser does
                    await client.stream_audio(silence(0.1))

            async with trio.open_nursery() as mic:
                mic.start_soon(quiet)
                while len(client.audio_times()) == frames_before:
                    await client.wait_for("bot-started-speaking", count=i + 1)
                    await trio.lowlevel.checkpoint()
                felt.append(client.audio_times()[frames_before] - end)
                await client.wait_for("bot-stopped-speaking", count=i + 1)
                mic.cancel_scope.cancel()
            ttfa = [
                m["data"]["ttfa"][0]["ttfa"]
                for m in client.of("metrics")
                if "ttfa" in m["data"] and m["data"]["ttfa"][0]["processor"] == "turn"
            ]
            if len(ttfa) > len(server_side):
                server_side.append(ttfa[-1])
        client_conn.close()
    return {
        "turns": float(len(felt)),
        "speech_end_to_audio_median_s": statistics.median(felt),
        "speech_end_to_audio_p90_s": _p90(felt),
        "turn_decision_to_audio_median_s": statistics.median(server_side),
        "turn_decision_to_audio_p90_s": _p90(server_side),
    }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=12)
    parser.add_argument("--tts", choices=("piper", "espeak"), default="piper")
    args = parser.parse_args()
    figures = trio.run(run, max(10, args.turns), args.tts)
    print(f"local stack ({args.tts}), {int(figures['turns'])} turns")
    print(
        "  end of speech -> first bot audio:   median "
        f"{figures['speech_end_to_audio_median_s']:.3f} s, p90 "
        f"{figures['speech_end_to_audio_p90_s']:.3f} s"
    )
    print(
        "  end-of-turn decision -> first audio: median "
        f"{figures['turn_decision_to_audio_median_s']:.3f} s, p90 "
        f"{figures['turn_decision_to_audio_p90_s']:.3f} s"
    )


if __name__ == "__main__":
    main()
