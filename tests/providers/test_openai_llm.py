"""The OpenAI-compatible chat client against a real loopback server speaking SSE."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import structlog
import trio
from fake_servers import API_KEY, USAGE, HttpServer, open_http_server, openai_routes

from actors.providers import (
    ChatRequest,
    Done,
    OpenAIChatClient,
    OpenAIChatConfig,
    ProviderAuthError,
    ProviderConnectionError,
    ProviderError,
    ProviderRateLimited,
    ProviderStalled,
    TextDelta,
    ToolCall,
    Usage,
)
from actors.providers.openai_llm import build_chat_body

MESSAGES = [{"role": "user", "content": "hi"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


def config(base_url: str, model: str, **kw) -> OpenAIChatConfig:
    kw.setdefault("stall_deadline", 0.2)
    kw.setdefault("first_byte_deadline", 0.5)
    return OpenAIChatConfig(base_url=base_url, model=model, api_key=API_KEY, **kw)


async def collect(llm: OpenAIChatClient, request: ChatRequest, into: list | None = None) -> list:
    received = [] if into is None else into
    async with llm.stream(request) as events:
        async for event in events:
            received.append(event)
    return received


@asynccontextmanager
async def serve_llm(model: str, **kw) -> AsyncIterator[tuple[HttpServer, OpenAIChatClient]]:
    async with (
        open_http_server(openai_routes()) as server,
        OpenAIChatClient(config(server.base_url, model, **kw)) as llm,
    ):
        yield server, llm


async def test_streams_text_deltas_usage_and_done() -> None:
    with trio.fail_after(5):
        async with serve_llm("text") as (server, llm):
            events = await collect(llm, ChatRequest(messages=MESSAGES, temperature=0.2))
    texts = [e.text for e in events if isinstance(e, TextDelta)]
    assert texts == ["Hel", "lo", ", wörld", "!"]
    assert events[-2:] == [Usage(**USAGE), Done(finish_reason="stop")]
    body = server.requests[0].json()
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["temperature"] == 0.2 and body["messages"] == MESSAGES
    assert server.requests[0].headers["accept"] == "text/event-stream"


async def test_assembles_tool_calls_split_mid_json() -> None:
    with trio.fail_after(5):
        async with serve_llm("tools") as (server, llm):
            request = ChatRequest(messages=MESSAGES, tools=TOOLS, tool_choice="auto")
            events = await collect(llm, request)
            result = await llm.complete(request)
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert calls == [
        ToolCall(id="call_A", name="get_weather", arguments_json='{"city": "Paris"}', index=0),
        ToolCall(id="call_B", name="get_time", arguments_json='{"tz": "UTC"}', index=1),
    ]
    assert calls[0].arguments() == {"city": "Paris"}
    # Tool calls come after the text and before usage and Done.
    assert isinstance(events[0], TextDelta)
    assert events[-2:] == [Usage(**USAGE), Done(finish_reason="tool_calls")]
    assert result.text == "Checking." and result.tool_calls == tuple(calls)
    assert result.finish_reason == "tool_calls" and result.usage == Usage(**USAGE)
    assert server.requests[0].json()["tools"] == TOOLS


async def test_cancelling_mid_stream_closes_the_connection() -> None:
    with trio.fail_after(5):
        async with serve_llm("endless") as (server, llm):
            # Barge-in: stop listening after three deltas by leaving the block.
            async with llm.stream(ChatRequest(messages=MESSAGES)) as events:
                got = [await events.receive() for _ in range(3)]
            assert [e.text for e in got] == ["0 ", "1 ", "2 "]
            with trio.fail_after(1):
                await server.aborted.wait()
            # Cancellation by an outer scope (the usual barge-in path) too.
            server.aborted = trio.Event()
            with trio.move_on_after(0.1) as scope:
                await collect(llm, ChatRequest(messages=MESSAGES))
            assert scope.cancelled_caught
            with trio.fail_after(1):
                await server.aborted.wait()
    assert server.aborts == 2


@pytest.mark.parametrize(
    ("model", "error", "status", "retryable"),
    [
        ("error-401", ProviderAuthError, 401, False),
        ("error-429", ProviderRateLimited, 429, True),
        ("error-500", ProviderError, 500, True),
    ],
)
async def test_http_errors_are_typed(model, error, status, retryable) -> None:
    with trio.fail_after(5):
        async with serve_llm(model) as (_, llm):
            with pytest.raises(error) as info:
                await collect(llm, ChatRequest(messages=MESSAGES))
    assert type(info.value) is error
    assert info.value.status == status and info.value.retryable is retryable
    if model == "error-429":
        assert info.value.retry_after == 1.5
    assert API_KEY not in str(info.value) and API_KEY not in repr(info.value)


async def test_midstream_error_and_truncation() -> None:
    with trio.fail_after(5):
        async with serve_llm("midstream-error") as (_, llm):
            with pytest.raises(ProviderError, match="overloaded") as info:
                await collect(llm, ChatRequest(messages=MESSAGES))
            assert info.value.retryable
            request = ChatRequest(messages=MESSAGES, model="truncated")
            with pytest.raises(ProviderError, match="ended before"):
                await collect(llm, request)


async def test_stall_between_chunks_raises_provider_stalled() -> None:
    with trio.fail_after(5):
        async with serve_llm("stall") as (server, llm):
            received: list = []
            t0 = trio.current_time()
            with pytest.raises(ProviderStalled) as info:
                await collect(llm, ChatRequest(messages=MESSAGES), into=received)
            elapsed = trio.current_time() - t0
            assert received == [TextDelta(text="first")]
            assert info.value.phase == "between_chunks" and info.value.retryable
            assert 0.2 <= elapsed < 1.5
            with trio.fail_after(1):
                await server.aborted.wait()


async def test_a_slow_consumer_is_not_a_stalled_provider() -> None:
    with trio.fail_after(5):
        async with serve_llm("text", stall_deadline=0.1) as (_, llm):
            texts = []
            async with llm.stream(ChatRequest(messages=MESSAGES)) as events:
                async for event in events:
                    await trio.sleep(0.15)  # e.g. waiting for TTS to catch up
                    if isinstance(event, TextDelta):
                        texts.append(event.text)
    assert "".join(texts) == "Hello, wörld!"


async def test_no_first_byte_raises_provider_stalled() -> None:
    with trio.fail_after(5):
        async with serve_llm("slow-first-byte", first_byte_deadline=0.2) as (_, llm):
            with pytest.raises(ProviderStalled) as info:
                await collect(llm, ChatRequest(messages=MESSAGES))
    assert info.value.phase == "first_byte"


async def test_connection_refused_is_a_connection_error() -> None:
    with trio.fail_after(5):
        async with open_http_server({}) as server:
            port = server.port
        async with OpenAIChatClient(config(f"http://127.0.0.1:{port}/v1", "text")) as llm:
            with pytest.raises(ProviderConnectionError) as info:
                await collect(llm, ChatRequest(messages=MESSAGES))
    assert info.value.retryable


async def test_api_key_never_in_repr_or_logs() -> None:
    cfg = OpenAIChatConfig(
        base_url="http://x/v1", model="m", api_key=API_KEY, extra_headers={"api-key": API_KEY}
    )
    assert API_KEY not in repr(cfg)
    assert "<redacted>" in repr(cfg)
    with trio.fail_after(5), structlog.testing.capture_logs() as logs:
        async with serve_llm("error-401") as (_, llm):
            assert API_KEY not in repr(llm)
            with pytest.raises(ProviderAuthError) as info:
                await collect(llm, ChatRequest(messages=MESSAGES))
    assert logs, "the error should be logged"
    assert API_KEY not in json.dumps(logs, default=repr)
    assert API_KEY not in str(info.value)


def test_body_builder_merges_extra_fields() -> None:
    cfg = OpenAIChatConfig(base_url="http://x/v1", model="m", include_usage=False)
    request = ChatRequest(messages=MESSAGES, max_tokens=5, extra_body={"seed": 1}, model="n")
    body = build_chat_body(request, cfg)
    assert body == {"model": "n", "messages": MESSAGES, "stream": True, "max_tokens": 5, "seed": 1}
