"""bot-output sequencing: queue until speaking, ids, unspoken text, skips, transforms, epochs."""

from __future__ import annotations

import json

import pytest

from actors.observer import BotOutputTransformResult, ObserverParams, RtviObserver
from rtvi_actors import messages as m
from rtvi_actors import voice as v
from rtvi_actors.protocol import encode

SENTENCE = "Hello from the reference bot."


def observer(**params) -> RtviObserver:
    return RtviObserver(ObserverParams(**params), now_iso=lambda: "t")


def seg(status: str, sid: str = "s1", text: str = SENTENCE, epoch: int = 0) -> v.BotSegment:
    return v.BotSegment(epoch=epoch, segment_id=sid, text=text, status=status, at=0.0)


def started(epoch: int = 0) -> m.BotStartedSpeaking:
    return m.BotStartedSpeaking(epoch=epoch, at=0.0)


def stopped(epoch: int = 0) -> m.BotStoppedSpeaking:
    return m.BotStoppedSpeaking(epoch=epoch, at=0.0)


def run(o: RtviObserver, *events) -> list[dict]:
    return [encode(msg) for e in events for msg in o.observe(e)]


def summary(envelopes: list[dict]) -> list[tuple]:
    """(type, status, segment_id, text) per message."""
    out = []
    for env in envelopes:
        data = env.get("data", {})
        out.append(
            (env["type"], data.get("spoken_status"), data.get("segment_id"), data.get("text"))
        )
    return out


def test_new_waits_for_bot_started_speaking_and_follows_it() -> None:
    o = observer()
    assert run(o, seg("new")) == []
    assert o.queued == 1
    out = run(o, started())
    assert summary(out) == [
        ("bot-started-speaking", None, None, None),
        ("bot-output", "new", 1, SENTENCE),
    ]
    assert o.queued == 0


def test_sentence_matches_the_2_2_capture_except_its_id() -> None:
    o = observer()
    out = run(o, started(), seg("new"), seg("completed"))
    expected = [
        json.loads(line)
        for line in (
            '{"label":"rtvi-ai","type":"bot-started-speaking"}',
            '{"label":"rtvi-ai","type":"bot-output","data":{"text":"Hello from the reference bot.","output_type":"sentence","text_type":"sentence","aggregated_by":"sentence","segment_id":440,"spoken":false,"will_be_spoken":true,"spoken_status":"new","spoken_progress":{"accumulated_text":"","remaining_text":"Hello from the reference bot."}}}',  # noqa: E501
            '{"label":"rtvi-ai","type":"bot-output","data":{"text":"Hello from the reference bot.","output_type":"sentence","text_type":"sentence","aggregated_by":"sentence","segment_id":440,"spoken":true,"will_be_spoken":true,"spoken_status":"completed","spoken_progress":{"accumulated_text":"Hello from the reference bot.","remaining_text":""}}}',  # noqa: E501
            '{"label":"rtvi-ai","type":"bot-tts-text","data":{"text":"Hello from the reference bot."}}',  # noqa: E501
        )
    ]
    for env in expected[1:3]:
        env["data"]["segment_id"] = 1
    assert out == expected


def test_segment_ids_are_stable_per_segment_and_distinct_across_segments() -> None:
    o = observer()
    out = run(
        o, started(), seg("new", "a", "One."), seg("completed", "a", "One."),
        seg("new", "b", "Two."), seg("completed", "b", "Two."), stopped(),
        started(), seg("new", "a", "Three."), seg("completed", "a", "Three."),
    )  # fmt: skip
    ids = [(d["data"]["text"], d["data"]["segment_id"]) for d in out if d["type"] == "bot-output"]
    assert ids == [("One.", 1), ("One.", 1), ("Two.", 2), ("Two.", 2), ("Three.", 3), ("Three.", 3)]


def test_completed_sends_raw_text_then_tts_text() -> None:
    o = observer(tts_raw_text_enabled=True)
    out = run(o, started(), seg("new"), seg("completed"))
    assert [e["type"] for e in out] == [
        "bot-started-speaking", "bot-output", "bot-output", "tts-raw-text", "bot-tts-text",
    ]  # fmt: skip


def test_unspoken_text_goes_out_at_once() -> None:
    o = observer()
    out = run(o, seg("unspoken", "u", "print(1)"))
    assert out == [
        {
            "label": "rtvi-ai",
            "type": "bot-output",
            "data": {
                "text": "print(1)",
                "output_type": "sentence",
                "text_type": "sentence",
                "aggregated_by": "sentence",
                "segment_id": 1,
                "spoken": False,
                "will_be_spoken": False,
                "spoken_status": "new",
            },
        }
    ]
    assert o.queued == 0


def test_unspoken_text_keeps_its_place_behind_queued_speech() -> None:
    o = observer()
    assert run(o, seg("new", "a", "Spoken."), seg("unspoken", "b", "Shown.")) == []
    out = run(o, started())
    assert summary(out) == [
        ("bot-started-speaking", None, None, None),
        ("bot-output", "new", 1, "Spoken."),
        ("bot-output", "new", 2, "Shown."),
    ]
    assert out[2]["data"]["will_be_spoken"] is False


def test_no_stall_when_bot_speaking_messages_are_disabled() -> None:
    o = observer(bot_speaking_enabled=False)
    assert run(o, seg("new")) == []
    assert summary(run(o, started())) == [("bot-output", "new", 1, SENTENCE)]
    assert [e["type"] for e in run(o, seg("completed"), stopped())] == [
        "bot-output",
        "bot-tts-text",
    ]


def test_completed_releases_a_segment_whose_start_was_missed() -> None:
    o = observer()
    run(o, seg("new", "a", "A."), seg("new", "b", "B."))
    out = run(o, seg("completed", "a", "A."))
    assert summary(out) == [
        ("bot-output", "new", 1, "A."),
        ("bot-output", "completed", 1, "A."),
        ("bot-tts-text", None, None, "A."),
    ]
    assert o.queued == 1  # B. still waits for speech


def test_bot_stopped_speaking_releases_leftovers_before_itself() -> None:
    o = observer()
    run(o, seg("new"))
    assert summary(run(o, stopped())) == [
        ("bot-output", "new", 1, SENTENCE),
        ("bot-stopped-speaking", None, None, None),
    ]


def test_interruption_drops_queued_output_of_stale_epochs() -> None:
    o = observer()
    run(o, seg("new", "a", "Old.", epoch=0))
    out = run(o, m.Interrupted(new_epoch=1, reason="barge-in", at=1.0))
    assert [e["type"] for e in out] == ["bot-interrupted"]
    assert o.queued == 0
    # late events of the cut response are ignored, the new response flows
    assert (
        run(o, seg("completed", "a", "Old.", epoch=0), started(0), seg("new", "x", epoch=0)) == []
    )
    out = run(o, seg("new", "a", "New.", epoch=1), started(1))
    assert summary(out) == [
        ("bot-started-speaking", None, None, None),
        ("bot-output", "new", 2, "New."),
    ]


def test_newer_epoch_keeps_its_own_queued_items() -> None:
    o = observer()
    run(o, seg("new", "a", "Old.", epoch=0), seg("new", "b", "New.", epoch=1))
    assert o.queued == 2
    out = run(o, started(1))
    assert summary(out)[1:] == [("bot-output", "new", 2, "New.")]
    assert o.queued == 0


def test_interruption_closes_what_the_cut_response_left_open() -> None:
    o = observer()
    run(o, v.LlmStarted(epoch=0, at=0), v.TtsStarted(epoch=0, at=0), started(0))
    out = run(o, m.Interrupted(new_epoch=1, reason="barge-in", at=1))
    assert [e["type"] for e in out] == [
        "bot-interrupted", "bot-stopped-speaking", "bot-tts-stopped", "bot-llm-stopped",
    ]  # fmt: skip
    # the real stop events of the cut response come late (stale): nothing twice
    late = [stopped(0), v.TtsStopped(epoch=0, at=1), v.LlmStopped(epoch=0, text="", at=1)]
    assert run(o, *late) == []


def test_interruption_of_an_idle_bot_sends_only_bot_interrupted() -> None:
    o = observer()
    run(o, started(0), seg("new"), seg("completed"), stopped(0))
    assert [e["type"] for e in run(o, m.Interrupted(new_epoch=1, reason="x", at=0))] == [
        "bot-interrupted"
    ]


def test_bot_interrupted_follows_bot_speaking_enabled() -> None:
    o = observer(bot_speaking_enabled=False)
    run(o, started(0))
    assert run(o, m.Interrupted(new_epoch=1, reason="x", at=0)) == []


def test_skip_types_drop_output_tts_text_and_raw_text() -> None:
    o = observer(skip_text_types=["sentence"], tts_raw_text_enabled=True)
    assert run(o, started(), seg("new"), seg("completed"), seg("unspoken", "u")) == [
        {"label": "rtvi-ai", "type": "bot-started-speaking"}
    ]


def test_skip_via_the_deprecated_alias() -> None:
    with pytest.warns(DeprecationWarning, match="deprecated"):
        o = observer(skip_aggregator_types=["sentence"])
    assert [e["type"] for e in run(o, started(), seg("new"), seg("completed"))] == [
        "bot-started-speaking"
    ]


def test_bot_output_disabled_keeps_tts_text() -> None:
    o = observer(bot_output_enabled=False)
    assert [e["type"] for e in run(o, started(), seg("new"), seg("completed"))] == [
        "bot-started-speaking",
        "bot-tts-text",
    ]


def test_bot_tts_disabled_keeps_bot_output() -> None:
    o = observer(bot_tts_enabled=False)
    out = run(o, started(), seg("new"), seg("completed"))
    assert [e["type"] for e in out] == ["bot-started-speaking", "bot-output", "bot-output"]


# --- transforms -------------------------------------------------------------------------------


def test_transforms_chain_in_order_for_matching_types() -> None:
    calls = []

    def shout(text, text_type, accumulated, remaining):
        calls.append((text, text_type, accumulated, remaining))
        return text.upper()

    def exclaim(text, text_type, accumulated=None, remaining=None):
        return BotOutputTransformResult(text=text.rstrip(".") + "!")

    def never(text, text_type, accumulated, remaining):
        raise AssertionError("wrong type")

    o = observer(bot_output_transforms=[("*", shout), ("code", never), ("sentence", exclaim)])
    out = run(o, started(), seg("new", text="Hi."), seg("completed", text="Hi."))
    assert [e["data"]["text"] for e in out[1:]] == ["HI!", "HI!", "HI!"]
    assert out[1]["data"]["spoken_progress"] == {"accumulated_text": "", "remaining_text": "HI!"}
    assert calls == [("Hi.", "sentence", None, None)]  # once per segment, whole-segment call


def test_legacy_two_argument_transform_warns_and_works() -> None:
    with pytest.warns(DeprecationWarning, match="deprecated"):
        o = observer(bot_output_transforms=[("*", lambda text, agg: f"[{agg}] {text}")])
    out = run(o, seg("unspoken", text="x"))
    assert out[0]["data"]["text"] == "[sentence] x"


def test_falsy_transform_result_keeps_the_text() -> None:
    o = observer(bot_output_transforms=[("*", lambda t, a, acc, rem: "")])
    assert run(o, seg("unspoken", text="kept"))[0]["data"]["text"] == "kept"


def test_transform_returning_a_non_string_is_an_error() -> None:
    o = observer(bot_output_transforms=[("*", lambda t, a, acc, rem: 42)])
    with pytest.raises(TypeError, match="returned int"):
        o.observe(seg("unspoken"))


def test_async_transform_needs_aobserve() -> None:
    async def redact(text, text_type, accumulated, remaining):
        return "XXXX-XXXX-XXXX-" + text[-4:]

    o = observer(bot_output_transforms=[("*", redact)])
    with pytest.raises(TypeError, match="aobserve"):
        o.observe(seg("unspoken", text="4111111111111234"))


async def test_async_transform_with_aobserve() -> None:
    async def redact(text, text_type, accumulated, remaining):
        return BotOutputTransformResult(text="XXXX-XXXX-XXXX-" + text[-4:])

    o = observer(bot_output_transforms=[("*", redact)])
    assert await o.aobserve(seg("new", text="4111111111111234")) == []
    out = [encode(x) for x in await o.aobserve(started())]
    assert out[1]["data"]["text"] == "XXXX-XXXX-XXXX-1234"


def test_transforms_skipped_when_nothing_is_sent() -> None:
    def boom(text, text_type, accumulated, remaining):
        raise AssertionError("ran")

    o = observer(bot_output_enabled=False, bot_output_transforms=[("*", boom)])
    assert run(o, seg("unspoken")) == []


def test_unknown_segment_status_sends_nothing() -> None:
    assert run(observer(), started(), seg("in-progress")) == [
        {"label": "rtvi-ai", "type": "bot-started-speaking"}
    ]


def test_advance_gives_the_catalog_barge_in_order() -> None:
    o = observer()
    run(o, started(0))
    o.advance(1)  # the runtime's sync hook, before the queued events are handled
    out = run(
        o, m.UserStartedSpeaking(at=1), stopped(0), m.Interrupted(new_epoch=1, reason="x", at=1)
    )
    assert [e["type"] for e in out] == [
        "user-started-speaking",
        "bot-interrupted",
        "bot-stopped-speaking",
    ]
