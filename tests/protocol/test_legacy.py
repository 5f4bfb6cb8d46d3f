"""Legacy 0.x layer: every request answered with the right reply type and id."""

import json

import pytest

from rtvi_actors.protocol import (
    Action,
    ActionResponse,
    ApplyConfig,
    BotReady,
    Config,
    ConfigPlan,
    Error,
    ErrorResponse,
    LegacyServices,
    Outgoing,
    RTVIAction,
    RTVIActionArgument,
    RTVIConfig,
    RtviProtocol,
    RTVIService,
    RTVIServiceConfig,
    RTVIServiceOption,
    RTVIServiceOptionConfig,
    RunAction,
    UpdateConfig,
)


async def _noop(*_: object) -> None:
    return None


def services() -> LegacyServices:
    return LegacyServices(
        services=[
            RTVIService(
                name="tts",
                options=(RTVIServiceOption(name="voice", type="string", handler=_noop),),
            ),
            RTVIService(
                name="llm",
                options=(
                    RTVIServiceOption(name="model", type="string", handler=_noop),
                    RTVIServiceOption(name="temperature", type="number", handler=_noop),
                ),
            ),
        ],
        actions=[
            RTVIAction(
                service="tts",
                action="say",
                arguments=(
                    RTVIActionArgument(name="text", type="string"),
                    RTVIActionArgument(name="interrupt", type="bool"),
                ),
                result="bool",
                handler=_noop,
            ),
            RTVIAction(service="llm", action="get_context", result="object"),
        ],
        initial_config=RTVIConfig(
            config=(
                RTVIServiceConfig(
                    service="tts", options=(RTVIServiceOptionConfig(name="voice", value="v1"),)
                ),
            )
        ),
    )


def req(type_: str, data: object, id_: str) -> str:
    return json.dumps({"label": "rtvi-ai", "type": type_, "id": id_, "data": data})


def legacy_session() -> RtviProtocol:
    proto = RtviProtocol(legacy=services())
    out = proto.receive_text(req("client-ready", {}, "cr"))
    (apply,) = [o for o in out if isinstance(o, ApplyConfig)]
    assert apply.request_id is None
    assert [s.option.value for s in apply.plan.steps] == ["v1"]
    (bot_ready,) = proto.config_applied(apply)
    assert bot_ready.id == "cr"
    assert bot_ready.to_dict()["data"]["config"] == [
        {"service": "tts", "options": [{"name": "voice", "value": "v1"}]}
    ]
    return proto


def test_handshake_without_initial_config_sends_bot_ready_at_once() -> None:
    proto = RtviProtocol()
    out = proto.receive_text(req("client-ready", {}, "cr"))
    (bot_ready,) = [o for o in out if isinstance(o, Outgoing)]
    assert bot_ready.to_dict() == {
        "label": "rtvi-ai",
        "type": "bot-ready",
        "id": "cr",
        "data": {
            "version": "0.3.0",
            "about": {"library": "rtvi-actors", "library_version": "0.1.0"},
            "config": [],
        },
    }


def test_initial_config_failure_still_sends_bot_ready_then_error() -> None:
    proto = RtviProtocol(legacy=services())
    out = proto.receive_text(req("client-ready", {}, "cr"))
    (apply,) = [o for o in out if isinstance(o, ApplyConfig)]
    first, second = proto.config_failed(apply, "boom")
    assert isinstance(first.message, BotReady)
    assert second == Outgoing(message=Error(error="Exception processing message: boom"))


def test_describe_config() -> None:
    (out,) = legacy_session().receive_text(req("describe-config", {}, "c1"))
    assert out.to_dict() == {
        "label": "rtvi-ai",
        "type": "config-available",
        "id": "c1",
        "data": {
            "config": [
                {"name": "tts", "options": [{"name": "voice", "type": "string"}]},
                {
                    "name": "llm",
                    "options": [
                        {"name": "model", "type": "string"},
                        {"name": "temperature", "type": "number"},
                    ],
                },
            ]
        },
    }


def test_describe_actions() -> None:
    (out,) = legacy_session().receive_text(req("describe-actions", {}, "c2"))
    data = out.to_dict()
    assert data["type"] == "actions-available"
    assert data["id"] == "c2"
    assert data["data"]["actions"][1] == {
        "service": "llm",
        "action": "get_context",
        "arguments": [],
        "result": "object",
    }


def test_update_config_applies_in_order_and_replies_with_the_whole_config() -> None:
    proto = legacy_session()
    update = {
        "config": [
            {"service": "llm", "options": [{"name": "model", "value": "m2"}]},
            {"service": "tts", "options": [{"name": "voice", "value": "v2"}]},
        ],
        "interrupt": True,
    }
    (effect,) = proto.receive_text(req("update-config", update, "u1"))
    assert isinstance(effect, ApplyConfig)
    assert effect.plan.interrupt is True
    assert [(s.service, s.option.value) for s in effect.plan.steps] == [
        ("llm", "m2"),
        ("tts", "v2"),
    ]
    assert all(s.handler is _noop for s in effect.plan.steps)
    (reply,) = proto.config_applied(effect)
    assert reply.id == "u1"
    assert reply.message == Config(
        config=(
            RTVIServiceConfig(
                service="tts", options=(RTVIServiceOptionConfig(name="voice", value="v2"),)
            ),
            RTVIServiceConfig(
                service="llm", options=(RTVIServiceOptionConfig(name="model", value="m2"),)
            ),
        )
    )
    (got,) = proto.receive_text(req("get-config", {}, "g1"))
    assert got == Outgoing(message=reply.message, id="g1")


@pytest.mark.parametrize(
    ("config", "error"),
    [
        (
            [
                {"service": "tts", "options": [{"name": "voice", "value": "ok"}]},
                {"service": "nope", "options": []},
            ],
            "Unknown service 'nope'",
        ),
        (
            [
                {"service": "tts", "options": [{"name": "voice", "value": "ok"}]},
                {"service": "llm", "options": [{"name": "bogus", "value": 1}]},
            ],
            "Unknown option 'bogus' for service 'llm'",
        ),
        (
            [
                {"service": "tts", "options": [{"name": "voice", "value": "ok"}]},
                {"service": "llm", "options": [{"name": "temperature", "value": "hot"}]},
            ],
            "Option 'llm.temperature' expects number",
        ),
    ],
)
def test_update_config_with_a_failing_option_applies_nothing(config: list, error: str) -> None:
    proto = legacy_session()
    before = proto.legacy.stored_config
    (out,) = proto.receive_text(req("update-config", {"config": config}, "u2"))
    assert out == Outgoing(message=ErrorResponse(error=error), id="u2")
    assert proto.legacy.stored_config == before


def test_update_config_handler_failure_stores_nothing() -> None:
    proto = legacy_session()
    update = {"config": [{"service": "tts", "options": [{"name": "voice", "value": "v9"}]}]}
    (effect,) = proto.receive_text(req("update-config", update, "u3"))
    (out,) = proto.config_failed(effect, "voice missing")
    assert out == Outgoing(
        message=ErrorResponse(error="Exception processing message: voice missing"), id="u3"
    )
    assert proto.legacy.stored_config[0].options[0].value == "v1"


@pytest.mark.parametrize(
    "data", [{}, {"config": [{"service": "tts", "options": [{"name": "voice"}]}]}]
)
def test_update_config_invalid_payload(data: dict) -> None:
    (out,) = legacy_session().receive_text(req("update-config", data, "u4"))
    assert out.id == "u4"
    assert out.message.error.startswith("Invalid message:")


def test_action_to_action_response() -> None:
    proto = legacy_session()
    action = {"service": "tts", "action": "say", "arguments": [{"name": "text", "value": "hi"}]}
    (effect,) = proto.receive_text(req("action", action, "a1"))
    assert isinstance(effect, RunAction)
    assert effect.plan.arguments == {"text": "hi"}
    assert effect.plan.handler is _noop
    (out,) = proto.action_completed(effect, None)
    assert out.to_dict() == {
        "label": "rtvi-ai",
        "type": "action-response",
        "id": "a1",
        "data": {"result": True},
    }
    (failed,) = proto.action_failed(effect, "boom")
    assert failed.message == ErrorResponse(error="Exception processing message: boom")
    (again,) = proto.receive_text(req("action", action, "a2"))
    assert proto.action_completed(again, {"ok": 1})[0].message == ActionResponse(result={"ok": 1})


def test_unknown_action_and_bad_argument() -> None:
    proto = legacy_session()
    (out,) = proto.receive_text(req("action", {"service": "foo", "action": "bar"}, "a3"))
    assert out == Outgoing(message=ErrorResponse(error="Action foo:bar not registered"), id="a3")
    bad = {"service": "tts", "action": "say", "arguments": [{"name": "text"}]}
    (out,) = proto.receive_text(req("action", bad, "a4"))
    assert out.message.error.startswith("Invalid message:")


def test_modern_client_gets_unsupported_type_even_with_the_layer_on() -> None:
    proto = RtviProtocol(legacy=services())
    out = proto.receive_text(req("client-ready", {"version": "2.1.0"}, "cr"))
    assert out[-1].message.config is None
    (reply,) = proto.receive_text(req("get-config", {}, "g"))
    assert reply == Outgoing(message=ErrorResponse(error="Unsupported type get-config"), id="g")


def test_pure_planning_api() -> None:
    layer = services()
    plan = layer.plan_update(UpdateConfig(config=()))
    assert plan == ConfigPlan()
    assert layer.plan_action(Action(service="llm", action="get_context")).arguments == {}
    with pytest.raises(ValueError):
        LegacyServices(initial_config=[RTVIServiceConfig(service="ghost")])
