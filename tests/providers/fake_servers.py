"""Real loopback servers that speak the providers' wire formats, for the provider tests.

* :func:`open_http_server` — a minimal HTTP/1.1 server (h11 over ``trio.serve_tcp`` on
  127.0.0.1, port 0) that dispatches to route handlers and notices client disconnects.
* :func:`openai_routes` — OpenAI-compatible ``/v1/chat/completions`` (scripted SSE streams chosen
  by the ``model`` field), ``/v1/audio/transcriptions`` and ``/v1/audio/speech``.
* :func:`open_deepgram_server` — a trio-websocket server speaking Deepgram's live format.
"""

from __future__ import annotations

import json
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any
from urllib.parse import parse_qs, urlsplit

import h11
import trio
import trio_websocket
from attrs import define, field

API_KEY = "sk-test-SECRET-0123456789abcdef"


@define
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Exchange:
    """One request/response on one connection, handed to a route handler."""

    def __init__(self, stream: trio.SocketStream, conn: h11.Connection, request: Request):
        self.stream = stream
        self.conn = conn
        self.request = request
        self.disconnected = trio.Event()
        self.finished = False

    async def start(self, status: int, headers: list[tuple[str, str]] = ()) -> None:
        hdrs = [(k.encode(), v.encode()) for k, v in headers] + [(b"connection", b"close")]
        await self.stream.send_all(self.conn.send(h11.Response(status_code=status, headers=hdrs)))

    async def send(self, data: bytes) -> None:
        await self.stream.send_all(self.conn.send(h11.Data(data=data)))

    async def end(self) -> None:
        await self.stream.send_all(self.conn.send(h11.EndOfMessage()))

    async def respond(self, status: int, body: bytes, content_type: str = "application/json"):
        await self.start(
            status, [("content-type", content_type), ("content-length", str(len(body)))]
        )
        await self.send(body)
        await self.end()

    async def respond_json(self, status: int, value: Any, headers=()) -> None:
        body = json.dumps(value).encode()
        hdrs = [("content-type", "application/json"), ("content-length", str(len(body)))]
        await self.start(status, [*hdrs, *headers])
        await self.send(body)
        await self.end()


Handler = Callable[[Exchange], Awaitable[None]]


@define
class HttpServer:
    port: int = 0
    requests: list[Request] = field(factory=list)
    raw_bodies: list[bytes] = field(factory=list)
    aborts: int = 0  # The client hung up before the handler finished its response.
    aborted: trio.Event = field(factory=trio.Event)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


async def _read_request(stream: trio.SocketStream, conn: h11.Connection) -> Request | None:
    head = None
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await stream.receive_some(65536)
            conn.receive_data(data)
            if not data and head is None:
                return None
            continue
        if isinstance(event, h11.Request):
            head = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            assert head is not None
            target = urlsplit(head.target.decode())
            return Request(
                method=head.method.decode(),
                path=target.path,
                query=parse_qs(target.query),
                headers={k.decode().lower(): v.decode() for k, v in head.headers},
                body=bytes(body),
            )
        elif isinstance(event, h11.ConnectionClosed):
            return None


@asynccontextmanager
async def open_http_server(routes: dict[str, Handler]) -> AsyncIterator[HttpServer]:
    """Serve ``routes`` (path -> handler) on 127.0.0.1; one request per connection."""
    server = HttpServer()

    async def handle(stream: trio.SocketStream) -> None:
        conn = h11.Connection(h11.SERVER)
        try:
            request = await _read_request(stream, conn)
            if request is None:
                return
            server.requests.append(request)
            server.raw_bodies.append(request.body)
            exchange = Exchange(stream, conn, request)
            handler = routes.get(request.path)
            async with trio.open_nursery() as nursery:

                async def watch_disconnect() -> None:
                    # The client sends nothing after its request: EOF means it hung up.
                    try:
                        data = await stream.receive_some(1)
                    except trio.BrokenResourceError:
                        data = b""
                    if not data:
                        if not exchange.finished:
                            server.aborts += 1
                            server.aborted.set()
                        exchange.disconnected.set()
                        nursery.cancel_scope.cancel()

                nursery.start_soon(watch_disconnect)
                if handler is None:
                    await exchange.respond_json(404, {"error": {"message": "no such route"}})
                else:
                    await handler(exchange)
                exchange.finished = True
                # Let the client read the end of the response, then close.
                with trio.move_on_after(1):
                    await exchange.disconnected.wait()
                nursery.cancel_scope.cancel()
        except (trio.BrokenResourceError, trio.ClosedResourceError, h11.ProtocolError):
            pass
        finally:
            with trio.move_on_after(0.5, shield=True):
                await stream.aclose()

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(partial(trio.serve_tcp, handle, 0, host="127.0.0.1"))
        server.port = listeners[0].socket.getsockname()[1]
        yield server
        nursery.cancel_scope.cancel()


# ---------------------------------------------------------------- OpenAI-compatible routes


def sse(obj: Any) -> bytes:
    return b"data: " + (obj if isinstance(obj, bytes) else json.dumps(obj).encode()) + b"\n\n"


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta or {}, "finish_reason": finish}
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [choice]}


USAGE = {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}


def text_script() -> list[bytes]:
    """Text deltas with a comment, a multi-line data event and a split CRLF stream."""
    return [
        b": keep-alive comment\n\n",
        sse(chunk({"role": "assistant", "content": ""})),
        sse(chunk({"content": "Hel"})) + b"data: " + json.dumps(chunk({"content": "lo"})).encode(),
        b"\n\n",
        # One event whose JSON is spread over two data lines (joined with "\n").
        b'data: {"choices": [{"index": 0,\ndata: "delta": {"content": ", w\xc3',
        b'\xb6rld"}, "finish_reason": null}]}\r',
        b"\n\r\n",
        sse(chunk({"content": "!"})),
        sse(chunk({}, finish="stop")),
        sse({"id": "chatcmpl-1", "choices": [], "usage": USAGE}),
        sse(b"[DONE]"),
    ]


def tool_script() -> list[bytes]:
    """Two tool calls whose arguments are split mid-JSON and interleaved."""
    first = {
        "index": 0,
        "id": "call_A",
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    second = {
        "index": 1,
        "id": "call_B",
        "type": "function",
        "function": {"name": "get_time", "arguments": '{"tz": '},
    }
    frames = [
        sse(chunk({"role": "assistant", "content": "Checking."})),
        sse(chunk({"tool_calls": [first]})),
        sse(chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"ci'}}]})),
        sse(chunk({"tool_calls": [second]})),
        sse(chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ty": "Par'}}]})),
        sse(chunk({"tool_calls": [{"index": 1, "function": {"arguments": '"UTC"}'}}]})),
        sse(chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'is"}'}}]})),
    ]
    whole = b"".join(frames)
    # Deliver at awkward boundaries (every 37 bytes) regardless of event borders.
    pieces = [whole[i : i + 37] for i in range(0, len(whole), 37)]
    return [
        *pieces,
        sse(chunk({}, finish="tool_calls")),
        sse({"choices": [], "usage": USAGE}),
        sse(b"[DONE]"),
    ]


async def chat_handler(ex: Exchange) -> None:
    body = ex.request.json()
    model = body["model"]
    if ex.request.headers.get("authorization") != f"Bearer {API_KEY}" or model == "error-401":
        await ex.respond_json(
            401,
            {
                "error": {
                    "message": f"Incorrect API key provided: {API_KEY}.",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            },
        )
        return
    if model == "error-429":
        await ex.respond_json(
            429,
            {"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}},
            headers=[("retry-after", "1.5")],
        )
        return
    if model == "error-500":
        await ex.respond_json(500, {"error": {"message": "The server had an error"}})
        return
    await ex.start(200, [("content-type", "text/event-stream")])
    if model == "text":
        frames = text_script()
    elif model == "tools":
        frames = tool_script()
    elif model == "midstream-error":
        frames = [sse(chunk({"content": "a"})), sse({"error": {"message": "overloaded"}})]
    elif model == "truncated":
        frames = [sse(chunk({"content": "a"}))]
    elif model == "stall":
        await ex.send(sse(chunk({"content": "first"})))
        await trio.sleep_forever()
    elif model == "slow-first-byte":
        await trio.sleep_forever()
    elif model == "endless":
        for n in range(10_000):
            await ex.send(sse(chunk({"content": f"{n} "})))
            await trio.sleep(0.02)
        return
    else:
        raise AssertionError(model)
    for frame in frames:
        await ex.send(frame)
        await trio.lowlevel.checkpoint()
    await ex.end()


def parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[dict[str, str], bytes]]:
    """Parse ``multipart/form-data`` into ``name -> (part headers, content)``."""
    kind, _, params = content_type.partition(";")
    assert kind.strip() == "multipart/form-data", content_type
    boundary = params.strip().removeprefix("boundary=").strip('"').encode()
    parts: dict[str, tuple[dict[str, str], bytes]] = {}
    segments = body.split(b"--" + boundary)
    assert segments[-1].strip() == b"--", "missing closing boundary"
    for segment in segments[1:-1]:
        assert segment.startswith(b"\r\n") and segment.endswith(b"\r\n")
        raw_headers, _, content = segment[2:-2].partition(b"\r\n\r\n")
        headers = {}
        for line in raw_headers.decode().split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers["content-disposition"]
        name = disposition.split('name="', 1)[1].split('"', 1)[0]
        parts[name] = (headers, content)
    return parts


def parse_wav(data: bytes) -> tuple[int, int, int, bytes]:
    """Return ``(channels, sample_rate, bits, pcm)`` from a canonical RIFF/WAVE file."""
    riff, size, wave = struct.unpack("<4sI4s", data[:12])
    assert (riff, wave) == (b"RIFF", b"WAVE") and size == len(data) - 8
    fmt_id, fmt_size, tag, channels, rate, byte_rate, align, bits = struct.unpack(
        "<4sIHHIIHH", data[12:36]
    )
    assert fmt_id == b"fmt " and fmt_size == 16 and tag == 1
    assert byte_rate == rate * channels * bits // 8 and align == channels * bits // 8
    data_id, data_size = struct.unpack("<4sI", data[36:44])
    assert data_id == b"data" and data_size == len(data) - 44
    return channels, rate, bits, data[44:]


async def transcription_handler(ex: Exchange) -> None:
    parts = parse_multipart(ex.request.headers["content-type"], ex.request.body)
    file_headers, wav = parts["file"]
    assert 'filename="audio.wav"' in file_headers["content-disposition"]
    channels, rate, bits, pcm = parse_wav(wav)
    fields = {k: v.decode() for k, (_, v) in parts.items() if k != "file"}
    if fields.get("model") == "error-500":
        await ex.respond_json(503, {"error": {"message": "busy"}})
        return
    duration = len(pcm) / (rate * channels * bits // 8)
    result: dict[str, Any] = {"text": f"heard {len(pcm)} bytes at {rate} Hz"}
    if fields.get("response_format") == "verbose_json":
        result |= {"language": "english", "duration": duration}
    await ex.respond_json(200, result)


def speech_pcm(n_samples: int) -> bytes:
    return b"".join(struct.pack("<h", (i * 37) % 30000 - 15000) for i in range(n_samples))


async def speech_handler(ex: Exchange) -> None:
    body = ex.request.json()
    pcm = speech_pcm(1000)
    fmt = body.get("response_format")
    if body["voice"] == "stall":
        await ex.start(200, [("content-type", "audio/pcm")])
        await ex.send(pcm[:101])
        await trio.sleep_forever()
    if fmt == "wav":
        header = struct.pack(
            "<4sI4s4sIHHIIHH4sI",
            b"RIFF",
            0xFFFFFFFF,
            b"WAVE",
            b"fmt ",
            16,
            1,
            1,
            24000,
            48000,
            2,
            16,
            b"data",
            0xFFFFFFFF,
        )
        payload, ctype = header + pcm, "audio/wav"
    else:
        payload, ctype = pcm, "audio/pcm"
    await ex.start(200, [("content-type", ctype)])
    # Odd, irregular boundaries, including one that splits the WAV header.
    sizes = [1, 2, 3, 41, 7, 333, 64, 1001]
    pos, i = 0, 0
    while pos < len(payload):
        size = sizes[i % len(sizes)]
        await ex.send(payload[pos : pos + size])
        await trio.lowlevel.checkpoint()
        pos, i = pos + size, i + 1
    await ex.end()


def openai_routes() -> dict[str, Handler]:
    return {
        "/v1/chat/completions": chat_handler,
        "/v1/audio/transcriptions": transcription_handler,
        "/v1/audio/speech": speech_handler,
    }


# ---------------------------------------------------------------- Deepgram live WebSocket


@define
class DeepgramServer:
    port: int = 0
    paths: list[str] = field(factory=list)
    audio_bytes: int = 0
    keepalives: int = 0
    close_streams: int = 0
    finalizes: int = 0
    closed_cleanly: trio.Event = field(factory=trio.Event)
    dropped: trio.Event = field(factory=trio.Event)  # The client went away without CloseStream.
    mode: str = "normal"

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/listen"


def _results(text: str, *, is_final: bool, speech_final: bool, start: float) -> str:
    return json.dumps(
        {
            "type": "Results",
            "channel_index": [0, 1],
            "duration": 0.5,
            "start": start,
            "is_final": is_final,
            "speech_final": speech_final,
            "from_finalize": False,
            "channel": {"alternatives": [{"transcript": text, "confidence": 0.93, "words": []}]},
        }
    )


@asynccontextmanager
async def open_deepgram_server(mode: str = "normal") -> AsyncIterator[DeepgramServer]:
    """Deepgram-like live STT. Per 6400 bytes (0.2 s) of audio: an interim result; per 12800
    bytes: a final one with ``speech_final`` and an ``UtteranceEnd``. ``CloseStream`` flushes,
    sends ``Metadata`` and closes with 1000. ``mode="mute"`` never answers (a stalled stream)."""
    server = DeepgramServer(mode=mode)

    async def handler(request: trio_websocket.WebSocketRequest) -> None:
        headers = {k.decode().lower(): v.decode() for k, v in request.headers}
        if headers.get("authorization") != f"Token {API_KEY}":
            await request.reject(401, body=b'{"err_code":"INVALID_AUTH","err_msg":"Bad key"}')
            return
        ws = await request.accept()
        server.paths.append(request.path)
        pending = 0
        words = 0
        try:
            await ws.send_message(json.dumps({"type": "SpeechStarted", "timestamp": 0.1}))
            while True:
                message = await ws.get_message()
                if isinstance(message, bytes):
                    server.audio_bytes += len(message)
                    pending += len(message)
                    if server.mode == "mute":
                        continue
                    while pending >= 6400:
                        pending -= 6400
                        words += 1
                        text = " ".join(["hello"] * words)
                        start = (words - 1) * 0.2
                        if words % 2:
                            await ws.send_message(
                                _results(text, is_final=False, speech_final=False, start=start)
                            )
                        else:
                            await ws.send_message(
                                _results(text, is_final=True, speech_final=True, start=start)
                            )
                            await ws.send_message(
                                json.dumps({"type": "UtteranceEnd", "last_word_end": start})
                            )
                            words = 0
                    continue
                control = json.loads(message)
                if control["type"] == "KeepAlive":
                    server.keepalives += 1
                elif control["type"] == "Finalize":
                    server.finalizes += 1
                elif control["type"] == "CloseStream":
                    server.close_streams += 1
                    if words:
                        await ws.send_message(
                            _results("tail", is_final=True, speech_final=False, start=0.0)
                        )
                    await ws.send_message(
                        json.dumps(
                            {
                                "type": "Metadata",
                                "request_id": "req-1",
                                "duration": 1.0,
                                "channels": 1,
                            }
                        )
                    )
                    await ws.aclose(1000)
                    server.closed_cleanly.set()
                    return
        except trio_websocket.ConnectionClosed:
            server.dropped.set()

    async with trio.open_nursery() as nursery:
        ws_server = await nursery.start(
            trio_websocket.serve_websocket, handler, "127.0.0.1", 0, None
        )
        server.port = ws_server.port
        yield server
        nursery.cancel_scope.cancel()
