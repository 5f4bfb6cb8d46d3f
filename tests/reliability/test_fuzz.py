"""Fuzzing a live server over loopback (a small, derandomized run of ``reliability.fuzz``)."""

from __future__ import annotations

import json

import pytest
import trio
from hypothesis import strategies as st
from trio_websocket import ConnectionClosed

from reliability.common import Target
from reliability.fuzz import (
    Tally,
    frames,
    fuzz,
    hypothesis_runner,
    messages,
    probe_alive,
    run_batch,
)
from rtvi_actors.client import open_rtvi_client
from rtvi_actors.protocol import wire

pytestmark = pytest.mark.slow


async def test_messages_and_frames_are_answered_per_spec_or_dropped_and_counted() -> None:
    with trio.fail_after(120):
        tally, figures = await fuzz(
            messages_total=400, frames_total=150, batch=25, huge=200_000, derandomize=True
        )
    assert tally.failures == []
    assert tally.messages == 400 and tally.frames == 150
    assert tally.answered and tally.errors and tally.dropped
    assert figures["server"]["crashed"] == 0
    assert figures["server"]["live"] == 0
    counters = figures["counters"]
    assert counters["malformed"] > 0 and counters["unexpected"] > 0
    assert figures["tasks_after"] == figures["tasks_before"]


async def test_one_session_survives_a_mixed_stream() -> None:
    """Everything on one connection, in one go: the session still answers at the end."""
    tally = Tally()
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            target = Target()
            await target.start(nursery)

            def run(batch) -> None:
                trio.from_thread.run(run_batch, target, batch, tally)

            mixed = st.lists(st.one_of(messages(huge=100_000), frames()), min_size=60, max_size=60)
            await trio.to_thread.run_sync(hypothesis_runner(mixed, 3, run, derandomize=True))
            assert tally.failures == []
            assert target.server is not None and target.server.statistics().crashed == 0
            nursery.cancel_scope.cancel()


async def test_a_message_over_1_mib_closes_1009_and_the_server_goes_on() -> None:
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            target = Target()
            url = await target.start(nursery)
            async with open_rtvi_client(url) as other:
                await other.ready()
                async with open_rtvi_client(url) as client:
                    await client.ready()
                    env = {"label": "rtvi-ai", "type": "send-text", "id": "big"}
                    env["data"] = {"content": "x" * (1 << 20)}
                    try:
                        await client.send_raw(wire.serialize(wire.RtviText(data=json.dumps(env))))
                    except ConnectionClosed:
                        pass
                    assert await client.wait_closed() == 1009
                await probe_alive(other)
            assert target.server is not None
            assert target.server.statistics().crashed == 0
            nursery.cancel_scope.cancel()


async def test_deep_nesting_gets_a_non_fatal_error() -> None:
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            target = Target()
            url = await target.start(nursery)
            async with open_rtvi_client(url) as client:
                await client.ready()
                deep = "[" * 200_000 + "]" * 200_000
                text = '{"label":"rtvi-ai","type":"send-text","id":"n","data":' + deep + "}"
                await client.send_raw(wire.serialize(wire.RtviText(data=text)))
                err = await client.wait_for("error")
                assert err["data"]["fatal"] is False
                assert "too deep" in err["data"]["error"]
                await probe_alive(client)
            nursery.cancel_scope.cancel()
