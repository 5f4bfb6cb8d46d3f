"""Function-call messages under every report level, per-function overrides, reconfiguration."""

from __future__ import annotations

import pytest

from actors.observer import ObserverParams, RtviObserver
from rtvi_actors import voice as v
from rtvi_actors.protocol import encode

ARGS = {"city": "Paris"}
RESULT = {"temp_c": 21}


def requested(name: str = "get_weather") -> v.FunctionCallRequested:
    return v.FunctionCallRequested(epoch=0, call_id="call_abc", name=name, arguments=ARGS)


def finished(name: str = "get_weather", result=RESULT) -> v.FunctionCallFinished:
    return v.FunctionCallFinished(epoch=0, call_id="call_abc", name=name, result=result)


def cancelled(name: str = "get_weather") -> v.FunctionCallCancelled:
    return v.FunctionCallCancelled(epoch=0, call_id="call_abc", name=name, reason="interrupted")


def lifecycle(o: RtviObserver, name: str = "get_weather") -> list[dict]:
    events = (requested(name), finished(name), cancelled(name))
    return [encode(msg) for e in events for msg in o.observe(e)]


def data(envelopes: list[dict]) -> list[tuple[str, dict]]:
    return [(e["type"], e["data"]) for e in envelopes]


STARTED, PROGRESS, STOPPED = (
    "llm-function-call-started",
    "llm-function-call-in-progress",
    "llm-function-call-stopped",
)
NAME = {"function_name": "get_weather"}
MATRIX = {
    "disabled": [],
    "none": [
        (STARTED, {}),
        (PROGRESS, {"tool_call_id": "call_abc"}),
        (STOPPED, {"tool_call_id": "call_abc", "cancelled": False}),
        (STOPPED, {"tool_call_id": "call_abc", "cancelled": True}),
    ],
    "name": [
        (STARTED, NAME),
        (PROGRESS, {"tool_call_id": "call_abc", **NAME}),
        (STOPPED, {"tool_call_id": "call_abc", "cancelled": False, **NAME}),
        (STOPPED, {"tool_call_id": "call_abc", "cancelled": True, **NAME}),
    ],
    "arguments": [
        (STARTED, NAME),
        (PROGRESS, {"tool_call_id": "call_abc", **NAME, "arguments": ARGS}),
        (STOPPED, {"tool_call_id": "call_abc", "cancelled": False, **NAME}),
        (STOPPED, {"tool_call_id": "call_abc", "cancelled": True, **NAME}),
    ],
    "full": [
        (STARTED, NAME),
        (PROGRESS, {"tool_call_id": "call_abc", **NAME, "arguments": ARGS}),
        (STOPPED, {"tool_call_id": "call_abc", "cancelled": False, **NAME, "result": RESULT}),
        (STOPPED, {"tool_call_id": "call_abc", "cancelled": True, **NAME}),
    ],
}


@pytest.mark.parametrize("level", list(MATRIX))
def test_report_level_matrix(level: str) -> None:
    o = RtviObserver(ObserverParams(function_call_report_level={"*": level}))
    assert data(lifecycle(o)) == MATRIX[level]


def test_default_level_is_none() -> None:
    assert data(lifecycle(RtviObserver())) == MATRIX["none"]


@pytest.mark.parametrize("level", list(MATRIX))
def test_per_function_override_beats_the_default(level: str) -> None:
    default = "disabled" if level != "disabled" else "full"
    o = RtviObserver(
        ObserverParams(function_call_report_level={"*": default, "get_weather": level})
    )
    assert data(lifecycle(o)) == MATRIX[level]
    other = lifecycle(o, "get_time")
    assert (other == []) == (default == "disabled")


def test_missing_star_falls_back_to_none() -> None:
    o = RtviObserver(ObserverParams(function_call_report_level={"get_time": "full"}))
    assert data(lifecycle(o)) == MATRIX["none"]


def test_catalog_examples_at_full() -> None:
    o = RtviObserver(ObserverParams(function_call_report_level={"*": "full"}))
    out = [encode(x) for e in (requested(), finished()) for x in o.observe(e)]
    assert out == [
        {"label": "rtvi-ai", "type": STARTED, "data": {"function_name": "get_weather"}},
        {
            "label": "rtvi-ai",
            "type": PROGRESS,
            "data": {"tool_call_id": "call_abc", "function_name": "get_weather", "arguments": ARGS},
        },
        {
            "label": "rtvi-ai",
            "type": STOPPED,
            "data": {
                "tool_call_id": "call_abc",
                "cancelled": False,
                "function_name": "get_weather",
                "result": RESULT,
            },
        },
    ]


def test_falsy_result_is_not_sent_at_full() -> None:
    o = RtviObserver(ObserverParams(function_call_report_level={"*": "full"}))
    (msg,) = o.observe(finished(result={}))
    assert "result" not in encode(msg)["data"]


def test_report_level_raised_at_runtime() -> None:
    o = RtviObserver()
    assert data([encode(x) for x in o.observe(requested())])[0] == (STARTED, {})
    o.observe(v.ObserverConfigure(changes={"function_call_report_level": {"*": "full"}}))
    assert data([encode(x) for x in o.observe(requested())])[0] == (STARTED, NAME)
    o.observe(v.ObserverConfigure(changes={"function_call_report_level": None}))
    assert o.params.report_levels.level_for("anything").value == "full"
