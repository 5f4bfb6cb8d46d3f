"""A legacy 0.x client through the RTVI actor: services, config and actions with real handlers."""

from __future__ import annotations

from typing import Any

from test_rtvi_actor import rtvi, run  # type: ignore[import-not-found]

from rtvi_actors.protocol import (
    RTVIAction,
    RTVIActionArgument,
    RTVIService,
    RTVIServiceOption,
)
from rtvi_actors.session import Session


def legacy_session(calls: list[Any]) -> Session:
    session = Session("legacy")

    async def set_voice(service: str, option: Any) -> None:
        calls.append(("voice", service, option.value))

    async def set_speed(service: str, option: Any) -> None:
        if option.value == "boom":
            raise ValueError("speed rejected")
        calls.append(("speed", service, option.value))

    async def say(service: str, args: Any) -> Any:
        calls.append(("say", service, dict(args)))
        return {"said": args.get("text")}

    async def fail(service: str, args: Any) -> Any:
        raise RuntimeError("nope")

    session.rtvi.register_service(
        RTVIService(
            name="tts",
            options=(
                RTVIServiceOption(name="voice", type="string", handler=set_voice),
                RTVIServiceOption(name="speed", type="string", handler=set_speed),
            ),
        )
    )
    session.rtvi.register_action(
        RTVIAction(
            service="tts",
            action="say",
            result="object",
            arguments=(RTVIActionArgument(name="text", type="string"),),
            handler=say,
        )
    )
    session.rtvi.register_action(
        RTVIAction(service="tts", action="fail", result="bool", handler=fail)
    )
    return session


async def test_legacy_describe_update_and_actions(autojump_clock) -> None:
    calls: list[Any] = []
    session = legacy_session(calls)
    good = {"config": [{"service": "tts", "options": [{"name": "voice", "value": "v2"}]}]}
    bad = {
        "config": [
            {
                "service": "tts",
                "options": [{"name": "voice", "value": "v3"}, {"name": "speed", "value": "boom"}],
            }
        ]
    }
    unknown = {"config": [{"service": "nope", "options": [{"name": "x", "value": 1}]}]}
    inputs = [
        rtvi("client-ready", {}, "c0"),
        rtvi("describe-config", None, "d1"),
        rtvi("describe-actions", None, "d2"),
        rtvi("update-config", good, "u1"),
        rtvi("update-config", unknown, "u2"),
        rtvi("update-config", bad, "u3"),
        rtvi("get-config", None, "g1"),
        rtvi(
            "action",
            {"service": "tts", "action": "say", "arguments": [{"name": "text", "value": "hi"}]},
            "a1",
        ),
        rtvi("action", {"service": "tts", "action": "fail"}, "a2"),
        rtvi("action", {"service": "foo", "action": "bar"}, "a3"),
    ]
    out, _ = await run(session, inputs)
    replies = [(m["type"], m.get("id")) for m in out]
    assert replies == [
        ("bot-ready", "c0"),
        ("config-available", "d1"),
        ("actions-available", "d2"),
        ("config", "u1"),
        ("error-response", "u2"),
        ("error-response", "u3"),
        ("config", "g1"),
        ("action-response", "a1"),
        ("error-response", "a2"),
        ("error-response", "a3"),
    ]
    assert out[0]["data"]["version"].startswith("0.")
    # u2 was rejected before any handler ran; u3's first handler ran but nothing was stored
    config = out[6]["data"]["config"]
    voice = [o["value"] for s in config for o in s["options"] if o["name"] == "voice"]
    assert voice == ["v2"]
    assert out[7]["data"]["result"] == {"said": "hi"}
    assert "nope" not in str(out[8])  # no internal text outside debug mode
    assert calls[0] == ("voice", "tts", "v2")
    assert ("say", "tts", {"text": "hi"}) in calls
