"""The Deepgram live client against a real trio-websocket server speaking Deepgram's format."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import trio
from fake_servers import API_KEY, open_deepgram_server

from actors.providers import (
    DeepgramConfig,
    DeepgramLive,
    FinalTranscript,
    InterimTranscript,
    ProviderAuthError,
    ProviderConnectionError,
    ProviderStalled,
    SpeechStarted,
    StreamMetadata,
    UtteranceEnd,
    open_deepgram_live,
)
from actors.providers.deepgram_stt import build_listen_url

CHUNK = b"\x00\x01" * 1600  # 0.1 s at 16 kHz


def config(url: str, **kw) -> DeepgramConfig:
    kw.setdefault("stall_deadline", 0.5)
    kw.setdefault("close_deadline", 0.5)
    return DeepgramConfig(api_key=kw.pop("api_key", API_KEY), url=url, **kw)


async def test_interim_final_utterance_end_and_clean_close() -> None:
    events = []
    with trio.fail_after(5):
        async with open_deepgram_server() as server:
            async with open_deepgram_live(config(server.url)) as live:
                for _ in range(7):  # 0.7 s: interim, final + utterance end, interim, then a rest
                    await live.send_audio(CHUNK)
                while len(events) < 4:
                    events.append(await live.events.receive())
                await live.finish()
                events.extend([event async for event in live.events])  # drains until EOF
            await server.closed_cleanly.wait()
    assert events == [
        SpeechStarted(timestamp=0.1),
        InterimTranscript(text="hello", start=0.0, duration=0.5, confidence=0.93),
        FinalTranscript(
            text="hello hello", start=0.2, duration=0.5, confidence=0.93, speech_final=True
        ),
        UtteranceEnd(last_word_end=0.2),
        InterimTranscript(text="hello", start=0.0, duration=0.5, confidence=0.93),
        FinalTranscript(text="tail", start=0.0, duration=0.5, confidence=0.93, speech_final=False),
        StreamMetadata(request_id="req-1", duration=1.0),
    ]
    assert server.audio_bytes == 7 * len(CHUNK) and server.close_streams == 1
    query = parse_qs(urlsplit(server.paths[0]).query)
    assert query["encoding"] == ["linear16"] and query["sample_rate"] == ["16000"]
    assert query["interim_results"] == ["true"] and query["endpointing"] == ["300"]


async def test_keepalive_is_sent_when_idle() -> None:
    with trio.fail_after(5):
        async with (
            open_deepgram_server() as server,
            open_deepgram_live(config(server.url, keepalive_interval=0.1)) as live,
        ):
            await trio.sleep(0.35)
            await live.finish()
            async for _ in live.events:
                pass
    assert 2 <= server.keepalives <= 4


async def send_and_listen(cfg: DeepgramConfig) -> None:
    """Stream audio in real time (a chunk per 0.1 s) while reading the events."""

    async def feed(live: DeepgramLive) -> None:
        while True:
            await live.send_audio(CHUNK)
            await trio.sleep(0.1)

    async with open_deepgram_live(cfg) as live, trio.open_nursery() as nursery:
        nursery.start_soon(feed, live)
        async for _ in live.events:
            pass


async def test_unanswered_audio_is_a_stall() -> None:
    with trio.fail_after(5):
        async with open_deepgram_server(mode="mute") as server:
            t0 = trio.current_time()
            with pytest.raises(ProviderStalled) as info:
                await send_and_listen(config(server.url, stall_deadline=0.2))
    assert info.value.phase == "results"
    assert 0.2 <= trio.current_time() - t0 < 2


async def test_bad_key_is_an_auth_error_without_leaking_the_key() -> None:
    with trio.fail_after(5):
        async with open_deepgram_server() as server:
            with pytest.raises(ProviderAuthError) as info:
                async with open_deepgram_live(config(server.url, api_key="sk-wrong-0123456789")):
                    pass
    assert info.value.status == 401 and not info.value.retryable
    assert "sk-wrong" not in str(info.value)
    cfg = config("ws://x")
    assert API_KEY not in repr(cfg) and API_KEY not in build_listen_url(cfg)


async def test_refused_connection_and_cancellation() -> None:
    with trio.fail_after(5):
        async with open_deepgram_server() as server:
            port = server.port
            # Cancelling the surrounding scope closes the stream promptly.
            with trio.move_on_after(0.2) as scope:
                await send_and_listen(config(server.url))
            assert scope.cancelled_caught
            with trio.fail_after(1):
                await server.dropped.wait()
        with pytest.raises(ProviderConnectionError):
            async with open_deepgram_live(config(f"ws://127.0.0.1:{port}/v1/listen")):
                pass
