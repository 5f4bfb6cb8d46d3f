"""The conversation context: slots in order, and a bounded history."""

from __future__ import annotations

from actors.context import Conversation


def test_slots_keep_conversational_order() -> None:
    c = Conversation("sys")
    c.add_user("one")
    c.reserve(0)
    c.add_user("two")  # arrives before the reply to "one" was heard
    c.reserve(1)
    assert c.fill(1, "reply two")
    assert c.fill(0, "reply one (cut)", interrupted=True)
    assert [m.get("content") for m in c.messages()] == [
        "sys",
        "one",
        "reply one (cut)",
        "two",
        "reply two",
    ]
    assert not c.fill(0, "again")  # already filled


def test_history_is_bounded_and_keeps_the_system_prompt() -> None:
    c = Conversation("sys", max_messages=4)
    for i in range(10):
        c.add_user(f"u{i}")
        c.reserve(i)
        c.fill(i, f"a{i}")
    msgs = c.messages()
    assert msgs[0] == {"role": "system", "content": "sys"}
    assert [m["content"] for m in msgs[1:]] == ["u8", "a8", "u9", "a9"]
    assert c.trimmed == 16


def test_trimming_never_orphans_a_tool_result() -> None:
    c = Conversation(max_messages=3)
    c.add_user("weather?")
    c.add_tool_call(0, "c1", "get_weather", {})
    c.add_tool_result("c1", {"sky": "sunny"})
    c.reserve(0)
    c.fill(0, "sunny")
    c.add_user("thanks")
    roles = [m["role"] for m in c.messages()]
    assert roles[0] == "user" and "tool" not in roles[:1]
    assert roles == ["user"]  # the whole older turn went, not half of it
