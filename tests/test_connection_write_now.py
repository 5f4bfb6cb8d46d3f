"""SessionConnection writes at once when nobody else is writing (the server's PrefixedStream
over a real socket): no schedule point then; what the socket does not take is awaited, in order."""

import socket
from collections.abc import Awaitable, Callable

import pytest
import trio
from trio_websocket import ConnectionClosed, open_websocket_url, wrap_server_stream

from supervisors.connection import SessionConnection
from supervisors.front import PrefixedStream

Handler = Callable[[SessionConnection], Awaitable[None]]


async def _serve(nursery: trio.Nursery, handler: Handler) -> int:
    async def on_stream(stream: trio.SocketStream) -> None:
        async with trio.open_nursery() as conn_nursery:
            stream.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32 * 1024)
            request = await wrap_server_stream(conn_nursery, PrefixedStream(stream, b""))
            ws = await request.accept()
            await handler(SessionConnection(ws))
            conn_nursery.cancel_scope.cancel()

    listeners = await nursery.start(trio.serve_tcp, on_stream, 0)
    return int(listeners[0].socket.getsockname()[1])


async def test_a_write_the_socket_takes_has_no_schedule_point() -> None:
    done = trio.Event()
    observed: list[bool] = []

    async def handler(conn: SessionConnection) -> None:
        assert conn._writes_now  # the server's stream can write at once
        ran = False

        async def other() -> None:
            nonlocal ran
            ran = True

        async with trio.open_nursery() as nursery:
            nursery.start_soon(other)
            await conn.send_messages(["one", b"\x00two"])
            await conn.send_message("three")
            observed.append(ran)  # the other task never got to run: no schedule point
        await done.wait()

    async with trio.open_nursery() as nursery:
        port = await _serve(nursery, handler)
        async with open_websocket_url(f"ws://127.0.0.1:{port}/ws") as client:
            got = [await client.get_message() for _ in range(3)]
        done.set()
        nursery.cancel_scope.cancel()
    assert observed == [False]
    assert got == ["one", b"\x00two", "three"]


async def test_what_the_socket_does_not_take_is_awaited_and_order_is_kept() -> None:
    # more than the socket buffers can hold, however far the kernel grows them
    big = [bytes([i]) * 4_000_000 for i in range(1, 4)]
    blocked: list[bool] = []
    done = trio.Event()

    async def handler(conn: SessionConnection) -> None:
        async with trio.open_nursery() as nursery:

            async def second() -> None:
                await trio.sleep(0.05)  # while the first write waits for the reader
                blocked.append(conn.ws._stream_lock.locked())
                await conn.send_messages(["after"])

            nursery.start_soon(second)
            await conn.send_messages(big)  # partly written at once, the rest awaited
        await done.wait()

    async with trio.open_nursery() as nursery:
        port = await _serve(nursery, handler)
        async with open_websocket_url(
            f"ws://127.0.0.1:{port}/ws", max_message_size=1 << 23
        ) as client:
            await trio.sleep(0.2)  # let the server's buffers fill first
            got = [await client.get_message() for _ in range(4)]
        done.set()
        nursery.cancel_scope.cancel()
    assert blocked == [True]  # the first write still held the connection
    assert got == [*big, "after"]


async def test_a_write_to_a_closed_connection_raises_connection_closed() -> None:
    outcome: list[BaseException] = []
    finished = trio.Event()

    async def handler(conn: SessionConnection) -> None:
        with trio.fail_after(5), pytest.raises(ConnectionClosed):
            await conn.get_message()  # the client goes away
        with pytest.raises(ConnectionClosed) as info:
            await conn.send_messages(["late"])
        outcome.append(info.value)
        finished.set()

    async with trio.open_nursery() as nursery:
        port = await _serve(nursery, handler)
        async with open_websocket_url(f"ws://127.0.0.1:{port}/ws"):
            pass
        with trio.fail_after(5):
            await finished.wait()
        nursery.cancel_scope.cancel()
    assert isinstance(outcome[0], ConnectionClosed)


async def test_send_some_nowait_reports_a_reset_peer_as_broken() -> None:
    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(trio.serve_tcp, _close_at_once, 0)
        port = listeners[0].socket.getsockname()[1]
        stream = PrefixedStream(await trio.open_tcp_stream("127.0.0.1", port), b"")
        assert stream.writes_now
        await trio.sleep(0.1)  # the peer has closed
        with pytest.raises(trio.BrokenResourceError):
            await _write_until_refused(stream)
        await stream.aclose()
        with pytest.raises(trio.ClosedResourceError):
            stream.send_some_nowait(b"x")
        nursery.cancel_scope.cancel()


async def _close_at_once(stream: trio.SocketStream) -> None:
    await stream.aclose()


async def _write_until_refused(stream: PrefixedStream) -> None:
    for _ in range(100):  # the first writes may still be accepted; then EPIPE / reset
        stream.send_some_nowait(b"x" * 1000)
        await trio.sleep(0.01)
