"""The OpenAI-compatible transcription and speech clients against a real loopback server."""

from __future__ import annotations

import struct

import pytest
import trio
from fake_servers import API_KEY, open_http_server, openai_routes, parse_multipart, speech_pcm

from actors.providers import (
    OpenAISpeech,
    OpenAISpeechConfig,
    OpenAITranscriber,
    OpenAITranscriberConfig,
    ProviderError,
    ProviderStalled,
    Transcription,
    pcm16_wav,
)
from actors.providers.wav import WavHeaderStripper

PCM = struct.pack("<8000h", *range(-4000, 4000))  # 0.5 s at 16 kHz


async def test_transcription_uploads_a_wav_in_multipart() -> None:
    with trio.fail_after(5):
        async with open_http_server(openai_routes()) as server:
            cfg = OpenAITranscriberConfig(
                base_url=server.base_url, model="whisper-1", api_key=API_KEY, language="en"
            )
            async with OpenAITranscriber(cfg) as stt:
                result = await stt.transcribe(PCM, prompt="Zoë")
    assert result == Transcription(
        text="heard 16000 bytes at 16000 Hz", language="en", duration=0.5
    )
    request = server.requests[0]
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    # The fake server parsed the multipart body and checked the WAV header strictly.
    parts = parse_multipart(request.headers["content-type"], _raw_body(server))
    assert parts["file"][0]["content-type"] == "audio/wav"
    assert parts["file"][1] == pcm16_wav(PCM, sample_rate=16000)
    assert {k: v.decode() for k, (_, v) in parts.items() if k != "file"} == {
        "model": "whisper-1",
        "response_format": "json",
        "language": "en",
        "prompt": "Zoë",
    }


def _raw_body(server) -> bytes:
    return server.raw_bodies[0]


async def test_verbose_json_reports_language_and_duration() -> None:
    with trio.fail_after(5):
        async with open_http_server(openai_routes()) as server:
            cfg = OpenAITranscriberConfig(
                base_url=server.base_url,
                model="whisper-1",
                api_key=API_KEY,
                response_format="verbose_json",
            )
            async with OpenAITranscriber(cfg) as stt:
                result = await stt.transcribe(PCM[:3200], sample_rate=8000)
    assert result.language == "english" and result.duration == pytest.approx(0.2)
    assert result.text == "heard 3200 bytes at 8000 Hz"


async def test_transcription_errors_are_typed_and_odd_pcm_rejected() -> None:
    with trio.fail_after(5):
        async with open_http_server(openai_routes()) as server:
            cfg = OpenAITranscriberConfig(
                base_url=server.base_url, model="error-500", api_key=API_KEY
            )
            async with OpenAITranscriber(cfg) as stt:
                with pytest.raises(ProviderError) as info:
                    await stt.transcribe(PCM)
                with pytest.raises(ValueError, match="multiple of 2"):
                    await stt.transcribe(b"\x00\x01\x02")
    assert info.value.status == 503 and info.value.retryable
    assert API_KEY not in repr(cfg) and API_KEY not in repr(stt)


@pytest.mark.parametrize("fmt", ["pcm", "wav"])
async def test_speech_streams_even_pcm_chunks(fmt: str) -> None:
    with trio.fail_after(5):
        async with open_http_server(openai_routes()) as server:
            cfg = OpenAISpeechConfig(
                base_url=server.base_url,
                model="tts-1",
                voice="alloy",
                api_key=API_KEY,
                response_format=fmt,
                speed=1.25,
            )
            async with OpenAISpeech(cfg) as tts, tts.stream("Hello there.") as chunks:
                received = [chunk async for chunk in chunks]
    assert all(len(c) % 2 == 0 and c for c in received)
    assert len(received) > 5  # streamed, not buffered
    assert b"".join(received) == speech_pcm(1000)
    body = server.requests[0].json()
    assert body == {
        "model": "tts-1",
        "voice": "alloy",
        "input": "Hello there.",
        "response_format": fmt,
        "speed": 1.25,
    }


async def drain(tts: OpenAISpeech, text: str, voice: str, *, into: list[bytes]) -> None:
    async with tts.stream(text, voice=voice) as chunks:
        async for chunk in chunks:
            into.append(chunk)


async def test_speech_stall_and_barge_in() -> None:
    with trio.fail_after(5):
        async with open_http_server(openai_routes()) as server:
            cfg = OpenAISpeechConfig(
                base_url=server.base_url,
                model="tts-1",
                voice="alloy",
                api_key=API_KEY,
                stall_deadline=0.2,
            )
            async with OpenAISpeech(cfg) as tts:
                received = []
                with pytest.raises(ProviderStalled) as info:
                    await drain(tts, "Hi", "stall", into=received)
                assert received == [speech_pcm(1000)[:100]]  # the odd byte is held back
                assert info.value.phase == "between_chunks"
                with trio.fail_after(1):
                    await server.aborted.wait()


def test_wav_stripper_handles_split_headers_and_extra_chunks() -> None:
    fmt = struct.pack("<HHIIHH", 1, 1, 24000, 48000, 2, 16)
    wav = (
        b"RIFF"
        + struct.pack("<I", 0xFFFFFFFF)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + b"LIST"
        + struct.pack("<I", 3)
        + b"abc\x00"
        + b"data"
        + struct.pack("<I", 0xFFFFFFFF)
        + b"\x01\x02\x03\x04"
    )
    stripper = WavHeaderStripper()
    out = b"".join(stripper.feed(wav[i : i + 1]) for i in range(len(wav)))
    assert out == b"\x01\x02\x03\x04"
    assert stripper.format is not None and stripper.format.sample_rate == 24000
    with pytest.raises(ProviderError):
        WavHeaderStripper().feed(b"ID3\x03not a wav file")
