"""The RTVI actor: handshake, replies, effects, ordering and the session.rtvi API."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
import trio

from actors.rtvi import RtviActor
from rtvi_actors import AudioIn, BotStartedSpeaking, BotStoppedSpeaking, Graph, UserText
from rtvi_actors.protocol import BotOutput
from rtvi_actors.session import Session
from rtvi_actors.testing import After, Collector, Feeder, Recording, run_graph
from rtvi_actors.voice import ClientRtvi, FunctionCallResultIn, RtviOut, ServerEvent

NOW = "2026-11-23T00:00:00.000+00:00"


def rtvi(type_: str, data: Any = None, id_: str | None = "r1") -> ClientRtvi:
    env: dict[str, Any] = {"label": "rtvi-ai", "type": type_}
    if id_ is not None:
        env["id"] = id_
    if data is not None:
        env["data"] = data
    return ClientRtvi(data=json.dumps(env))


READY = rtvi("client-ready", {"version": "2.1.0", "about": {"library": "test"}}, "cr1")


async def run(session: Session, inputs: list[Any], **opts: Any) -> tuple[list[dict], Recording]:
    out, other = Recording(), Recording()
    g = Graph()
    g.add(
        "ws_in",
        Feeder,
        inputs,
        emits=(ClientRtvi, ServerEvent, BotStartedSpeaking, BotStoppedSpeaking),
    )
    actor = functools.partial(RtviActor, session.rtvi, now_iso=lambda: NOW, **opts)
    g.add("rtvi", actor, can_interrupt=True)
    g.add("ws_out", Collector, out, accepts=(RtviOut,))
    g.add("turn", Collector, other, accepts=(UserText, FunctionCallResultIn, object))
    g.route(ClientRtvi, "ws_in", "rtvi").route(ServerEvent, "ws_in", "rtvi")
    g.route(BotStartedSpeaking, "ws_in", "rtvi").route(BotStoppedSpeaking, "ws_in", "rtvi")
    g.route(RtviOut, "rtvi", "ws_out")
    g.route(UserText, "rtvi", "turn").route(FunctionCallResultIn, "rtvi", "turn")
    g.route(AudioIn, "rtvi", "turn")
    session.graph = None
    with trio.fail_after(60):
        await run_graph(g)
    return [m.envelope for m in out.messages], other


async def test_handshake_then_on_client_ready(autojump_clock) -> None:
    session = Session("s")
    seen: list[str] = []

    @session.rtvi.event_handler("on_client_ready")
    async def ready(rtvi) -> None:
        seen.append("ready")
        await rtvi.send_server_message({"hello": 1})

    out, _ = await run(session, [READY])
    assert out[0] == {
        "label": "rtvi-ai",
        "type": "bot-ready",
        "id": "cr1",
        "data": {
            "version": "2.2.0",
            "about": {"library": "rtvi-actors", "library_version": "0.1.0"},
            "capabilities": {
                "audio_in": True,
                "audio_out": True,
                "video_in": False,
                "screen_in": False,
                "video_out": False,
                "metrics": True,
            },
        },
    }
    assert out[1] == {"label": "rtvi-ai", "type": "server-message", "data": {"hello": 1}}
    assert seen == ["ready"]


async def test_garbage_gets_errors_and_the_session_goes_on(autojump_clock) -> None:
    session = Session("s")
    inputs = [
        ClientRtvi(data="{not json"),
        rtvi("no-such-type", {}, "x1"),
        rtvi("send-text", {"nope": 1}, "x2"),
        READY,
    ]
    out, _ = await run(session, inputs)
    assert [(m["type"], m.get("id")) for m in out] == [
        ("error", None),
        ("error-response", "x1"),
        ("error-response", "x2"),
        ("bot-ready", "cr1"),
    ]
    assert out[0]["data"]["fatal"] is False


async def test_send_text_acks_and_forwards(autojump_clock) -> None:
    session = Session("s")
    msg = rtvi("send-text", {"content": "hi", "options": {"audio_response": False}}, "t1")
    out, other = await run(session, [READY, msg])
    assert out[1] == {
        "label": "rtvi-ai",
        "type": "user-input",
        "data": {
            "text": "hi",
            "input_type": "chat",
            "timestamp": NOW,
            "final": True,
            "msg_id": "t1",
        },
    }
    assert other.of(UserText) == [
        UserText(text="hi", run_immediately=True, audio_response=False, request_id="t1")
    ]


async def test_client_message_without_handler_is_answered(autojump_clock) -> None:
    session = Session("s")
    out, _ = await run(session, [READY, rtvi("client-message", {"t": "ping", "d": 1}, "m1")])
    assert out[1]["type"] == "error-response" and out[1]["id"] == "m1"


async def test_client_message_handler_responds(autojump_clock) -> None:
    session = Session("s")

    @session.rtvi.event_handler("on_client_message")
    async def on_msg(rtvi, msg) -> None:
        await rtvi.send_server_response(msg.id, {"echo": msg.data})

    out, _ = await run(session, [READY, rtvi("client-message", {"t": "ping", "d": 7}, "m1")])
    assert out[1] == {
        "label": "rtvi-ai",
        "type": "server-response",
        "id": "m1",
        "data": {"t": "ping", "d": {"echo": 7}},
    }


async def test_failing_handler_answers_with_a_safe_error(autojump_clock) -> None:
    session = Session("s")

    @session.rtvi.event_handler("on_client_message")
    async def on_msg(rtvi, msg) -> None:
        raise RuntimeError("database password is hunter2")

    out, _ = await run(session, [READY, rtvi("client-message", {"t": "x"}, "m1")])
    assert out[1]["type"] == "error-response"
    assert "hunter2" not in json.dumps(out)


async def test_function_call_result_is_forwarded(autojump_clock) -> None:
    session = Session("s")
    result = rtvi(
        "llm-function-call-result",
        {"function_name": "f", "tool_call_id": "c1", "arguments": {}, "result": {"ok": 1}},
        "f1",
    )
    _, other = await run(session, [READY, result])
    assert other.of(FunctionCallResultIn) == [
        FunctionCallResultIn(call_id="c1", name="f", result={"ok": 1})
    ]


async def test_observer_events_are_version_gated(autojump_clock) -> None:
    session = Session("s")
    word = ServerEvent(
        message=BotOutput(text="hi", spoken=True, output_type="word", will_be_spoken=True)
    )
    out, _ = await run(session, [READY, word])
    assert [m["type"] for m in out] == ["bot-ready"]  # word output is not for 2.x clients


async def test_disconnect_bot_waits_for_the_bot_to_finish(autojump_clock) -> None:
    session = Session("s")
    inputs = [
        READY,
        BotStartedSpeaking(epoch=0, at=0.0),
        rtvi("disconnect-bot", None, "d1"),
        After(2.0, BotStoppedSpeaking(epoch=0, at=2.0)),
    ]
    start = trio.current_time()
    out, _ = await run(session, inputs)
    assert trio.current_time() - start == pytest.approx(2.0)
    assert [m["type"] for m in out] == ["bot-ready"]


async def test_disconnect_bot_is_bounded_by_the_grace(autojump_clock) -> None:
    session = Session("s")
    inputs = [
        READY,
        BotStartedSpeaking(epoch=0, at=0.0),
        rtvi("disconnect-bot", None, "d1"),
        After(30.0, BotStoppedSpeaking(epoch=0, at=30.0)),
    ]
    start = trio.current_time()
    await run(session, inputs, drain_grace=1.0)
    # the RTVI actor stopped after 1 s; the feeder still ran its script to the end
    assert trio.current_time() - start == pytest.approx(30.0)


async def test_non_rtvi_messages_are_dropped_and_counted(autojump_clock) -> None:
    session = Session("s")
    inputs = [
        ClientRtvi(data='{"label": "other", "type": "client-ready", "id": "1"}'),
        ClientRtvi(data="[1, 2, 3]"),
        READY,
    ]
    out, _ = await run(session, inputs)
    assert [m["type"] for m in out] == ["bot-ready"]
    assert session.rtvi.ignored == 2
