"""ObserverParams: defaults, aliases, transform registration, report levels, evolve."""

from __future__ import annotations

import re
import warnings

import attrs
import pytest

from actors.observer import BotOutputTransformResult, ObserverParams, OutputTransform, utc_now_iso
from rtvi_actors.protocol import FunctionCallReportLevel as Level

DEFAULTS = {
    "bot_output_enabled": True,
    "bot_llm_enabled": True,
    "bot_tts_enabled": True,
    "bot_speaking_enabled": True,
    "bot_audio_level_enabled": False,
    "user_llm_enabled": True,
    "user_speaking_enabled": True,
    "vad_user_speaking_enabled": False,
    "user_mute_enabled": True,
    "user_transcription_enabled": True,
    "user_input_enabled": True,
    "user_audio_level_enabled": False,
    "metrics_enabled": True,
    "system_logs_enabled": False,
    "stt_raw_text_enabled": False,
    "llm_raw_text_enabled": False,
    "tts_raw_text_enabled": False,
    "bot_llm_marker_enabled": False,
    "skip_text_types": None,
    "skip_aggregator_types": None,
    "bot_output_transforms": (),
    "audio_level_period_secs": 0.15,
    "function_call_report_level": {"*": Level.NONE},
}


def modern(text, text_type, accumulated=None, remaining=None):
    return text


def test_every_parameter_and_default() -> None:
    p = ObserverParams()
    assert attrs.asdict(p, recurse=False) == DEFAULTS


def test_flags_are_checked() -> None:
    with pytest.raises(TypeError):
        ObserverParams(bot_llm_enabled="no")  # type: ignore[arg-type]


def test_skip_aggregator_types_is_a_deprecated_alias() -> None:
    with pytest.warns(DeprecationWarning, match="skip_text_types"):
        p = ObserverParams(skip_aggregator_types=["code"])
    assert p.skip_text_types == frozenset({"code"})
    assert p.skips("code")
    assert not p.skips("sentence")


def test_skip_text_types_wins_over_the_alias() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = ObserverParams(skip_text_types=["a"], skip_aggregator_types=["b"])
    assert p.skip_text_types == frozenset({"a"})


def test_one_string_is_not_a_list_of_types() -> None:
    with pytest.raises(TypeError):
        ObserverParams(skip_text_types="code")  # type: ignore[arg-type]


def test_legacy_two_argument_transform_warns_when_registered() -> None:
    with pytest.warns(DeprecationWarning, match="2-argument"):
        p = ObserverParams(bot_output_transforms=[("*", lambda text, agg: text.upper())])
    (t,) = p.bot_output_transforms
    assert t.legacy and t.text_type == "*"


def test_progress_aware_transform_does_not_warn() -> None:
    async def amodern(text, text_type, accumulated, remaining):
        return BotOutputTransformResult(text=text)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = ObserverParams(bot_output_transforms=[("code", modern), ("*", amodern)])
    assert [t.legacy for t in p.bot_output_transforms] == [False, False]
    assert p.bot_output_transforms[0].applies_to("code")
    assert not p.bot_output_transforms[0].applies_to("sentence")
    assert p.bot_output_transforms[1].applies_to("anything")


def test_registered_transforms_do_not_warn_again_on_evolve() -> None:
    with pytest.warns(DeprecationWarning, match="deprecated"):
        p = ObserverParams(bot_output_transforms=[("*", lambda t, a: t)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        q = p.evolve(bot_llm_enabled=False)
    assert q.bot_output_transforms == p.bot_output_transforms


@pytest.mark.parametrize("entry", [("*",), ("*", "not callable"), (3, modern), "x"])
def test_bad_transform_entries(entry) -> None:
    with pytest.raises(TypeError):
        ObserverParams(bot_output_transforms=[entry])


def test_output_transform_instances_pass_through() -> None:
    t = OutputTransform(text_type="*", fn=modern, legacy=False)
    assert ObserverParams(bot_output_transforms=[t]).bot_output_transforms == (t,)


def test_report_levels_accept_strings_and_enums() -> None:
    p = ObserverParams(function_call_report_level={"*": "name", "get_weather": Level.FULL})
    assert p.function_call_report_level == {"*": Level.NAME, "get_weather": Level.FULL}
    assert p.report_levels.level_for("get_weather") is Level.FULL
    assert p.report_levels.level_for("other") is Level.NAME
    assert ObserverParams(function_call_report_level={}).report_levels.level_for("x") is Level.NONE


def test_unknown_report_level_is_rejected() -> None:
    with pytest.raises(ValueError):
        ObserverParams(function_call_report_level={"*": "everything"})


def test_evolve_leaves_none_alone() -> None:
    p = ObserverParams(vad_user_speaking_enabled=True)
    assert p.evolve(vad_user_speaking_enabled=None, function_call_report_level=None) == p
    assert p.evolve(vad_user_speaking_enabled=False).vad_user_speaking_enabled is False


def test_evolve_rejects_unknown_names_clearly() -> None:
    with pytest.raises(TypeError, match=r"unknown observer parameter\(s\) colour, errors_enabled"):
        ObserverParams().evolve(colour=1, errors_enabled=True, metrics_enabled=False)


def test_evolve_alias_warns_and_sets_skip_text_types() -> None:
    with pytest.warns(DeprecationWarning, match="deprecated"):
        p = ObserverParams().evolve(skip_aggregator_types=["code"])
    assert p.skip_text_types == frozenset({"code"})


def test_negative_period_is_rejected() -> None:
    with pytest.raises(ValueError):
        ObserverParams(audio_level_period_secs=-1)


def test_utc_now_iso_has_milliseconds_and_utc_offset() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", utc_now_iso())


def test_utc_now_iso_matches_datetime_across_second_and_day_boundaries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import UTC, datetime

    import actors.observer_params as op

    for ms in (
        1_795_000_000_999,
        1_795_000_001_000,
        1_795_000_001_007,
        1_795_046_399_999,
        1_795_046_400_000,
        1_795_046_400_000,
    ):  # the last twice: served from the cache
        monkeypatch.setattr(op.time, "time_ns", lambda ms=ms: ms * 1_000_000 + 123)
        expected = datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")
        assert op.utc_now_iso() == expected
