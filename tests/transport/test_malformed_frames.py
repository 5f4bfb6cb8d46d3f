"""Malformed and unexpected frames are counted, never session-ending (virtual time, no sockets)."""

from __future__ import annotations

import trio

from actors.bots import scripted_bot
from rtvi_actors.client import RtviClient
from rtvi_actors.protocol import wire
from rtvi_actors.session import Session
from rtvi_actors.testing import connection_pair
from supervisors import bot_session


async def test_garbage_is_counted_and_the_session_goes_on(autojump_clock) -> None:
    holder: dict[str, Session] = {}

    def build(session: Session):
        holder["s"] = session
        return scripted_bot(session)

    server_conn, client_conn = connection_pair()
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(bot_session(build), server_conn, "g")
            c = RtviClient(client_conn)
            nursery.start_soon(c.run)
            await c.send_raw('{"label":"rtvi-ai","type":"client-ready"}')  # a text frame
            await c.send_raw(b"\xff\x00garbage\x13")  # not protobuf
            await c.send_raw(b"\x22\x09\x0a\x03abc")  # truncated message frame
            await c.send_raw(wire.serialize(wire.InterruptionFrame()))  # unexpected kind
            await c.send_raw(wire.serialize(wire.TextFrame(text="hi")))  # unexpected kind
            await c.send_raw(b"\x08\x01")  # a valid protobuf with no known oneof
            await c.send_raw(b"\x12\x08\x1a\x01\x00\x20\x80\x7d\x28\x01")  # odd PCM length
            ready = await c.ready()
            assert ready["type"] == "bot-ready"
            await c.send("send-text", {"content": "still alive"})
            await c.wait_for("bot-stopped-speaking")
            counters = holder["s"].data["transport"]
            assert counters.malformed == 5
            assert counters.unexpected == 2
            assert holder["s"].graph.statistics().actor("ws_in").incarnations == 1
            client_conn.close()


def test_encode_message_is_compact_unicode_json_like_json_dumps() -> None:
    import json

    import pytest

    from actors.writing import encode_message
    from rtvi_actors.protocol import wire

    envelopes = [
        {"label": "rtvi-ai", "type": "bot-llm-text", "data": {"text": 'héllo \u2603 "q" \n'}},
        {"label": "rtvi-ai", "type": "server-message", "data": {"a": [1, 2.5, None, True]}},
        {"label": "rtvi-ai", "type": "x", "data": {"k": {"n": -1}, "e": "", "l": []}},
        {"data": {1: "int key", "big": 2**70}},  # what orjson refuses: the stdlib encodes it
    ]
    for env in envelopes:
        expected = json.dumps(env, separators=(",", ":"), ensure_ascii=False)
        assert encode_message(env, "json") == expected
        assert wire.parse(encode_message(env, "protobuf")) == wire.RtviText(data=expected)
    # NaN and infinities become null, which a browser's JSON.parse accepts (not NaN)
    assert encode_message({"nan": float("nan"), "inf": float("inf")}, "json") == (
        '{"nan":null,"inf":null}'
    )
    for framing in ("json", "protobuf"):
        with pytest.raises(UnicodeEncodeError):
            encode_message({"text": "lone \ud800"}, framing)
    with pytest.raises(TypeError):
        encode_message({"data": object()}, "json")
    circular: dict = {}
    circular["self"] = circular
    with pytest.raises((ValueError, RecursionError)):
        encode_message(circular, "json")
