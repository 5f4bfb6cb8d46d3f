"""The RTVI actor's inline writes over a real socket (the server's connection stack): when
the client stops reading, an inline write is finished by a task of the actor, later events
wait for it, and the client gets every frame intact and in order."""

from __future__ import annotations

import functools
import json
from typing import Any

import trio
from trio_websocket import open_websocket_url, wrap_server_stream

from actors.observer import ObserverParams
from actors.rtvi import RtviActor
from actors.transport import TransportCounters
from actors.writing import MessageWriter
from rtvi_actors import AudioIn, Graph, Transcript, UserText
from rtvi_actors.protocol import wire
from rtvi_actors.session import Session
from rtvi_actors.testing import After, Feeder, client_ready, run_graph
from rtvi_actors.voice import ClientRtvi, FunctionCallResultIn, RtviOut
from supervisors.connection import SessionConnection
from supervisors.front import PrefixedStream

READY = client_ready()
BIG = 1_000_000  # characters per transcript: a few of them fill the socket buffers


async def lagging_client(on_stream: Any, count: int) -> list[dict[str, Any]]:
    """Serve ``on_stream`` on a real socket; a client that does not read for 0.5 s (the
    server's writes back up), then reads ``count`` RTVI messages."""
    got: list[dict[str, Any]] = []
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            listeners = await nursery.start(trio.serve_tcp, on_stream, 0)
            port = listeners[0].socket.getsockname()[1]
            url = f"ws://127.0.0.1:{port}/ws"
            async with open_websocket_url(url, max_message_size=1 << 23) as client:
                await trio.sleep(0.5)
                while len(got) < count:
                    got.append(json.loads(wire.parse(await client.get_message()).data))
            nursery.cancel_scope.cancel()
    return got


async def test_inline_writes_are_finished_in_order_when_the_client_lags() -> None:
    texts = [f"{i}" * BIG for i in range(1, 7)] + ["last"]
    inputs: list[Any] = [READY]
    inputs += [After(0.02, Transcript(text=t, final=True, at=0.0)) for t in texts]
    lefts: list[int] = []
    queued_writes: list[int] = []
    counters = TransportCounters()

    async def on_stream(stream: trio.SocketStream) -> None:
        async with trio.open_nursery() as conn_nursery:
            request = await wrap_server_stream(conn_nursery, PrefixedStream(stream, b""))
            conn = SessionConnection(await request.accept())
            now, batch = conn.send_messages_now, conn.send_messages

            def spy_now(messages: list[Any]) -> int:
                lefts.append(now(messages))
                return lefts[-1]

            async def spy_batch(messages: list[Any]) -> None:
                queued_writes.append(len(messages))
                await batch(messages)

            conn.send_messages_now = spy_now  # type: ignore[method-assign]
            conn.send_messages = spy_batch  # type: ignore[method-assign]
            g = Graph()
            g.add("src", Feeder, inputs, emits=(ClientRtvi, Transcript))
            actor = functools.partial(
                RtviActor,
                Session("s").rtvi,
                observer=ObserverParams(),
                writer=MessageWriter(conn, counters),
            )
            g.add("rtvi", actor)
            g.route(ClientRtvi, "src", "rtvi").route(Transcript, "src", "rtvi")
            g.discard(RtviOut, "rtvi").discard(UserText, "rtvi")
            g.discard(FunctionCallResultIn, "rtvi").discard(AudioIn, "rtvi")
            await run_graph(g)
            conn_nursery.cancel_scope.cancel()

    got = await lagging_client(on_stream, 1 + 2 * len(texts))

    assert [m["type"] for m in got] == ["bot-ready"] + ["user-input", "user-transcription"] * 7
    assert [m["data"]["text"] for m in got[1:]] == [t for t in texts for _ in range(2)]
    assert any(left > 0 for left in lefts)  # an inline write was finished by a task
    assert queued_writes  # and an event arriving meanwhile took the queued path, in order
    assert counters.messages_out == len(got)


async def test_app_messages_written_at_once_are_finished_in_order_when_the_client_lags() -> None:
    """``send_server_message`` from an application task writes at once when it can; what
    the socket does not take is finished by a task of the actor and the next call waits."""
    payloads = [{"n": i, "blob": f"{i}" * BIG} for i in range(1, 6)] + [{"n": 99}]
    lefts: list[int] = []
    returned: list[int] = []
    counters = TransportCounters()

    async def on_stream(stream: trio.SocketStream) -> None:
        async with trio.open_nursery() as conn_nursery:
            request = await wrap_server_stream(conn_nursery, PrefixedStream(stream, b""))
            conn = SessionConnection(await request.accept())
            now = conn.send_messages_now

            def spy_now(messages: list[Any]) -> int:
                lefts.append(now(messages))
                return lefts[-1]

            conn.send_messages_now = spy_now  # type: ignore[method-assign]
            rtvi = Session("s").rtvi
            g = Graph()
            g.add("src", Feeder, [READY, After(30.0, READY)], emits=(ClientRtvi,))
            actor = functools.partial(
                RtviActor, rtvi, observer=ObserverParams(), writer=MessageWriter(conn, counters)
            )
            g.add("rtvi", actor)
            g.route(ClientRtvi, "src", "rtvi")
            g.discard(RtviOut, "rtvi").discard(UserText, "rtvi")
            g.discard(FunctionCallResultIn, "rtvi").discard(AudioIn, "rtvi")

            async def app() -> None:
                await trio.sleep(0.1)
                for data in payloads:
                    await rtvi.send_server_message(data)
                    returned.append(data["n"])

            async with trio.open_nursery() as inner:
                inner.start_soon(run_graph, g)
                await app()
                await trio.sleep(1.0)
                inner.cancel_scope.cancel()
            conn_nursery.cancel_scope.cancel()

    got = await lagging_client(on_stream, 1 + len(payloads))

    assert [m["type"] for m in got] == ["bot-ready"] + ["server-message"] * len(payloads)
    assert [m["data"] for m in got[1:]] == payloads
    assert returned == [d["n"] for d in payloads]
    assert any(left > 0 for left in lefts)  # a write was finished by the actor's task
    assert len(lefts) < len(got)  # and a call meanwhile waited for it (the queued path)
    assert counters.messages_out == len(got)
