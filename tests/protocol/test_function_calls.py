"""The report-level matrix: 5 levels x 3 messages, per-function overrides beat "*"."""

import pytest

from rtvi_actors.protocol import (
    FunctionCallReportLevel,
    ReportLevels,
    encode,
    function_call_in_progress,
    function_call_started,
    function_call_stopped,
)

ARGS = {"city": "Paris"}
RESULT = {"temp_c": 21}


def data(message: object) -> dict | None:
    return None if message is None else encode(message).get("data")


@pytest.mark.parametrize(
    ("level", "started", "in_progress", "stopped"),
    [
        ("disabled", None, None, None),
        ("none", {}, {"tool_call_id": "c1"}, {"tool_call_id": "c1", "cancelled": False}),
        (
            "name",
            {"function_name": "get_weather"},
            {"tool_call_id": "c1", "function_name": "get_weather"},
            {"tool_call_id": "c1", "cancelled": False, "function_name": "get_weather"},
        ),
        (
            "arguments",
            {"function_name": "get_weather"},
            {"tool_call_id": "c1", "function_name": "get_weather", "arguments": ARGS},
            {"tool_call_id": "c1", "cancelled": False, "function_name": "get_weather"},
        ),
        (
            "full",
            {"function_name": "get_weather"},
            {"tool_call_id": "c1", "function_name": "get_weather", "arguments": ARGS},
            {
                "tool_call_id": "c1",
                "cancelled": False,
                "function_name": "get_weather",
                "result": RESULT,
            },
        ),
    ],
)
def test_report_level_matrix(level: str, started: dict, in_progress: dict, stopped: dict) -> None:
    levels = ReportLevels(levels={"*": level})
    assert data(function_call_started(levels, "get_weather")) == started
    assert data(function_call_in_progress(levels, "get_weather", "c1", ARGS)) == in_progress
    assert (
        data(function_call_stopped(levels, "get_weather", "c1", cancelled=False, result=RESULT))
        == stopped
    )


def test_full_omits_falsy_and_cancelled_results() -> None:
    levels = ReportLevels(levels={"*": FunctionCallReportLevel.FULL})
    assert "result" not in data(function_call_stopped(levels, "f", "c", cancelled=False, result={}))
    assert data(function_call_stopped(levels, "f", "c", cancelled=True, result=RESULT)) == {
        "tool_call_id": "c",
        "cancelled": True,
        "function_name": "f",
    }


def test_intermediate_results_send_nothing() -> None:
    levels = ReportLevels(levels={"*": "full"})
    assert (
        function_call_stopped(levels, "f", "c", cancelled=False, result=1, is_final=False) is None
    )


def test_per_function_overrides_beat_the_default() -> None:
    levels = ReportLevels(levels={"*": "none", "get_weather": "full", "secret": "disabled"})
    assert levels.level_for("get_weather") is FunctionCallReportLevel.FULL
    assert levels.level_for("other") is FunctionCallReportLevel.NONE
    assert function_call_started(levels, "secret") is None
    assert data(function_call_started(levels, "get_weather")) == {"function_name": "get_weather"}
    assert data(function_call_started(levels, "other")) == {}


def test_defaults_and_missing_star() -> None:
    assert ReportLevels().level_for("x") is FunctionCallReportLevel.NONE
    assert ReportLevels(levels={"f": "name"}).level_for("g") is FunctionCallReportLevel.NONE
    with pytest.raises(ValueError):
        ReportLevels(levels={"*": "everything"})
