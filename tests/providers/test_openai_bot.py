"""The OpenAI-compatible bot end to end, against real loopback servers speaking the wire
formats (streamed SSE chat, multipart transcription, streamed PCM speech)."""

from __future__ import annotations

import pytest
import trio
from fake_servers import API_KEY, open_http_server, openai_routes

from actors.bots import VoiceConfig
from actors.engines import silence, tone
from actors.local import EngineChoice, local_bot, make_engines
from rtvi_actors.client import RtviClient
from rtvi_actors.testing import connection_pair
from supervisors import bot_session


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)


async def run_bot(base_url: str):
    choice = EngineChoice(
        vad="energy",
        llm="openai",
        llm_base_url=base_url,
        llm_model="text",
        stt="openai",
        stt_base_url=base_url,
        stt_model="whisper-1",
        tts="openai",
        tts_base_url=base_url,
        tts_model="tts-1",
        tts_voice="alloy",
    )
    engines = make_engines(choice)
    server_conn, client_conn = connection_pair()
    return engines, server_conn, client_conn


@pytest.mark.usefixtures("keys")
async def test_spoken_turn_through_openai_compatible_services() -> None:
    with trio.fail_after(30):
        async with open_http_server(openai_routes()) as http:
            engines, server_conn, client_conn = await run_bot(http.base_url)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(
                    bot_session(lambda s: local_bot(s, VoiceConfig(), engines=engines)),
                    server_conn,
                    "oa",
                )
                client = RtviClient(client_conn)
                nursery.start_soon(client.run)
                await client.ready()
                speech = silence(0.1) + tone(0.6, 16000, 300.0, amplitude=0.3) + silence(1.0)
                await client.stream_audio(speech, realtime=False)
                transcript = await client.wait_for("user-transcription")
                assert transcript["data"]["text"].startswith("heard ")  # the server's answer
                await client.wait_for("bot-stopped-speaking")
                reply = "".join(m["data"]["text"] for m in client.of("bot-llm-text"))
                assert reply == "Hello, wörld!"  # assembled from the SSE deltas
                assert client.audio_seconds() > 0.03  # 1000 samples at 24 kHz, streamed
                tokens = [
                    m["data"]["tokens"] for m in client.of("metrics") if "tokens" in m["data"]
                ]
                assert tokens and tokens[0][0]["total_tokens"] == 19
                client_conn.close()


@pytest.mark.usefixtures("keys")
async def test_a_stalled_llm_is_reported_not_dead_air() -> None:
    from actors.bots import voice_graph
    from actors.engines import EnergyVad  # noqa: F401  (engine layer importable)
    from actors.fakes import FakeStt, ToneTts, energy_vad
    from actors.providers import OpenAIChatConfig
    from actors.remote import OpenAILlm

    with trio.fail_after(30):
        async with open_http_server(openai_routes()) as http:
            llm = OpenAILlm(
                OpenAIChatConfig(
                    base_url=http.base_url, model="stall", api_key=API_KEY, stall_deadline=0.3
                )
            )
            server_conn, client_conn = connection_pair()

            def build(s):
                return voice_graph(s, vad=energy_vad(), stt=FakeStt(), llm=llm, tts=ToneTts())

            async with trio.open_nursery() as nursery:
                nursery.start_soon(bot_session(build), server_conn, "stall")
                client = RtviClient(client_conn)
                nursery.start_soon(client.run)
                await client.ready()
                await client.send("send-text", {"content": "hi"})
                error = await client.wait_for("error")
                assert error["data"]["fatal"] is False
                assert "ProviderStalled" in error["data"]["error"]
                assert API_KEY not in str(client.messages)
                await client.wait_for("bot-llm-stopped")
                # the session goes on: the next request is answered
                await client.send("client-message", {"t": "ping"}, id_="p1")
                reply = await client.wait_for("error-response")
                assert reply["id"] == "p1"
                client_conn.close()


@pytest.mark.usefixtures("keys")
async def test_streaming_deepgram_stt_drives_turns(monkeypatch: pytest.MonkeyPatch) -> None:
    from fake_servers import open_deepgram_server

    from actors.turn_policy import TurnPolicy

    monkeypatch.setenv("DEEPGRAM_API_KEY", API_KEY)
    with trio.fail_after(30):
        async with open_deepgram_server() as dg:
            choice = EngineChoice(
                vad="energy", stt="deepgram", stt_base_url=dg.url, llm="demo", tts="espeak"
            )
            engines = make_engines(choice)
            config = VoiceConfig(turn_policy=TurnPolicy(stop="transcription"))
            server_conn, client_conn = connection_pair()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(
                    bot_session(lambda s: local_bot(s, config, engines=engines)),
                    server_conn,
                    "dg",
                )
                client = RtviClient(client_conn)
                nursery.start_soon(client.run)
                await client.ready()
                # 0.4 s of audio: an interim ("hello") then a final ("hello hello")
                await client.stream_audio(tone(0.4, 16000, 300.0, amplitude=0.3), realtime=False)
                interim = await client.wait_for(
                    "user-transcription", lambda m: not m["data"]["final"]
                )
                assert interim["data"]["text"] == "hello"
                final = await client.wait_for("user-transcription", lambda m: m["data"]["final"])
                assert final["data"]["text"] == "hello hello"
                llm_text = await client.wait_for("user-llm-text")
                assert llm_text["data"]["text"] == "hello hello"
                await client.wait_for("bot-started-speaking")
                assert dg.audio_bytes >= 12800
                client_conn.close()
