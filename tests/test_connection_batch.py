"""SessionConnection.send_messages: several frames in one socket write, over a real socket."""

import pytest
import trio
from trio_websocket import ConnectionClosed, open_websocket_url, serve_websocket

from supervisors.connection import SessionConnection, _can_batch


async def _serve(handler):  # type: ignore[no-untyped-def]
    async def accept(request):  # type: ignore[no-untyped-def]
        ws = await request.accept()
        await handler(SessionConnection(ws))

    return accept


async def test_batched_frames_arrive_in_order_over_a_real_socket() -> None:
    done = trio.Event()
    checked: list[bool] = []

    async def handler(conn: SessionConnection) -> None:
        checked.append(_can_batch(conn.ws))
        await conn.send_messages(["one", b"\x00two", "three " * 1000])
        await conn.send_messages(["four"])
        await done.wait()

    async with trio.open_nursery() as nursery:
        server = await nursery.start(serve_websocket, await _serve(handler), "127.0.0.1", 0, None)
        port = server.port
        async with open_websocket_url(f"ws://127.0.0.1:{port}/ws") as client:
            got = [await client.get_message() for _ in range(4)]
        done.set()
        nursery.cancel_scope.cancel()
    assert checked == [True]  # the installed trio-websocket takes the one-write path
    assert got == ["one", b"\x00two", "three " * 1000, "four"]


async def test_batched_send_on_a_closed_connection_raises_connection_closed() -> None:
    outcome: list[BaseException] = []
    finished = trio.Event()

    async def handler(conn: SessionConnection) -> None:
        await conn.aclose()
        try:
            await conn.send_messages(["late", "later"])
        except ConnectionClosed as exc:
            outcome.append(exc)
        finished.set()

    async with trio.open_nursery() as nursery:
        server = await nursery.start(serve_websocket, await _serve(handler), "127.0.0.1", 0, None)
        async with open_websocket_url(f"ws://127.0.0.1:{server.port}/ws") as client:
            with pytest.raises(ConnectionClosed):
                await client.get_message()
        with trio.fail_after(5):
            await finished.wait()
        nursery.cancel_scope.cancel()
    assert isinstance(outcome[0], ConnectionClosed)


async def test_without_the_internals_it_sends_one_by_one() -> None:
    class Plain:
        def __init__(self) -> None:
            self.sent: list[object] = []

        async def send_message(self, m: object) -> None:
            self.sent.append(m)

    plain = Plain()
    assert not _can_batch(plain)
    await SessionConnection(plain).send_messages(["a", "b"])
    assert plain.sent == ["a", "b"]


async def test_fake_connection_send_nowait_and_send_messages() -> None:
    from rtvi_actors.testing import connection_pair

    server, client = connection_pair()
    client.send_nowait("a")
    await server.send_messages(["b", "c"])
    assert await server.get_message() == "a"
    assert [await client.get_message() for _ in range(2)] == ["b", "c"]
    client.close()
    with pytest.raises(ConnectionClosed):
        client.send_nowait("late")
    with pytest.raises(ConnectionClosed):
        await server.send_messages(["late"])
