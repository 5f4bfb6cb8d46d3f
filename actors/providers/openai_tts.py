"""A streaming client for OpenAI-compatible speech synthesis (``POST {base}/audio/speech``).

Served by OpenAI (``tts-1``, ``gpt-4o-mini-tts``), Kokoro-FastAPI, Speaches, openedai-speech and
LocalAI. Audio is requested as raw PCM (24 kHz, 16-bit, mono) or WAV (header stripped) and
delivered as PCM16 chunks while it downloads.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, final

import httpx
import trio
from attrs import field, frozen

from ._http import HttpOwner, auth_headers, open_body
from .errors import ProviderError, redacted_repr
from .wav import WavHeaderStripper

__all__ = ["OpenAISpeech", "OpenAISpeechConfig"]

PROVIDER = "openai-tts"


@final
@frozen(kw_only=True)
class OpenAISpeechConfig:
    """Where and how to reach an OpenAI-compatible speech endpoint.

    Attributes:
        base_url: The API root including the version, e.g. ``https://api.openai.com/v1``.
        model: ``tts-1``, ``gpt-4o-mini-tts``, ``kokoro``...
        voice: The default voice (``alloy``, ``af_heart``...).
        api_key: Sent as ``Authorization: Bearer <key>``; never shown in ``repr()``.
        extra_headers: More headers (credential values are redacted in ``repr()``).
        response_format: ``"pcm"`` (raw samples) or ``"wav"`` (the header is stripped).
        sample_rate: The rate of raw ``pcm`` output (24 kHz for OpenAI); with ``wav`` the header
            is checked against it.
        speed: Optional speaking rate (0.25-4.0).
        instructions: Optional style instructions (``gpt-4o-mini-tts``).
        first_byte_deadline: Seconds from sending the request to the first audio bytes.
        stall_deadline: Seconds allowed between two audio chunks after that.
    """

    base_url: str
    model: str
    voice: str
    api_key: str | None = field(default=None, repr=False)
    extra_headers: Mapping[str, str] = field(factory=dict, repr=redacted_repr)
    response_format: str = field(default="pcm")
    sample_rate: int = 24000
    speed: float | None = None
    instructions: str | None = None
    first_byte_deadline: float = 10.0
    stall_deadline: float = 5.0

    @response_format.validator
    def _validate_format(self, attribute: Any, value: str) -> None:
        if value not in ("pcm", "wav"):
            raise ValueError(f"response_format must be 'pcm' or 'wav', not {value!r}")


class OpenAISpeech(HttpOwner):
    """Synthesises speech with an OpenAI-compatible server, streaming PCM16 chunks.

    Args:
        config: The endpoint configuration.
        http: A shared ``httpx.AsyncClient`` (not closed by this object), or ``None``.
    """

    def __init__(self, config: OpenAISpeechConfig, *, http: httpx.AsyncClient | None = None):
        super().__init__(http)
        self.config = config

    def __repr__(self) -> str:
        return f"OpenAISpeech(config={self.config!r})"

    def stream(
        self, text: str, *, voice: str | None = None
    ) -> AbstractAsyncContextManager[trio.abc.ReceiveChannel[bytes]]:
        """Synthesise ``text`` and stream the audio.

        Usage::

            async with tts.stream("Hello there.") as chunks:
                async for pcm in chunks:
                    ...  # mono PCM16 at config.sample_rate, always an even number of bytes

        Every chunk holds whole samples: an odd trailing byte is kept and prepended to the next
        chunk. A WAV header (streamed with placeholder sizes) is removed.

        Args:
            text: The text to speak.
            voice: Overrides the configured voice.

        Returns:
            An async context manager giving a receive channel of ``bytes``.

        Raises:
            ProviderStalled: No audio within ``first_byte_deadline``, or a gap longer than
                ``stall_deadline``.
            ProviderAuthError, ProviderRateLimited, ProviderError: Mapped HTTP errors, a WAV that
                is not PCM16 mono at the configured rate, or a body ending mid-sample.
            ProviderConnectionError: The network failed.

        Cancellation: leaving the ``async with`` early (barge-in) or cancelling the surrounding
        scope closes the response (and its connection) at once. Nothing is read ahead of the
        consumer, and time the consumer spends between chunks never counts as a stall.
        """
        return _stream_audio(self.http, self.config, text, voice or self.config.voice)


@trio.as_safe_channel
async def _stream_audio(
    http: httpx.AsyncClient, config: OpenAISpeechConfig, text: str, voice: str
) -> AsyncGenerator[bytes, None]:
    # No `yield` inside a cancel scope (design anchors D.13): deadlines live in BodyReader.
    body: dict[str, Any] = {
        "model": config.model,
        "voice": voice,
        "input": text,
        "response_format": config.response_format,
    }
    if config.speed is not None:
        body["speed"] = config.speed
    if config.instructions:
        body["instructions"] = config.instructions
    started = trio.current_time()
    request = http.build_request(
        "POST",
        config.base_url.rstrip("/") + "/audio/speech",
        json=body,
        headers=auth_headers(config.api_key, config.extra_headers),
    )
    reader = await open_body(
        http,
        request,
        provider=PROVIDER,
        started=started,
        first_byte_deadline=config.first_byte_deadline,
        stall_deadline=config.stall_deadline,
        secret=config.api_key,
    )
    try:
        stripper = WavHeaderStripper() if config.response_format == "wav" else None
        carry = b""
        while (data := await reader.next()) is not None:
            if stripper is not None:
                data = stripper.feed(data)
                if stripper.format is not None:
                    _check_format(stripper.format.sample_rate, stripper.format.channels, config)
            data = carry + data
            cut = len(data) & ~1
            carry = data[cut:]
            if cut:
                yield data[:cut]
        if carry:
            raise ProviderError(
                "audio ended in the middle of a sample", retryable=True, provider=PROVIDER
            )
        if stripper is not None and stripper.format is None:
            raise ProviderError(
                "WAV stream ended before its data chunk", retryable=True, provider=PROVIDER
            )
    finally:
        await reader.aclose()


def _check_format(sample_rate: int, channels: int, config: OpenAISpeechConfig) -> None:
    if sample_rate != config.sample_rate or channels != 1:
        raise ProviderError(
            f"WAV is {sample_rate} Hz x{channels}, expected {config.sample_rate} Hz mono",
            provider=PROVIDER,
        )
