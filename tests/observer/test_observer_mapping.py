"""RtviObserver (pure): one event in, the catalog's messages out, each flag on and off."""

from __future__ import annotations

import json

import pytest

from actors.observer import OBSERVED, ObserverParams, RtviObserver
from rtvi_actors import messages as m
from rtvi_actors import voice as v
from rtvi_actors.protocol import encode

TS = "2026-08-21T10:00:00.123+00:00"


def observer(**params) -> RtviObserver:
    return RtviObserver(ObserverParams(**params), now_iso=lambda: TS)


def wire(messages) -> list[dict]:
    return [encode(msg) for msg in messages]


def types(messages) -> list[str]:
    return [encode(msg)["type"] for msg in messages]


def catalog(*lines: str) -> list[dict]:
    return [json.loads(line) for line in lines]


# --- every flag, on and off -------------------------------------------------------------------

FLAGGED = [
    ("user_speaking_enabled", m.UserStartedSpeaking(at=0), ["user-started-speaking"]),
    ("user_speaking_enabled", m.UserStoppedSpeaking(at=0), ["user-stopped-speaking"]),
    ("vad_user_speaking_enabled", v.VadStarted(at=0), ["vad-user-started-speaking"]),
    ("vad_user_speaking_enabled", v.VadStopped(at=0), ["vad-user-stopped-speaking"]),
    ("user_input_enabled", m.Transcript(text="hi"), ["user-input"]),
    ("stt_raw_text_enabled", m.Transcript(text="hi"), ["stt-raw-text"]),
    ("user_transcription_enabled", m.Transcript(text="hi"), ["user-transcription"]),
    ("user_llm_enabled", v.UserTurn(text="hi", at=0), ["user-llm-text"]),
    ("bot_llm_enabled", v.LlmStarted(epoch=0, at=0), ["bot-llm-started"]),
    ("bot_llm_enabled", v.LlmText(epoch=0, text="a"), ["bot-llm-text"]),
    ("llm_raw_text_enabled", v.LlmText(epoch=0, text="a"), ["llm-raw-text"]),
    ("bot_llm_enabled", v.LlmStopped(epoch=0, text="", at=0), ["bot-llm-stopped"]),
    ("bot_tts_enabled", v.TtsStarted(epoch=0, at=0), ["bot-tts-started"]),
    ("bot_tts_enabled", v.TtsStopped(epoch=0, at=0), ["bot-tts-stopped"]),
    ("bot_speaking_enabled", m.BotStartedSpeaking(epoch=0, at=0), ["bot-started-speaking"]),
    ("bot_speaking_enabled", m.BotStoppedSpeaking(epoch=0, at=0), ["bot-stopped-speaking"]),
    ("bot_speaking_enabled", m.Interrupted(new_epoch=1, reason="x", at=0), ["bot-interrupted"]),
    (
        "user_audio_level_enabled",
        v.AudioLevel(source="user", level=0.5, at=0),
        ["user-audio-level"],
    ),
    ("bot_audio_level_enabled", v.AudioLevel(source="bot", level=0.5, at=0), ["bot-audio-level"]),
    ("metrics_enabled", m.Metric(name="ttfb", processor="p", value=1, at=0), ["metrics"]),
    (
        "metrics_enabled",
        v.LlmUsage(processor="p", model=None, prompt_tokens=1, completion_tokens=1, at=0),
        ["metrics"],
    ),
    ("metrics_enabled", v.TtsUsage(processor="p", model=None, characters=3, at=0), ["metrics"]),
    ("metrics_enabled", v.SttUsage(processor="p", model=None, seconds=1.0, at=0), ["metrics"]),
]
ALL_OFF = {
    name: False
    for name in {flag for flag, _, _ in FLAGGED}
    | {"user_input_enabled", "user_transcription_enabled", "bot_llm_enabled"}
}


@pytest.mark.parametrize(("flag", "event", "expected"), FLAGGED)
def test_flag_on_sends_and_flag_off_does_not(flag, event, expected) -> None:
    on = observer(**{**ALL_OFF, flag: True})
    assert types(on.observe(event)) == expected
    off = observer(**ALL_OFF)
    assert off.observe(event) == []


def test_defaults_send_speaking_and_text_but_not_vad_levels_or_raw_text() -> None:
    o = observer()
    assert o.observe(v.VadStarted(at=0)) == []
    assert o.observe(v.AudioLevel(source="user", level=0.5, at=0)) == []
    assert o.observe(v.AudioLevel(source="bot", level=0.5, at=0)) == []
    assert types(o.observe(v.LlmText(epoch=0, text="a"))) == ["bot-llm-text"]
    assert types(o.observe(m.Transcript(text="a"))) == ["user-input", "user-transcription"]


def test_unknown_event_types_are_rejected() -> None:
    with pytest.raises(TypeError, match="does not observe TextIn"):
        observer().observe(m.TextIn(text="x"))


def test_observed_covers_every_event_of_the_brief() -> None:
    assert len(set(OBSERVED)) == len(OBSERVED) == 29
    assert v.ObserverConfigure in OBSERVED


# --- user side --------------------------------------------------------------------------------


def test_transcript_order_and_catalog_shapes() -> None:
    calls = []

    def clock() -> str:
        calls.append(1)
        return "2026-11-23T05:30:35.101+00:00"

    o = RtviObserver(ObserverParams(stt_raw_text_enabled=True), now_iso=clock)
    out = o.observe(m.Transcript(text="hel", final=False, at=3.0))
    assert wire(out) == catalog(
        '{"label":"rtvi-ai","type":"user-input","data":{"text":"hel","input_type":"transcription","timestamp":"2026-11-23T05:30:35.101+00:00","final":false,"user_id":""}}',
        '{"label":"rtvi-ai","type":"stt-raw-text","data":{"text":"hel","user_id":"","timestamp":"2026-11-23T05:30:35.101+00:00","final":false}}',
        '{"label":"rtvi-ai","type":"user-transcription","data":{"text":"hel","user_id":"","timestamp":"2026-11-23T05:30:35.101+00:00","final":false}}',
    )
    assert calls == [1]  # one timestamp for the three messages


def test_final_transcript_matches_the_catalog_example() -> None:
    out = observer(user_input_enabled=False).observe(m.Transcript(text="what's the weather"))
    assert wire(out) == catalog(
        '{"label":"rtvi-ai","type":"user-transcription","data":{"text":"what\'s the weather","user_id":"","timestamp":"2026-08-21T10:00:00.123+00:00","final":true}}'  # noqa: E501
    )


def test_no_clock_read_when_nothing_is_sent() -> None:
    def clock() -> str:
        raise AssertionError("clock read")

    o = RtviObserver(
        ObserverParams(user_input_enabled=False, user_transcription_enabled=False), now_iso=clock
    )
    assert o.observe(m.Transcript(text="x")) == []


def test_user_turn_is_user_llm_text() -> None:
    assert wire(observer().observe(v.UserTurn(text="what's the weather", at=1))) == catalog(
        '{"label":"rtvi-ai","type":"user-llm-text","data":{"text":"what\'s the weather"}}'
    )


def test_user_speaking_catalog_shapes() -> None:
    o = observer(vad_user_speaking_enabled=True)
    out = [*o.observe(m.UserStartedSpeaking(at=0)), *o.observe(v.VadStopped(at=0))]
    assert wire(out) == catalog(
        '{"label":"rtvi-ai","type":"user-started-speaking"}',
        '{"label":"rtvi-ai","type":"vad-user-stopped-speaking"}',
    )


# --- LLM and TTS ------------------------------------------------------------------------------


def test_llm_stream_with_raw_text_and_bot_transcription() -> None:
    o = observer(llm_raw_text_enabled=True)
    out = o.observe(v.LlmStarted(epoch=0, at=0))
    out += o.observe(v.LlmText(epoch=0, text=" It's"))
    out += o.observe(v.LlmText(epoch=0, text=" sunny today."))
    out += o.observe(v.LlmText(epoch=0, text=" Bye"))
    out += o.observe(v.LlmStopped(epoch=0, text="", at=1))
    assert wire(out) == catalog(
        '{"label":"rtvi-ai","type":"bot-llm-started"}',
        '{"label":"rtvi-ai","type":"llm-raw-text","data":{"text":" It\'s"}}',
        '{"label":"rtvi-ai","type":"bot-llm-text","data":{"text":" It\'s"}}',
        '{"label":"rtvi-ai","type":"llm-raw-text","data":{"text":" sunny today."}}',
        '{"label":"rtvi-ai","type":"bot-llm-text","data":{"text":" sunny today."}}',
        '{"label":"rtvi-ai","type":"bot-transcription","data":{"text":"It\'s sunny today."}}',
        '{"label":"rtvi-ai","type":"llm-raw-text","data":{"text":" Bye"}}',
        '{"label":"rtvi-ai","type":"bot-llm-text","data":{"text":" Bye"}}',
        '{"label":"rtvi-ai","type":"bot-transcription","data":{"text":"Bye"}}',
        '{"label":"rtvi-ai","type":"bot-llm-stopped"}',
    )


def test_llm_raw_text_works_with_bot_llm_disabled() -> None:
    o = observer(bot_llm_enabled=False, llm_raw_text_enabled=True)
    out = [
        *o.observe(v.LlmStarted(epoch=0, at=0)),
        *o.observe(v.LlmText(epoch=0, text="Hi.")),
        *o.observe(v.LlmStopped(epoch=0, text="Hi.", at=0)),
    ]
    assert types(out) == ["llm-raw-text"]


def test_tts_started_stopped() -> None:
    o = observer()
    out = [*o.observe(v.TtsStarted(epoch=0, at=0)), *o.observe(v.TtsStopped(epoch=0, at=1))]
    assert wire(out) == catalog(
        '{"label":"rtvi-ai","type":"bot-tts-started"}',
        '{"label":"rtvi-ai","type":"bot-tts-stopped"}',
    )


# --- errors, metrics, audio levels, logs ------------------------------------------------------


def test_errors_are_always_sent() -> None:
    o = observer(**ALL_OFF)
    restarted = o.observe(m.StageRestarted(stage="llm", error="LLM stage restarted", at=0))
    failed = o.observe(m.StageFailed(stage="tts", error="TTS unavailable", fatal=True, at=0))
    soft = o.observe(m.StageFailed(stage="tts", error="TTS unavailable", fatal=False, at=0))
    assert wire([*restarted, *failed, *soft]) == catalog(
        '{"label":"rtvi-ai","type":"error","data":{"error":"LLM stage restarted","fatal":false}}',
        '{"label":"rtvi-ai","type":"error","data":{"error":"TTS unavailable","fatal":true}}',
        '{"label":"rtvi-ai","type":"error","data":{"error":"TTS unavailable","fatal":false}}',
    )


def test_metrics_keys() -> None:
    o = observer()
    out = o.observe(
        m.Metric(name="ttfb", processor="OpenAILLMService#0", value=0.41, at=0, model="gpt-4o")
    )
    out += o.observe(m.Metric(name="processing", processor="tts", value=0.2, at=0))
    out += o.observe(
        v.LlmUsage(processor="llm", model="m", prompt_tokens=120, completion_tokens=18, at=0)
    )
    out += o.observe(v.TtsUsage(processor="tts", model=None, characters=42, at=0))
    out += o.observe(v.SttUsage(processor="stt", model="w", seconds=1.5, at=0))
    assert wire(out) == catalog(
        '{"label":"rtvi-ai","type":"metrics","data":{"ttfb":[{"processor":"OpenAILLMService#0","value":0.41,"model":"gpt-4o"}]}}',
        '{"label":"rtvi-ai","type":"metrics","data":{"processing":[{"processor":"tts","value":0.2}]}}',
        '{"label":"rtvi-ai","type":"metrics","data":{"tokens":[{"prompt_tokens":120,"completion_tokens":18,"total_tokens":138}]}}',
        '{"label":"rtvi-ai","type":"metrics","data":{"characters":[{"processor":"tts","value":42}]}}',
        '{"label":"rtvi-ai","type":"metrics","data":{"stt_usage":[{"processor":"stt","value":{"audio_seconds":1.5},"model":"w"}]}}',
    )


def test_metrics_without_an_rtvi_key_send_nothing() -> None:
    assert observer().observe(m.Metric(name="turn", processor="p", value=1.0, at=0)) == []


def test_audio_levels_are_throttled_per_direction() -> None:
    o = observer(user_audio_level_enabled=True, bot_audio_level_enabled=True)
    sent = []
    for i in range(10):  # every 50 ms, both directions
        for source in ("user", "bot"):
            for msg in o.observe(v.AudioLevel(source=source, level=0.4, at=i * 0.05)):
                sent.append((encode(msg)["type"], round(i * 0.05, 2)))
    assert sent == [
        ("user-audio-level", 0.0), ("bot-audio-level", 0.0),
        ("user-audio-level", 0.15), ("bot-audio-level", 0.15),
        ("user-audio-level", 0.3), ("bot-audio-level", 0.3),
        ("user-audio-level", 0.45), ("bot-audio-level", 0.45),
    ]  # fmt: skip


def test_audio_level_values_are_clamped_and_unknown_sources_ignored() -> None:
    o = observer(user_audio_level_enabled=True, audio_level_period_secs=0)
    assert wire(o.observe(v.AudioLevel(source="user", level=1.7, at=0))) == catalog(
        '{"label":"rtvi-ai","type":"user-audio-level","data":{"value":1.0}}'
    )
    assert encode(o.observe(v.AudioLevel(source="user", level=-1, at=0))[0])["data"] == {
        "value": 0.0
    }
    assert o.observe(v.AudioLevel(source="robot", level=0.5, at=0)) == []


def test_disabled_direction_does_not_consume_the_period() -> None:
    o = observer()
    assert o.observe(v.AudioLevel(source="user", level=0.4, at=0.0)) == []
    o.configure(user_audio_level_enabled=True)
    assert types(o.observe(v.AudioLevel(source="user", level=0.4, at=0.01))) == ["user-audio-level"]


def test_system_logs_are_opt_in() -> None:
    assert observer().observe_log("info", "x") == []
    out = observer(system_logs_enabled=True).observe_log("info", "session.started")
    assert wire(out) == catalog(
        '{"label":"rtvi-ai","type":"system-log","data":{"text":"INFO | session.started"}}'
    )


# --- runtime reconfiguration ------------------------------------------------------------------


def test_configure_event_changes_params_and_none_leaves_them() -> None:
    o = observer()
    assert o.observe(v.ObserverConfigure(changes={"vad_user_speaking_enabled": True})) == []
    assert types(o.observe(v.VadStarted(at=0))) == ["vad-user-started-speaking"]
    o.observe(v.ObserverConfigure(changes={"vad_user_speaking_enabled": None}))
    assert o.params.vad_user_speaking_enabled is True
    o.configure(metrics_enabled=False, bot_llm_enabled=None)
    assert o.observe(m.Metric(name="ttfb", processor="p", value=1, at=0)) == []
    assert o.params.bot_llm_enabled is True


def test_bad_configure_changes_nothing() -> None:
    o = observer()
    before = o.params
    with pytest.raises(TypeError, match="unknown observer parameter"):
        o.configure(metrics_enabled=False, nonsense=True)
    with pytest.raises(ValueError):
        o.configure(metrics_enabled=False, function_call_report_level={"*": "loud"})
    assert o.params is before


def test_turn_ttfa_becomes_a_ttfa_metric() -> None:
    out = observer().observe(
        v.Ttfa(processor="turn", model=None, ttfa=1.25, ttfb=0.5, leading_silence=0.0, at=3.0)
    )
    assert [encode(x) for x in out] == [
        {
            "label": "rtvi-ai",
            "type": "metrics",
            "data": {
                "ttfa": [{"processor": "turn", "ttfa": 1.25, "ttfb": 0.5, "leading_silence": 0.0}]
            },
        }
    ]
