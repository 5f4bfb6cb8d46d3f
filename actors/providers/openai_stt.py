"""A client for OpenAI-compatible batch transcription (``POST {base}/audio/transcriptions``).

Served by OpenAI (``whisper-1``, ``gpt-4o-transcribe``), Groq, faster-whisper-server/Speaches,
LocalAI and vLLM. It fits VAD-segmented utterances: send one utterance's PCM, get its text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import final

import httpx
import trio
from attrs import field, frozen

from ._http import (
    HttpOwner,
    auth_headers,
    close_response,
    next_chunk,
    open_response,
    raise_for_body_error,
)
from .errors import ProviderError, redacted_repr
from .wav import pcm16_wav

__all__ = ["OpenAITranscriber", "OpenAITranscriberConfig", "Transcription"]

PROVIDER = "openai-stt"


@final
@frozen(kw_only=True)
class OpenAITranscriberConfig:
    """Where and how to reach an OpenAI-compatible transcription endpoint.

    Attributes:
        base_url: The API root including the version, e.g. ``https://api.openai.com/v1``.
        model: ``whisper-1``, ``gpt-4o-mini-transcribe``, ``Systran/faster-whisper-small``...
        api_key: Sent as ``Authorization: Bearer <key>``; never shown in ``repr()``.
        extra_headers: More headers (credential values are redacted in ``repr()``).
        language: Default ISO-639-1 language hint (``"en"``), or ``None`` to auto-detect.
        response_format: ``"json"`` (text only; every server supports it) or
            ``"verbose_json"`` (adds the detected language and the duration).
        response_deadline: Seconds for the whole request: upload, transcription and reply.
    """

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    extra_headers: Mapping[str, str] = field(factory=dict, repr=redacted_repr)
    language: str | None = None
    response_format: str = "json"
    response_deadline: float = 15.0


@final
@frozen(kw_only=True)
class Transcription:
    """The text of one utterance.

    Attributes:
        text: The transcript (stripped).
        language: The detected language if the server reported one, else the requested one.
        duration: Seconds of audio: the server's figure if given, else computed from the PCM.
    """

    text: str
    language: str | None
    duration: float


class OpenAITranscriber(HttpOwner):
    """Transcribes PCM16 utterances with an OpenAI-compatible server.

    Args:
        config: The endpoint configuration.
        http: A shared ``httpx.AsyncClient`` (not closed by this object), or ``None``.
    """

    def __init__(self, config: OpenAITranscriberConfig, *, http: httpx.AsyncClient | None = None):
        super().__init__(http)
        self.config = config

    def __repr__(self) -> str:
        return f"OpenAITranscriber(config={self.config!r})"

    async def transcribe(
        self,
        pcm: bytes,
        *,
        sample_rate: int = 16000,
        language: str | None = None,
        prompt: str | None = None,
    ) -> Transcription:
        """Transcribe one utterance of mono PCM16.

        The audio is uploaded as ``multipart/form-data`` with a ``file`` part holding a WAV
        (``audio.wav``) and the fields ``model``, ``response_format`` and optionally
        ``language`` and ``prompt``.

        Args:
            pcm: Little-endian 16-bit mono samples.
            sample_rate: Their sample rate (16 kHz from the VAD path).
            language: Overrides the configured language hint.
            prompt: Optional context (names, spellings) to bias the transcript.

        Returns:
            The :class:`Transcription`.

        Raises:
            ValueError: ``pcm`` has an odd length.
            ProviderStalled: No complete reply within ``response_deadline``.
            ProviderAuthError, ProviderRateLimited, ProviderError: Mapped HTTP errors or an
                unreadable reply.
            ProviderConnectionError: The network failed.

        Cancellation: safe at any point; the request's connection is closed.
        """
        config = self.config
        language = language or config.language
        fields = {"model": config.model, "response_format": config.response_format}
        if language:
            fields["language"] = language
        if prompt:
            fields["prompt"] = prompt
        request = self.http.build_request(
            "POST",
            config.base_url.rstrip("/") + "/audio/transcriptions",
            data=fields,
            files={"file": ("audio.wav", pcm16_wav(pcm, sample_rate=sample_rate), "audio/wav")},
            headers=auth_headers(config.api_key, config.extra_headers),
        )
        deadline_at = trio.current_time() + config.response_deadline
        response = await open_response(
            self.http,
            request,
            provider=PROVIDER,
            deadline_at=deadline_at,
            deadline=config.response_deadline,
            secret=config.api_key,
        )
        chunks = response.aiter_bytes()
        body = bytearray()
        try:
            while (
                data := await next_chunk(
                    chunks,
                    deadline_at=deadline_at,
                    phase="response",
                    deadline=config.response_deadline,
                    provider=PROVIDER,
                )
            ) is not None:
                body += data
        finally:
            await close_response(response, chunks)
        return _parse(
            bytes(body),
            response.headers.get("content-type", ""),
            pcm,
            sample_rate,
            language,
            config.api_key,
        )


def _parse(
    body: bytes,
    content_type: str,
    pcm: bytes,
    sample_rate: int,
    language: str | None,
    secret: str | None,
) -> Transcription:
    computed = len(pcm) / (2 * sample_rate)
    if "json" not in content_type and not body.lstrip().startswith(b"{"):
        # response_format "text" (or a server that ignores the format): the body is the text.
        return Transcription(
            text=body.decode("utf-8", "replace").strip(), language=language, duration=computed
        )
    try:
        data = json.loads(body)
    except ValueError:
        raise ProviderError(
            "unreadable transcription reply", retryable=True, provider=PROVIDER
        ) from None
    raise_for_body_error(data, provider=PROVIDER, secret=secret)
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise ProviderError("transcription reply has no text", retryable=True, provider=PROVIDER)
    duration = data.get("duration")
    detected = data.get("language")
    return Transcription(
        text=data["text"].strip(),
        language=detected if isinstance(detected, str) and detected else language,
        duration=float(duration) if isinstance(duration, int | float) else computed,
    )
