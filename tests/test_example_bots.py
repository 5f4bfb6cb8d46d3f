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
