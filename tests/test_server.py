"""The server supervisor over real loopback sockets: crash boundary, close codes, paths."""

from __future__ import annotations

from typing import Any

import pytest
import trio
from trio_websocket import ConnectionClosed, HandshakeError, open_websocket_url

from actors.echo import Echo, build_echo_graph
from rtvi_actors import Context, TextIn
from supervisors import RestartBudget, Server, graph_session

pytestmark = pytest.mark.slow


class Touchy(Echo):
    """Echoes, except that "boom" crashes the stage."""

    async def handle(self, msg: TextIn, ctx: Context) -> None:
        if msg.text == "boom":
            raise RuntimeError("secret internal detail")
        await super().handle(msg, ctx)


def touchy_graph(conn: Any):
    return build_echo_graph(conn, echo=Touchy)


async def start_server(nursery: trio.Nursery, handler: Any) -> tuple[Server, str]:
    server = Server(handler)
    port = await nursery.start(server.serve, "127.0.0.1", 0)
    return server, f"ws://127.0.0.1:{port}/ws"


async def test_a_crashing_session_closes_1011_and_others_keep_working() -> None:
    handler = graph_session(touchy_graph, budget=RestartBudget(max_restarts=0, period=1.0))
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            server, url = await start_server(nursery, handler)
            async with open_websocket_url(url) as a, open_websocket_url(url) as b:
                await a.send_message("hi")
                assert await a.get_message() == "hi"
                await b.send_message("boom")
                with pytest.raises(ConnectionClosed) as closed:
                    await b.get_message()
                assert closed.value.reason.code == 1011
                assert "secret" not in (closed.value.reason.reason or "")
                await a.send_message("still here")
                assert await a.get_message() == "still here"
            assert server.statistics().crashed == 1
            nursery.cancel_scope.cancel()


async def test_within_the_budget_a_crash_is_survived() -> None:
    handler = graph_session(touchy_graph)  # default budget: 3 restarts per 30 s
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            server, url = await start_server(nursery, handler)
            async with open_websocket_url(url) as ws:
                await ws.send_message("boom")
                await ws.send_message("after")
                assert await ws.get_message() == "after"
            assert server.statistics().crashed == 0
            nursery.cancel_scope.cancel()


async def test_a_handler_that_raises_outright_is_contained() -> None:
    async def broken(conn: Any, session_id: str) -> None:
        raise ValueError("broken before start")

    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            server, url = await start_server(nursery, broken)
            for _ in range(2):
                async with open_websocket_url(url) as ws:
                    with pytest.raises(ConnectionClosed) as closed:
                        await ws.get_message()
                    assert closed.value.reason.code == 1011
            assert server.statistics().crashed == 2
            assert server.statistics().live == 0
            nursery.cancel_scope.cancel()


async def test_client_close_ends_the_session_normally() -> None:
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            server, url = await start_server(nursery, graph_session(build_echo_graph))
            async with open_websocket_url(url) as ws:
                await ws.send_message("x")
                assert await ws.get_message() == "x"
            while server.statistics().ended < 1:  # noqa: ASYNC110 (polls a counter)
                await trio.sleep(0.01)
            stats = server.statistics()
            assert (stats.live, stats.crashed, stats.accepted) == (0, 0, 1)
            nursery.cancel_scope.cancel()


async def test_graceful_close_ends_live_sessions_with_1001_and_refuses_new_ones() -> None:
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            server = Server(graph_session(build_echo_graph))
            port = await nursery.start(server.serve, "127.0.0.1", 0)
            url = f"ws://127.0.0.1:{port}/ws"
            async with open_websocket_url(url) as ws:
                await ws.send_message("x")
                assert await ws.get_message() == "x"
                server.close()
                with pytest.raises(ConnectionClosed) as closed:
                    await ws.get_message()
                assert closed.value.reason.code == 1001
            with pytest.raises(HandshakeError):
                async with open_websocket_url(url):
                    pass
        # serve() returned by itself once the session had closed
        assert server.statistics().live == 0


async def test_hard_cancel_still_sends_1001() -> None:
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            server_scope = trio.CancelScope()

            async def run_server(task_status: trio.TaskStatus[int]) -> None:
                with server_scope:
                    server = Server(graph_session(build_echo_graph), close_timeout=0.2)
                    await server.serve("127.0.0.1", 0, task_status=task_status)

            port = await nursery.start(run_server)
            async with open_websocket_url(f"ws://127.0.0.1:{port}/ws") as ws:
                server_scope.cancel()
                with pytest.raises(ConnectionClosed) as closed:
                    await ws.get_message()
                assert closed.value.reason.code == 1001


async def test_other_paths_are_rejected() -> None:
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            server, url = await start_server(nursery, graph_session(build_echo_graph))
            with pytest.raises(HandshakeError):
                async with open_websocket_url(url.replace("/ws", "/nope")):
                    pass
            assert server.statistics().rejected == 1
            nursery.cancel_scope.cancel()
