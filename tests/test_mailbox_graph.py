"""Mailboxes inside a session graph: the emit fast path, fair bursts, restarts, overflow
warnings and closing the session."""

from __future__ import annotations

from typing import Any

import pytest
import structlog
import trio
import trio.testing

from rtvi_actors import Actor, Context, Graph, Interrupted, Mailbox, Overflow, TextIn, TextOut
from rtvi_actors.cell import _BURST
from rtvi_actors.testing import Crashy, Feeder, Recording, run_graph
from supervisors import run_session


class Stuck(Actor):
    """Never takes a message: its mailbox only fills."""

    accepts = (TextIn,)

    async def started(self, ctx: Context) -> None:
        await trio.sleep_forever()


class Waiter(Actor):
    """Takes messages and records them; records ``"EOF"`` when its input ends."""

    accepts = (TextIn, Interrupted)

    def __init__(self, rec: Recording) -> None:
        self.rec = rec

    async def handle(self, msg: Any, ctx: Context) -> None:
        self.rec.items.append((trio.current_time(), msg))

    async def finished(self, ctx: Context) -> None:
        self.rec.items.append((trio.current_time(), "EOF"))


class Emitter(Actor):
    """Emits ``n`` messages: those that fit without a checkpoint, then one that must wait."""

    emits = (TextIn,)

    def __init__(self, room: int, log: list[Any]) -> None:
        self.room = room
        self.log = log

    async def started(self, ctx: Context) -> None:
        with trio.testing.assert_no_checkpoints():
            for i in range(self.room):
                await ctx.emit(TextIn(text=str(i)))
        self.log.append(("queued", trio.current_time()))
        with trio.testing.assert_checkpoints():
            await ctx.emit(TextIn(text="last"))  # full: backpressure until there is room
        self.log.append(("sent last", trio.current_time()))


class SlowWaiter(Waiter):
    async def started(self, ctx: Context) -> None:
        await trio.sleep(1.0)


async def test_emit_with_room_never_yields_and_a_full_block_edge_waits(autojump_clock) -> None:
    log: list[Any] = []
    rec = Recording()
    g = Graph()
    g.add("src", Emitter, 3, log)
    g.add("sink", SlowWaiter, rec, mailbox=Mailbox(3, Overflow.BLOCK))
    g.route(TextIn, "src", "sink")
    with trio.fail_after(60):
        session = await run_graph(g)
    assert log == [("queued", 0.0), ("sent last", 1.0)]
    assert [m.text for m in rec.of(TextIn)] == ["0", "1", "2", "last"]
    assert session.statistics().actor("sink").mailbox.peak_buffer_used == 3


class Counter:
    def __init__(self) -> None:
        self.steps = 0

    async def tick(self) -> None:
        while True:
            self.steps += 1
            await trio.lowlevel.checkpoint()


class Burster(Actor):
    """Handles messages without a checkpoint, noting how often another task ran meanwhile."""

    accepts = (TextIn,)

    def __init__(self, counter: Counter, seen: list[int]) -> None:
        self.counter = counter
        self.seen = seen

    async def started(self, ctx: Context) -> None:
        await trio.sleep(1.0)  # let the feeder queue everything first
        ctx.start_soon(self.counter.tick)

    async def handle(self, msg: TextIn, ctx: Context) -> None:
        self.seen.append(self.counter.steps)
        if msg.text == "last":
            ctx.stop()


async def test_queued_messages_are_taken_in_fair_bursts(autojump_clock) -> None:
    n = 2 * _BURST + 8
    counter, seen = Counter(), []
    g = Graph()
    inputs = [TextIn(text=str(i)) for i in range(n - 1)] + [TextIn(text="last")]
    g.add("feeder", Feeder, inputs, emits=(TextIn,))
    g.add("sink", Burster, counter, seen, mailbox=Mailbox(64))
    g.route(TextIn, "feeder", "sink")
    with trio.fail_after(60):
        await run_graph(g)
    assert len(seen) == n
    # the first _BURST messages are taken without a scheduler round trip, then the actor
    # yields once (taking message _BURST), then again _BURST in a row
    assert len(set(seen[:_BURST])) == 1
    assert len(set(seen[_BURST + 1 : 2 * _BURST + 1])) == 1
    assert seen[2 * _BURST + 1] > seen[0]  # other tasks ran in between


class Echo(Actor):
    accepts = (TextIn,)
    emits = (TextOut,)

    async def handle(self, msg: TextIn, ctx: Context) -> None:
        await ctx.emit(TextOut(epoch=ctx.epoch, text=msg.text))


async def test_a_restart_keeps_what_was_queued(autojump_clock) -> None:
    rec = Recording()
    crashy = Crashy(Echo, at=1)
    g = Graph()
    g.add("feeder", Feeder, [TextIn(text=str(i)) for i in range(4)], emits=(TextIn,))
    g.add("echo", crashy, mailbox=Mailbox(8))
    g.add("sink", Waiter, rec, accepts=(TextOut,))
    g.route(TextIn, "feeder", "echo").route(TextOut, "echo", "sink")
    session = g.build()
    with trio.fail_after(60):
        await run_session(session)
    # "0" was being handled when the first incarnation crashed; the rest waited for the next
    assert [m.text for m in rec.of(TextOut)] == ["1", "2", "3"]
    assert rec.messages[-1] == "EOF"
    echo = session.statistics().actor("echo")
    assert (echo.incarnations, echo.mailbox.received, echo.mailbox.sent) == (2, 4, 4)


class Burst(Actor):
    emits = (TextIn,)

    async def started(self, ctx: Context) -> None:
        for i in range(5):
            await ctx.emit(TextIn(text=str(i)))


async def test_a_drop_newest_edge_counts_and_warns_once(autojump_clock) -> None:
    g = Graph()
    g.add("burst", Burst)
    g.add("sink", SlowWaiter, Recording(), mailbox=Mailbox(2, Overflow.DROP_NEWEST))
    g.route(TextIn, "burst", "sink")
    with structlog.testing.capture_logs() as logs, trio.fail_after(60):
        session = await run_graph(g)
    warnings = [e for e in logs if e["event"] == "mailbox.overflow"]
    assert [(e["mailbox"], e["source"], e["dropped"]) for e in warnings] == [("sink", "burst", 1)]
    assert session.statistics().actor("sink").mailbox.dropped_overflow == 3


async def test_closing_the_session_breaks_a_blocked_emit_and_ends_waiting_receivers() -> None:
    rec = Recording()
    g = Graph()
    g.add("src", Feeder, [TextIn(text="a"), TextIn(text="b")], emits=(TextIn,))
    g.add("stuck", Stuck, mailbox=Mailbox(1))
    g.add("waiter", Waiter, rec)
    g.route(TextIn, "src", "stuck")
    g.subscribe("waiter", Interrupted)
    g.inlet("waiter", TextIn)
    session = g.build()
    with pytest.RaisesGroup(trio.BrokenResourceError, flatten_subgroups=True):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(session.cells["waiter"].run)
            nursery.start_soon(session.cells["src"].run)
            await trio.testing.wait_all_tasks_blocked()
            stuck = session.statistics().actor("stuck").mailbox
            assert (stuck.current_buffer_used, stuck.tasks_waiting_send) == (1, 1)
            assert session.statistics().actor("waiter").mailbox.tasks_waiting_receive == 1
            session.close()
    assert rec.messages == ["EOF"]  # the waiting receiver saw end-of-input
    assert session.statistics().actor("stuck").mailbox.current_buffer_used == 0
    assert not session.inject("waiter", TextIn(text="late"))
    session.interrupt("after close")  # publishing to closed mailboxes is silently skipped
