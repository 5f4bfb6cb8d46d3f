"""Graph validation: each kind of invalid graph is rejected with a clear message."""

from __future__ import annotations

import pytest

from rtvi_actors import (
    Actor,
    AudioIn,
    Graph,
    GraphError,
    Interrupted,
    Mailbox,
    Metric,
    Overflow,
    TextIn,
    TextOut,
    UserStartedSpeaking,
)


class Src(Actor):
    emits = (TextIn,)


class Mid(Actor):
    accepts = (TextIn, TextOut)
    emits = (TextOut,)


class Sink(Actor):
    accepts = (TextOut, Interrupted, UserStartedSpeaking)


class Vad(Actor):
    publishes = (UserStartedSpeaking,)


def valid() -> Graph:
    g = Graph()
    g.add("src", Src).add("mid", Mid).add("sink", Sink)
    g.route(TextIn, "src", "mid").route(TextOut, "mid", "sink")
    return g


def test_a_valid_graph_builds() -> None:
    session = valid().build(session_id="x")
    assert session.order == ("src", "mid", "sink")


def rejects(g: Graph, *fragments: str) -> None:
    with pytest.raises(GraphError) as info:
        g.validate()
    for fragment in fragments:
        assert fragment in str(info.value)


def test_duplicate_names() -> None:
    with pytest.raises(GraphError, match="already exists"):
        valid().add("mid", Mid)


def test_bad_restart_type() -> None:
    with pytest.raises(GraphError, match="restart must be"):
        Graph().add("a", Src, restart="sometimes")


def test_unknown_actor_in_route() -> None:
    rejects(valid().route(TextOut, "mid", "nowhere"), "no actor named 'nowhere'")


def test_type_not_emitted_by_source() -> None:
    rejects(valid().route(AudioIn, "src", "mid"), "'src' does not emit it")


def test_type_not_accepted_by_destination() -> None:
    g = Graph().add("src", Src).add("sink", Sink)
    g.route(TextIn, "src", "sink")
    rejects(g, "'sink' does not accept it")


def test_emitted_type_neither_routed_nor_discarded() -> None:
    g = Graph().add("src", Src).add("mid", Mid)
    g.route(TextIn, "src", "mid")
    rejects(g, "'mid' emits TextOut but it is neither routed nor discarded")
    g.discard(TextOut, "mid")
    g.validate()


def test_discard_of_a_type_not_emitted() -> None:
    rejects(valid().discard(AudioIn, "src"), "discard AudioIn: 'src' does not emit it")


def test_subscription_to_an_event_nobody_publishes() -> None:
    rejects(valid().subscribe("sink", Metric), "does not accept it", "no actor publishes it")


def test_subscription_of_an_actor_that_does_not_accept_the_event() -> None:
    g = valid().add("vad", Vad).subscribe("mid", UserStartedSpeaking)
    rejects(g, "subscribe UserStartedSpeaking: 'mid' does not accept it")
    ok = valid().add("vad", Vad).subscribe("sink", UserStartedSpeaking, Interrupted)
    ok.validate()


def test_duplicate_route() -> None:
    rejects(valid().route(TextOut, "mid", "sink"), "given twice")


def test_blocking_cycle_is_rejected_but_events_and_drop_edges_break_it() -> None:
    g = valid().route(TextOut, "mid", "mid")
    rejects(g, "blocking edges form a cycle: mid -> mid")
    g2 = Graph().add("a", Mid).add("b", Mid).add("src", Src)
    g2.route(TextIn, "src", "a").route(TextOut, "a", "b").route(TextOut, "b", "a")
    rejects(g2, "cycle: a -> b -> a")
    g3 = Graph().add("a", Mid).add("b", Mid, mailbox=Mailbox(8, Overflow.DROP_NEWEST))
    g3.add("src", Src)
    g3.route(TextIn, "src", "a").route(TextOut, "a", "b").route(TextOut, "b", "a")
    g3.validate()  # the a -> b edge drops instead of blocking


def test_every_problem_is_listed_at_once() -> None:
    g = Graph().add("src", Src).add("mid", Mid)
    g.route(AudioIn, "src", "ghost")
    with pytest.raises(GraphError) as info:
        g.validate()
    lines = str(info.value).splitlines()[1:]
    assert len(lines) >= 4  # ghost, not emitted, TextIn unrouted, TextOut unrouted


def test_route_needs_a_destination() -> None:
    with pytest.raises(GraphError, match="names no destination"):
        Graph().add("src", Src).route(TextIn, "src")


def test_mailboxes_are_bounded() -> None:
    with pytest.raises(ValueError, match="bounded"):
        Mailbox(0)
    with pytest.raises(ValueError, match="bounded"):
        Mailbox(float("inf"))  # type: ignore[arg-type]


def test_pcm_is_hidden_from_repr() -> None:
    assert "<3200 bytes>" in repr(AudioIn(pcm=b"\0" * 3200, sample_rate=16000))


def test_replace_keeps_options_and_routes() -> None:
    class Other(Mid):
        publishes = (UserStartedSpeaking,)

    g = valid()
    g.add("sink2", Sink, mailbox=Mailbox(3))
    g.replace("sink2", Sink)
    assert g.factory_of("sink2") is Sink
    g.replace("mid", Other)
    assert UserStartedSpeaking in g.published()
    g.validate()  # routes of "mid" still hold
    with pytest.raises(GraphError, match="no actor named 'ghost'"):
        g.replace("ghost", Sink)


def test_sessions_of_the_same_structure_share_their_routing_tables() -> None:
    a = valid().build(session_id="a")
    b = valid().build(session_id="b")  # another Graph object with the same structure
    assert a._plan is b._plan
    assert a.cells["mid"]._routes is b.cells["mid"]._routes
    # per-session state is not shared
    assert a.mailboxes[0] is not b.mailboxes[0] and a.cells["mid"] is not b.cells["mid"]
    other = valid().add("vad", Vad).subscribe("sink", UserStartedSpeaking).build()
    assert other._plan is not a._plan


def test_a_cached_structure_still_rejects_a_graph_that_changed() -> None:
    g = valid()
    g.build()
    g.route(TextOut, "mid", "mid")  # now a blocking cycle
    with pytest.raises(GraphError, match="cycle"):
        g.build()
    with pytest.raises(GraphError, match="cycle"):
        g.build()  # an invalid structure is never cached
