"""A streaming client for OpenAI-compatible Chat Completions (OpenAI, Groq, Ollama, vLLM,
llama.cpp's ``llama-server``, LM Studio, LiteLLM...).

``POST {base_url}/chat/completions`` with ``stream: true``; the server-sent events are parsed
incrementally and delivered as typed :data:`~actors.providers.chat_stream.ChatEvent` values over a
trio channel made with :func:`trio.as_safe_channel`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, final

import httpx
import trio
from attrs import field, frozen

from ._http import BodyReader, HttpOwner, auth_headers, open_body, raise_for_body_error
from .chat_stream import ChatEvent, ChatStreamAssembler, Done, TextDelta, ToolCall, Usage
from .errors import ProviderError, redacted_repr
from .sse import SseParser

__all__ = ["ChatRequest", "ChatResult", "OpenAIChatClient", "OpenAIChatConfig", "build_chat_body"]

PROVIDER = "openai-llm"


@final
@frozen(kw_only=True)
class OpenAIChatConfig:
    """Where and how to reach an OpenAI-compatible chat endpoint.

    Build it from environment variables in the composition root; ``api_key`` and the values of
    credential headers never appear in ``repr()``.

    Attributes:
        base_url: The API root including the version, e.g. ``https://api.openai.com/v1``,
            ``http://127.0.0.1:11434/v1`` (Ollama), ``http://127.0.0.1:8080/v1`` (llama.cpp).
        model: The default model name.
        api_key: Sent as ``Authorization: Bearer <key>``; ``None`` for local servers.
        extra_headers: More headers (for example Azure's ``api-key``; redacted in ``repr()``).
        first_byte_deadline: Seconds from sending the request to the first body bytes.
        stall_deadline: Seconds allowed between two body chunks after that.
        include_usage: Ask for the final usage chunk (``stream_options.include_usage``). Turn it
            off for servers that reject ``stream_options``.
    """

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    extra_headers: Mapping[str, str] = field(factory=dict, repr=redacted_repr)
    first_byte_deadline: float = 15.0
    stall_deadline: float = 10.0
    include_usage: bool = True


@final
@frozen(kw_only=True)
class ChatRequest:
    """One chat-completion request.

    Attributes:
        messages: OpenAI-format messages (``{"role": ..., "content": ...}``, tool results...).
        tools: OpenAI function tools (``{"type": "function", "function": {...}}``).
        tool_choice: ``"auto"``, ``"none"``, ``"required"`` or a specific-function object.
        model: Overrides the configured model.
        temperature: Sampling temperature.
        max_tokens: Completion token limit.
        extra_body: Extra top-level JSON fields (``top_p``, ``seed``, vendor options...).
    """

    messages: Sequence[Mapping[str, Any]] = field(converter=tuple)
    tools: Sequence[Mapping[str, Any]] = field(default=(), converter=tuple)
    tool_choice: str | Mapping[str, Any] | None = None
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    extra_body: Mapping[str, Any] = field(factory=dict)


@final
@frozen(kw_only=True)
class ChatResult:
    """A whole streamed reply, collected by :meth:`OpenAIChatClient.complete`."""

    text: str
    tool_calls: tuple[ToolCall, ...]
    usage: Usage | None
    finish_reason: str | None


def build_chat_body(request: ChatRequest, config: OpenAIChatConfig) -> dict[str, Any]:
    """Build the JSON body for ``request`` (a pure function, handy in tests).

    Returns:
        The request body with ``stream: true`` and, if configured, ``stream_options``.
    """
    body: dict[str, Any] = {
        "model": request.model or config.model,
        "messages": [dict(m) for m in request.messages],
        "stream": True,
    }
    if config.include_usage:
        body["stream_options"] = {"include_usage": True}
    if request.tools:
        body["tools"] = [dict(t) for t in request.tools]
    if request.tool_choice is not None:
        body["tool_choice"] = request.tool_choice
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.max_tokens is not None:
        body["max_tokens"] = request.max_tokens
    body.update(request.extra_body)
    return body


class OpenAIChatClient(HttpOwner):
    """Streams chat completions from an OpenAI-compatible server.

    Use as ``async with OpenAIChatClient(config) as llm:`` (or call :meth:`aclose`). Several
    streams may run concurrently on one client.

    Args:
        config: The endpoint configuration.
        http: A shared ``httpx.AsyncClient`` (not closed by this object), or ``None`` to create a
            private one.
    """

    def __init__(self, config: OpenAIChatConfig, *, http: httpx.AsyncClient | None = None):
        super().__init__(http)
        self.config = config

    def __repr__(self) -> str:
        return f"OpenAIChatClient(config={self.config!r})"

    def stream(
        self, request: ChatRequest
    ) -> AbstractAsyncContextManager[trio.abc.ReceiveChannel[ChatEvent]]:
        """Start a streamed completion.

        Usage::

            async with llm.stream(request) as events:
                async for event in events:
                    match event:
                        case TextDelta(text=t): ...
                        case ToolCall(): ...
                        case Usage(): ...
                        case Done(finish_reason=r): ...

        Events arrive in order: text deltas, complete tool calls (when the finish reason arrives
        or the stream ends), one :class:`Usage` if the server sent one, and a final
        :class:`Done`.

        Returns:
            An async context manager giving a receive channel of :data:`ChatEvent`.

        Raises:
            ProviderStalled: No first byte within ``first_byte_deadline`` or no chunk within
                ``stall_deadline`` afterwards.
            ProviderAuthError, ProviderRateLimited, ProviderError: HTTP errors (mapped by status)
                or an error object inside the stream.
            ProviderConnectionError: The network failed or the stream ended without a finish.

            Errors surface from ``receive()``/``async for`` or on leaving the ``async with``.

        Cancellation: leaving the ``async with`` early (for example on barge-in) or cancelling the
        surrounding scope closes the HTTP response at once, which closes the connection so the
        server stops generating. Nothing is buffered ahead of the consumer: a chunk is read only
        when the consumer asks for the next event, so a slow consumer is never mistaken for a
        stalled provider.
        """
        return _stream_events(self.http, self.config, request)

    async def complete(self, request: ChatRequest) -> ChatResult:
        """Stream ``request`` to the end and collect the reply.

        Raises:
            The same errors as :meth:`stream`.

        Cancellation: safe; the response is closed.
        """
        text: list[str] = []
        calls: list[ToolCall] = []
        usage: Usage | None = None
        reason: str | None = None
        async with self.stream(request) as events:
            async for event in events:
                match event:
                    case TextDelta():
                        text.append(event.text)
                    case ToolCall():
                        calls.append(event)
                    case Usage():
                        usage = event
                    case Done():
                        reason = event.finish_reason
        return ChatResult(
            text="".join(text), tool_calls=tuple(calls), usage=usage, finish_reason=reason
        )


@trio.as_safe_channel
async def _stream_events(
    http: httpx.AsyncClient, config: OpenAIChatConfig, request: ChatRequest
) -> AsyncGenerator[ChatEvent, None]:
    # Rule (design anchors D.13): no `yield` inside a cancel scope; every deadline scope lives in
    # open_response/BodyReader and is exited before an event is yielded.
    started = trio.current_time()
    http_request = http.build_request(
        "POST",
        config.base_url.rstrip("/") + "/chat/completions",
        json=build_chat_body(request, config),
        headers={
            **auth_headers(config.api_key, config.extra_headers),
            "Accept": "text/event-stream",
        },
    )
    reader = await open_body(
        http,
        http_request,
        provider=PROVIDER,
        started=started,
        first_byte_deadline=config.first_byte_deadline,
        stall_deadline=config.stall_deadline,
        secret=config.api_key,
    )
    try:
        parser = SseParser()
        assembler = ChatStreamAssembler()
        while not assembler.done:
            data = await reader.next()
            sse_events = parser.feed(data) if data is not None else parser.close()
            for sse in sse_events:
                for event in _decode(sse.data, assembler, config.api_key):
                    yield event
            if data is None and not assembler.done:
                if assembler.finish_reason is None:
                    raise ProviderError(
                        "stream ended before a finish reason or [DONE]",
                        retryable=True,
                        provider=PROVIDER,
                    )
                for event in assembler.finish():
                    yield event
        # Servers end the body right after "[DONE]"; reading that end (briefly, best effort)
        # lets httpx finish its body iterators instead of abandoning them.
        await _drain(reader, config.stall_deadline)
    finally:
        await reader.aclose()


async def _drain(reader: BodyReader, limit: float) -> None:
    with trio.move_on_after(limit):
        try:
            while await reader.next() is not None:
                pass
        except ProviderError:
            pass


def _decode(data: str, assembler: ChatStreamAssembler, secret: str | None) -> list[ChatEvent]:
    if assembler.done:
        return []
    if data.strip() == "[DONE]":
        return assembler.finish()
    try:
        chunk = json.loads(data)
    except ValueError:
        raise ProviderError(
            "malformed stream chunk (invalid JSON)", retryable=True, provider=PROVIDER
        ) from None
    raise_for_body_error(chunk, provider=PROVIDER, secret=secret)
    return assembler.feed(chunk)
