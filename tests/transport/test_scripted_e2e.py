"""The scripted bot end to end over a real loopback socket, with the protobuf framing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import trio

from actors.bots import scripted_bot
from actors.engines.audio import silence, tone
from rtvi_actors.client import RtviClient, open_rtvi_client
from supervisors import Server, bot_session

pytestmark = pytest.mark.slow

SPEECH = silence(0.1) + tone(0.6, 16000, 300.0, amplitude=0.3) + silence(1.0)


@asynccontextmanager
async def scripted_server() -> AsyncIterator[tuple[Server, str]]:
    async with trio.open_nursery() as nursery:
        server = Server(bot_session(scripted_bot))
        port = await nursery.start(server.serve, "127.0.0.1", 0)
        yield server, f"ws://127.0.0.1:{port}/ws"
        server.close()


def bot_outputs(client: RtviClient) -> list[tuple[str, str]]:
    return [
        (m["data"]["text"], m["data"].get("spoken_status", "")) for m in client.of("bot-output")
    ]


@pytest.mark.parametrize("framing", ["protobuf", "json"])
async def test_a_spoken_turn(framing: str) -> None:
    with trio.fail_after(20):
        async with scripted_server() as (_, url), open_rtvi_client(url, framing=framing) as c:
            ready = await c.ready()
            assert ready["data"]["version"] == "2.2.0"
            await c.stream_audio(SPEECH, realtime=False)
            await c.wait_for("bot-stopped-speaking")
            types = c.types()
            assert types[0] == "bot-ready"
            for expected in (
                "user-started-speaking",
                "user-stopped-speaking",
                "user-transcription",
                "user-llm-text",
                "bot-llm-started",
                "bot-llm-text",
                "bot-llm-stopped",
                "bot-tts-started",
                "bot-started-speaking",
                "bot-output",
                "bot-tts-text",
                "bot-stopped-speaking",
                "metrics",
            ):
                assert expected in types, expected
            assert c.of("user-transcription")[0]["data"]["text"] == "hello"
            assert ("You said: hello.", "completed") in bot_outputs(c)
            # bot-output never comes before bot-started-speaking
            assert types.index("bot-started-speaking") < types.index("bot-output")
            # 3 words x 250 ms of 24 kHz audio
            assert c.audio_seconds() == pytest.approx(0.75, abs=0.01)


async def test_send_text_gets_a_reply_about_it() -> None:
    with trio.fail_after(20):
        async with scripted_server() as (_, url), open_rtvi_client(url) as c:
            await c.ready()
            await c.send("send-text", {"content": "What's the weather?"})
            await c.wait_for("bot-stopped-speaking")
            texts = [t for t, status in bot_outputs(c) if status == "completed"]
            assert any("What's the weather?" in t for t in texts)
            assert c.of("user-input")[0]["data"]["input_type"] == "chat"


async def test_text_only_reply_is_sent_at_once_and_unspoken() -> None:
    with trio.fail_after(20):
        async with scripted_server() as (_, url), open_rtvi_client(url) as c:
            await c.ready()
            await c.send("send-text", {"content": "quiet", "options": {"audio_response": False}})
            out = await c.wait_for("bot-output")
            assert out["data"]["will_be_spoken"] is False
            await c.wait_for("bot-llm-stopped")
            await trio.sleep(0.3)
            assert c.audio_seconds() == 0


async def test_barge_in_stops_the_audio_within_the_lead() -> None:
    words = " ".join(f"w{i}" for i in range(20))  # a 5.5 s reply
    with trio.fail_after(30):
        async with scripted_server() as (_, url), open_rtvi_client(url) as c:
            await c.ready()
            await c.send("send-text", {"content": words})
            await c.wait_for("bot-started-speaking")
            await trio.sleep(1.0)
            t_speech = trio.current_time()
            await c.stream_audio(tone(0.4, 16000, 300.0, amplitude=0.3), realtime=False)
            await c.wait_for("bot-interrupted")
            t_int = c.received[
                [r.msg and r.msg["type"] for r in c.received].index("bot-interrupted")
            ].at
            await trio.sleep(0.5)
            late = [t for t in c.audio_times() if t > t_int + 0.1]
            assert late == [], f"{len(late)} audio frames after the interruption"
            assert t_int - t_speech < 0.5  # VAD start (0.2 s) + hops
            assert c.audio_seconds() < 2.5


async def test_disconnect_bot_ends_the_session_cleanly() -> None:
    with trio.fail_after(20):
        async with scripted_server() as (server, url), open_rtvi_client(url) as c:
            await c.ready()
            await c.send("disconnect-bot")
            assert await c.wait_closed() == 1000
            assert server.statistics().crashed == 0
