"""The actor runtime: interruption, staleness, mailboxes, EOF propagation, restarts."""

from __future__ import annotations

from typing import Any

import pytest
import trio

from rtvi_actors import (
    Actor,
    AudioOut,
    Context,
    Graph,
    Interrupted,
    Mailbox,
    MailboxFull,
    Overflow,
    StageRestarted,
    TextIn,
    TextOut,
)
from rtvi_actors.testing import After, Collector, Crashy, Feeder, Recording, run_actor, run_graph
from supervisors import RestartIntensityExceeded, run_session


def chunk(epoch: int, n: int) -> AudioOut:
    return AudioOut(epoch=epoch, pcm=bytes([n]) * 4, sample_rate=24000)


class SlowSink(Actor):
    """Takes 0.1 s of virtual time per audio chunk; logs start/done/cancel per chunk."""

    accepts = (AudioOut, TextIn)

    def __init__(self, log: list[tuple[str, Any, float]], ready_after: float = 0.0) -> None:
        self.log = log
        self.ready_after = ready_after
        self.hook_epochs: list[int] = []

    async def started(self, ctx: Context) -> None:
        await trio.sleep(self.ready_after)

    async def handle(self, msg: Any, ctx: Context) -> None:
        key = msg.text if isinstance(msg, TextIn) else (msg.epoch, msg.pcm[0])
        self.log.append(("start", key, trio.current_time()))
        try:
            if isinstance(msg, AudioOut):
                await trio.sleep(0.1)
        except trio.Cancelled:
            self.log.append(("cancelled", key, trio.current_time()))
            raise
        self.log.append(("done", key, trio.current_time()))

    def interrupted(self, epoch: int) -> None:
        self.log.append(("hook", epoch, trio.current_time()))


class Interrupter(Actor):
    """Interrupts the session at a given virtual time."""

    def __init__(self, at: float) -> None:
        self.at = at

    async def started(self, ctx: Context) -> None:
        await trio.sleep_until(self.at)
        ctx.interrupt("test")


async def test_interrupt_drops_stale_cancels_in_flight_and_keeps_user_side(autojump_clock) -> None:
    log: list[tuple[str, Any, float]] = []
    inputs = [chunk(0, i) for i in range(5)] + [TextIn(text="user")]
    inputs.append(After(1.0, chunk(1, 9)))
    events = Recording()
    g = Graph()
    g.add("feeder", Feeder, inputs, emits=(AudioOut, TextIn))
    g.add("sink", SlowSink, log, mailbox=Mailbox(16))
    g.add("boss", Interrupter, 0.15, can_interrupt=True)
    g.add("events", Collector, events, accepts=(Interrupted,))
    g.route(AudioOut, "feeder", "sink").route(TextIn, "feeder", "sink")
    g.subscribe("events", Interrupted)
    with trio.fail_after(60):
        session = await run_graph(g)
    assert log == [
        ("start", (0, 0), 0.0),
        ("done", (0, 0), pytest.approx(0.1)),
        ("start", (0, 1), pytest.approx(0.1)),
        ("hook", 1, pytest.approx(0.15)),  # the sync hook runs in the interrupting step,
        ("cancelled", (0, 1), pytest.approx(0.15)),  # then the cancelled handler unwinds
        ("start", "user", pytest.approx(0.15)),
        ("done", "user", pytest.approx(0.15)),
        ("start", (1, 9), pytest.approx(1.0)),
        ("done", (1, 9), pytest.approx(1.1)),
    ]
    stats = session.statistics()
    sink = stats.actor("sink")
    assert sink.mailbox.dropped_stale == 3
    assert sink.cancelled == 1
    assert sink.handled == 3
    assert stats.epoch == 1 and stats.interrupts == 1 and stats.dropped_stale == 3
    assert events.messages == [Interrupted(new_epoch=1, reason="test", at=pytest.approx(0.15))]


class SelfInterrupter(SlowSink):
    """On chunk (0, 1) it interrupts the session itself and returns without a checkpoint: its
    own handler goes stale but is never cut; later handlers must not be cut either."""

    async def handle(self, msg: Any, ctx: Context) -> None:
        if isinstance(msg, AudioOut) and msg.epoch == 0 and msg.pcm[0] == 1:
            self.log.append(("self-interrupt", 1, trio.current_time()))
            ctx.interrupt("self")
            return
        if isinstance(msg, TextIn):  # a user-side handler that reaches a checkpoint
            self.log.append(("start", msg.text, trio.current_time()))
            await trio.sleep(0.05)
            self.log.append(("done", msg.text, trio.current_time()))
            return
        await super().handle(msg, ctx)


async def test_a_cut_that_comes_too_late_cuts_nothing_after_it(autojump_clock) -> None:
    log: list[tuple[str, Any, float]] = []
    inputs = [chunk(0, 0), chunk(0, 1), TextIn(text="user"), After(1.0, chunk(1, 9))]
    g = Graph()
    g.add("feeder", Feeder, inputs, emits=(AudioOut, TextIn))
    g.add("sink", SelfInterrupter, log, mailbox=Mailbox(16), can_interrupt=True)
    g.route(AudioOut, "feeder", "sink").route(TextIn, "feeder", "sink")
    with trio.fail_after(60):
        session = await run_graph(g)
    assert log == [
        ("start", (0, 0), 0.0),
        ("done", (0, 0), pytest.approx(0.1)),
        ("self-interrupt", 1, pytest.approx(0.1)),
        ("hook", 1, pytest.approx(0.1)),
        ("start", "user", pytest.approx(0.1)),  # not cut: the stale handler had finished
        ("done", "user", pytest.approx(0.15)),
        ("start", (1, 9), pytest.approx(1.0)),
        ("done", (1, 9), pytest.approx(1.1)),  # a fresh scope: new-epoch audio is not cut
    ]
    sink = session.statistics().actor("sink")
    assert sink.cancelled == 0 and sink.handled == 4


class Burst(Actor):
    emits = (TextIn,)

    def __init__(self, n: int) -> None:
        self.n = n

    async def started(self, ctx: Context) -> None:
        for i in range(self.n):
            await ctx.emit(TextIn(text=str(i)))


async def test_drop_newest_overflow_is_counted(autojump_clock) -> None:
    log: list[tuple[str, Any, float]] = []
    g = Graph()
    g.add("burst", Burst, 5)
    g.add("sink", SlowSink, log, 0.01, mailbox=Mailbox(2, Overflow.DROP_NEWEST))
    g.route(TextIn, "burst", "sink")
    with trio.fail_after(60):
        session = await run_graph(g)
    mb = session.statistics().actor("sink").mailbox
    assert (mb.sent, mb.dropped_overflow, mb.received) == (2, 3, 2)
    assert mb.peak_buffer_used == 2
    assert [k for e, k, _ in log if e == "done"] == ["0", "1"]
    assert session.statistics().dropped_overflow == 3


async def test_raise_overflow_crashes_the_sender(autojump_clock) -> None:
    g = Graph()
    g.add("burst", Burst, 5)
    g.add("sink", SlowSink, [], 0.01, mailbox=Mailbox(2))
    g.route(TextIn, "burst", "sink", overflow=Overflow.RAISE)
    g.validate()
    with trio.fail_after(60), pytest.RaisesGroup(MailboxFull, flatten_subgroups=True):
        await run_graph(g)


async def test_block_overflow_is_backpressure(autojump_clock) -> None:
    log: list[tuple[str, Any, float]] = []
    g = Graph()
    g.add("feeder", Feeder, [chunk(0, i) for i in range(4)], emits=(AudioOut,))
    g.add("sink", SlowSink, log, mailbox=Mailbox(1))
    g.route(AudioOut, "feeder", "sink")
    with trio.fail_after(60):
        session = await run_graph(g)
    assert [t for e, _, t in log if e == "done"] == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert session.statistics().actor("sink").mailbox.dropped_overflow == 0


class Echo(Actor):
    accepts = (TextIn,)
    emits = (TextOut,)

    async def handle(self, msg: TextIn, ctx: Context) -> None:
        await ctx.emit(TextOut(epoch=ctx.epoch, text=msg.text.upper()))


async def test_run_actor_collects_emissions() -> None:
    result = await run_actor(Echo, [TextIn(text="a"), TextIn(text="b")])
    assert result.emitted.messages == [TextOut(epoch=0, text="A"), TextOut(epoch=0, text="B")]
    assert result.stats.actor("actor").handled == 2


class Finisher(Actor):
    accepts = (TextIn,)

    def __init__(self, rec: Recording) -> None:
        self.rec = rec

    async def handle(self, msg: TextIn, ctx: Context) -> None:
        self.rec.items.append((trio.current_time(), msg.text))

    async def finished(self, ctx: Context) -> None:
        self.rec.items.append((trio.current_time(), "EOF"))


async def test_eof_arrives_only_after_every_producer_finished(autojump_clock) -> None:
    rec = Recording()
    g = Graph()
    g.add("early", Feeder, [TextIn(text="a")], emits=(TextIn,))
    g.add("late", Feeder, [After(2.0, TextIn(text="b"))], emits=(TextIn,))
    g.add("sink", Finisher, rec)
    g.route(TextIn, "early", "sink").route(TextIn, "late", "sink")
    with trio.fail_after(60):
        await run_graph(g)
    assert rec.items == [(0.0, "a"), (2.0, "b"), (2.0, "EOF")]


class Undeclared(Actor):
    accepts = (TextIn,)

    async def handle(self, msg: TextIn, ctx: Context) -> None:
        await ctx.emit(TextOut(epoch=0, text="x"))


async def test_emitting_an_undeclared_type_is_a_crash() -> None:
    with pytest.RaisesGroup(
        pytest.RaisesExc(TypeError, match="does not declare"), flatten_subgroups=True
    ):
        await run_actor(Undeclared, [TextIn(text="a")])


async def test_interrupt_capability_is_checked() -> None:
    with pytest.RaisesGroup(PermissionError, flatten_subgroups=True):
        await run_actor(Interrupter, [], 0.0)


async def test_discarded_types_are_counted() -> None:
    g = Graph()
    g.add("feeder", Feeder, [TextIn(text="a")], emits=(TextIn,))
    g.add("echo", Echo)
    g.route(TextIn, "feeder", "echo").discard(TextOut, "echo")
    session = await run_graph(g)
    assert session.statistics().actor("echo").discarded == 1


# --- supervised: restarts keep the mailbox ------------------------------------------------------


class Sink(Actor):
    accepts = (TextOut, StageRestarted, Interrupted)

    def __init__(self, rec: Recording) -> None:
        self.rec = rec

    async def handle(self, msg: Any, ctx: Context) -> None:
        self.rec.items.append((trio.current_time(), msg))


def supervised_echo(rec: Recording, crashy: Crashy, n: int = 4) -> Graph:
    g = Graph()
    g.add("feeder", Feeder, [After(1.0, TextIn(text=str(i))) for i in range(n)], emits=(TextIn,))
    g.add("echo", crashy, interrupt_on_restart=True)
    g.add("sink", Sink, rec)
    g.route(TextIn, "feeder", "echo").route(TextOut, "echo", "sink")
    g.subscribe("sink", StageRestarted, Interrupted)
    return g


async def test_a_restart_keeps_the_mailbox_and_interrupts_the_bot_path(autojump_clock) -> None:
    rec = Recording()
    crashy = Crashy(Echo, at=2, exc=RuntimeError("boom"))
    session = supervised_echo(rec, crashy).build(session_id="s1")
    with trio.fail_after(60):
        await run_session(session)
    outs = [m.text for m in rec.of(TextOut)]
    assert outs == ["0", "2", "3"]  # message "1" was in flight when the stage crashed
    restarted = rec.of(StageRestarted)
    assert [(r.stage, r.at) for r in restarted] == [("echo", 2.0)]
    assert "boom" not in restarted[0].error  # no internal text outside debug mode
    assert rec.of(Interrupted)[0].reason == "restart:echo"
    assert [m.epoch for m in rec.of(TextOut)] == [0, 1, 1]
    stats = session.statistics()
    assert stats.actor("echo").incarnations == 2
    assert session.supervisor.statistics().restarts == 1


async def test_a_crash_storm_escalates(autojump_clock) -> None:
    rec = Recording()
    crashy = Crashy(Echo, at=1, times=None)
    session = supervised_echo(rec, crashy, n=10).build()
    with trio.fail_after(60), pytest.raises(RestartIntensityExceeded):
        await run_session(session)
    assert crashy.crashes == 4  # three restarts allowed, the fourth crash escalates


async def test_a_raising_interrupted_hook_crashes_only_its_own_actor(autojump_clock) -> None:
    rec = Recording()
    g = supervised_echo(rec, Crashy(Echo, during="interrupted"))
    g.add("boss", Interrupter, 1.5, can_interrupt=True)
    session = g.build()
    with trio.fail_after(60):
        await run_session(session)
    assert [m.text for m in rec.of(TextOut)] == ["0", "1", "2", "3"]
    assert [r.stage for r in rec.of(StageRestarted)] == ["echo"]
    assert session.statistics().actor("echo").incarnations == 2
    assert session.statistics().actor("boss").incarnations == 1


async def test_crash_in_started_is_restarted(autojump_clock) -> None:
    rec = Recording()
    session = supervised_echo(rec, Crashy(Echo, at=0)).build()
    with trio.fail_after(60):
        await run_session(session)
    assert [m.text for m in rec.of(TextOut)] == ["0", "1", "2", "3"]
