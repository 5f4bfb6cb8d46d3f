"""The examples run as documented."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import trio
from trio_websocket import open_websocket_url

from rtvi_actors import TextIn, TextOut
from rtvi_actors.testing import After, run_actor
from supervisors import Server, graph_session

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


async def test_readme_stage_test(autojump_clock) -> None:
    shout = load("shout_bot")
    result = await run_actor(shout.Shout, [TextIn(text="hi"), After(1.0, TextIn(text="yo"))])
    assert [m.text for m in result.emitted.messages] == ["HI", "YO"]
    assert result.emitted.times(TextOut) == [0.0, 1.0]


async def test_shout_bot_over_a_real_socket() -> None:
    shout = load("shout_bot")
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            server = Server(graph_session(shout.build))
            port = await nursery.start(server.serve, "127.0.0.1", 0)
            async with open_websocket_url(f"ws://127.0.0.1:{port}/ws") as ws:
                await ws.send_message("hello")
                assert await ws.get_message() == "HELLO"
            server.close()


async def _session(build):
    from rtvi_actors.client import RtviClient
    from rtvi_actors.testing import connection_pair
    from supervisors import bot_session

    server_conn, client_conn = connection_pair()
    return server_conn, client_conn, RtviClient(client_conn), bot_session(build)


async def test_greet_first_speaks_after_client_ready(autojump_clock) -> None:
    mod = load("greet_first")
    server_conn, client_conn, client, handler = await _session(mod.build)
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(handler, server_conn, "g1")
            nursery.start_soon(client.run)
            await client.ready()
            out = await client.wait_for(
                "bot-output", lambda m: m["data"].get("spoken_status") == "completed"
            )
            assert out["data"]["text"].startswith("Hello!")
            assert client.types().index("bot-ready") < client.types().index("bot-llm-started")
            client_conn.close()


async def test_client_tool_round_trip(autojump_clock) -> None:
    mod = load("client_tool")
    server_conn, client_conn, client, handler = await _session(mod.build)
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(handler, server_conn, "t1")
            nursery.start_soon(client.run)
            await client.ready()
            await client.send("send-text", {"content": "where am I?"})
            call = await client.wait_for("llm-function-call-in-progress")
            assert call["data"]["function_name"] == "get_location"
            assert "arguments" not in call["data"]  # level "name" keeps arguments private
            await client.send(
                "llm-function-call-result",
                {
                    "function_name": "get_location",
                    "tool_call_id": call["data"]["tool_call_id"],
                    "arguments": {},
                    "result": "Lisbon",
                },
            )
            out = await client.wait_for(
                "bot-output", lambda m: m["data"].get("spoken_status") == "completed"
            )
            assert "Lisbon" in out["data"]["text"]
            client_conn.close()
