"""Inline delivery (``Actor.inline`` / ``handle_now``): an idle actor handles a message in the
sender's step; a busy one gets it queued, in order; crashes stay the actor's own."""

from __future__ import annotations

from typing import Any

import attrs
import trio
import trio.testing

from rtvi_actors import Actor, Context, Graph, TextIn, TextOut
from rtvi_actors.testing import After, Feeder, Recording, run_graph
from rtvi_actors.voice import LlmText
from supervisors import run_session


@attrs.frozen
class Ping:
    """An event an actor sends itself."""


class Inline(Actor):
    """Handles ``now*`` texts inline; anything else (and everything while busy) in `handle`,
    which takes a second for ``slow*`` texts."""

    accepts = (TextIn, LlmText, Ping)
    inline = (TextIn, LlmText)

    def __init__(self, rec: Recording) -> None:
        self.rec = rec

    def handle_now(self, msg: Any, ctx: Context) -> bool:
        text = msg.text
        if not text.startswith(("now", "boom", "echo")):
            return False
        if text.startswith("boom"):
            raise RuntimeError("boom in handle_now")
        self.rec.items.append((trio.current_time(), ("now", text)))
        if text.startswith("echo"):  # to itself: queued, never re-entered
            ctx.publish(Ping())
        return True

    async def handle(self, msg: Any, ctx: Context) -> None:
        if isinstance(msg, Ping):
            self.rec.items.append((trio.current_time(), ("handle", "ping")))
            return
        self.rec.items.append((trio.current_time(), ("handle", msg.text)))
        if msg.text.startswith("slow"):
            await trio.sleep(1.0)


class Sender(Actor):
    """Emits its inputs; checks that a message handled inline took effect before the emit
    returned, with no schedule point."""

    emits = (TextIn, LlmText)

    def __init__(self, inputs: list[Any], rec: Recording, seen: list[Any]) -> None:
        self.inputs = inputs
        self.rec = rec
        self.seen = seen

    async def started(self, ctx: Context) -> None:
        for item in self.inputs:
            if isinstance(item, After):
                await trio.sleep(item.delay)
                item = item.msg
            before = len(self.rec.items)
            with trio.testing.assert_no_checkpoints():
                await ctx.emit(item)
            self.seen.append((item.text, len(self.rec.items) - before))


class SelfPublishing(Inline):
    publishes = (Ping,)


def _graph(
    inputs: list[Any], rec: Recording, seen: list[Any], actor: type[Actor] = Inline
) -> Graph:
    g = Graph()
    g.add("src", Sender, inputs, rec, seen)
    g.add("inline", actor, rec)
    g.route(TextIn, "src", "inline").route(LlmText, "src", "inline")
    if actor is SelfPublishing:
        g.subscribe("inline", Ping)
    return g


async def test_an_idle_actor_handles_inline_and_a_busy_one_queues_in_order(
    autojump_clock,
) -> None:
    rec, seen = Recording(), []
    inputs = [
        After(1.0, TextIn(text="now1")),  # idle: handled in the sender's emit
        After(1.0, TextIn(text="slow2")),  # refused by handle_now: queued, handle() sleeps 1 s
        After(0.5, TextIn(text="now3")),  # the actor is busy: queued behind slow2
        After(1.0, TextIn(text="now4")),  # idle again: inline
    ]
    session = await run_graph(_graph(inputs, rec, seen))
    assert rec.items == [
        (1.0, ("now", "now1")),
        (2.0, ("handle", "slow2")),
        (3.0, ("handle", "now3")),
        (3.5, ("now", "now4")),
    ]
    assert seen == [("now1", 1), ("slow2", 0), ("now3", 0), ("now4", 1)]
    stats = session.statistics().actor("inline")
    assert (stats.handled, stats.mailbox.sent, stats.mailbox.received) == (4, 4, 4)


async def test_a_message_to_itself_from_handle_now_is_queued_not_re_entered(
    autojump_clock,
) -> None:
    rec, seen = Recording(), []
    session = _graph([After(1.0, TextIn(text="echo"))], rec, seen, SelfPublishing).build()
    with trio.move_on_after(5):  # it feeds itself, so its input never ends
        await session.run()
    assert rec.messages == [("now", "echo"), ("handle", "ping")]
    assert session.statistics().actor("inline").handled == 2


async def test_stale_bot_side_messages_are_dropped_not_handled(autojump_clock) -> None:
    rec, seen = Recording(), []
    g = _graph([After(1.0, LlmText(epoch=0, text="now-stale"))], rec, seen)
    session = g.build()
    session.interrupt("test")  # epoch 1: the epoch-0 text is stale when it arrives
    with trio.fail_after(60):
        await run_session(session)
    assert ("now", "now-stale") not in rec.messages
    stats = session.statistics().actor("inline")
    assert stats.mailbox.dropped_stale == 1
    assert stats.handled == 0


async def test_a_crash_in_handle_now_restarts_the_actor_not_the_sender(autojump_clock) -> None:
    rec, seen = Recording(), []
    inputs = [
        After(1.0, TextIn(text="boom")),
        After(1.0, TextIn(text="now-after")),
    ]
    session = _graph(inputs, rec, seen).build()
    with trio.fail_after(60):
        await run_session(session)
    assert rec.messages == [("now", "now-after")]  # the fresh incarnation took it inline
    assert [text for text, _ in seen] == ["boom", "now-after"]  # the sender went on
    stats = session.statistics()
    assert stats.actor("inline").incarnations == 2
    assert stats.actor("src").incarnations == 1


class Plain(Actor):
    """No ``inline`` types: never called inline, whatever it defines."""

    accepts = (TextIn,)
    emits = (TextOut,)

    def __init__(self, rec: Recording) -> None:
        self.rec = rec

    def handle_now(self, msg: Any, ctx: Context) -> bool:  # pragma: no cover - never called
        raise AssertionError("handle_now without inline types")

    async def handle(self, msg: Any, ctx: Context) -> None:
        self.rec.items.append((trio.current_time(), msg.text))


async def test_without_inline_types_messages_are_always_queued(autojump_clock) -> None:
    rec = Recording()
    g = Graph()
    g.add("src", Feeder, [After(1.0, TextIn(text="a"))], emits=(TextIn,))
    g.add("plain", Plain, rec)
    g.route(TextIn, "src", "plain").discard(TextOut, "plain")
    await run_graph(g)
    assert rec.items == [(1.0, "a")]
