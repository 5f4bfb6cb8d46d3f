"""The runtime mailbox (``MailboxQueue``) on its own: FIFO, capacity, hand-off, backpressure,
cancellation, end-of-input, closing and statistics, step by step."""

from __future__ import annotations

from typing import Any

import pytest
import structlog
import trio
import trio.testing

from rtvi_actors.mailbox import EMPTY, Mailbox, MailboxQueue, MailboxStatistics


def queue(size: int = 2, producers: int = 1) -> MailboxQueue:
    return MailboxQueue("box", Mailbox(size), producers)


async def drain(mb: MailboxQueue, into: list[Any]) -> None:
    """Receive until end-of-input."""
    try:
        while True:
            into.append(await mb.receive())
    except trio.EndOfChannel:
        into.append("EOF")


def test_fifo_up_to_capacity() -> None:
    mb = queue(3)
    assert [mb.try_send(i) for i in range(4)] == [True, True, True, False]
    s = mb.statistics()
    assert (s.current_buffer_used, s.peak_buffer_used, s.max_buffer_size, s.sent) == (3, 3, 3, 3)
    assert [mb.try_receive() for _ in range(4)] == [0, 1, 2, EMPTY]
    s = mb.statistics()
    assert (s.current_buffer_used, s.peak_buffer_used, s.received) == (0, 3, 3)


async def test_a_waiting_receiver_is_handed_the_message() -> None:
    mb = queue(1)
    got: list[Any] = []
    async with trio.open_nursery() as nursery:
        nursery.start_soon(drain, mb, got)
        await trio.testing.wait_all_tasks_blocked()
        assert mb.statistics().tasks_waiting_receive == 1
        # "a" goes straight to the receiver, so "b" still fits in a mailbox of one
        assert mb.try_send("a") and mb.try_send("b")
        assert not mb.try_send("c")
        assert mb.statistics().current_buffer_used == 1
        mb.producer_done()
    assert got == ["a", "b", "EOF"]
    assert (mb.statistics().sent, mb.statistics().received) == (2, 2)


async def test_receive_is_a_checkpoint_even_when_a_message_is_queued() -> None:
    mb = queue()
    mb.try_send("a")
    with trio.testing.assert_checkpoints():
        assert await mb.receive() == "a"


async def test_a_blocked_send_waits_for_room_and_senders_are_served_in_order() -> None:
    mb = queue(1)
    mb.try_send("a")
    async with trio.open_nursery() as nursery:
        nursery.start_soon(mb.send, "b")
        await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(mb.send, "c")
        await trio.testing.wait_all_tasks_blocked()
        assert mb.statistics().tasks_waiting_send == 2
        assert mb.statistics().sent == 1
        assert mb.try_receive() == "a"  # makes room: "b" moves in, its sender wakes
        assert mb.statistics().tasks_waiting_send == 1
        assert mb.try_receive() == "b"
        assert mb.try_receive() == "c"
        assert mb.try_receive() is EMPTY
    s = mb.statistics()
    assert (s.sent, s.received, s.tasks_waiting_send, s.peak_buffer_used) == (3, 3, 0, 1)


async def test_a_cancelled_blocked_send_enqueues_nothing(autojump_clock) -> None:
    mb = queue(1)
    mb.try_send("a")
    with trio.move_on_after(1.0) as scope:
        await mb.send("b")
    assert scope.cancelled_caught and trio.current_time() == 1.0
    s = mb.statistics()
    assert (s.tasks_waiting_send, s.current_buffer_used, s.sent) == (0, 1, 1)
    assert mb.try_receive() == "a"
    assert mb.try_receive() is EMPTY


async def test_a_send_in_a_cancelled_scope_enqueues_nothing_even_with_room() -> None:
    mb = queue(1)
    with trio.CancelScope() as scope:
        scope.cancel()
        await mb.send("a")
    assert scope.cancelled_caught
    assert mb.try_receive() is EMPTY and mb.statistics().sent == 0


async def test_a_cancelled_receive_loses_nothing(autojump_clock) -> None:
    mb = queue()
    with trio.move_on_after(1.0) as scope:
        await mb.receive()
    assert scope.cancelled_caught
    assert mb.statistics().tasks_waiting_receive == 0
    assert mb.try_send("a")  # not handed to the receiver that gave up: it is queued
    assert mb.statistics().current_buffer_used == 1
    with trio.CancelScope() as scope:
        scope.cancel()
        await mb.receive()  # cancelled before taking anything
    assert scope.cancelled_caught
    assert await mb.receive() == "a"
    assert mb.statistics().received == 1


async def test_one_receiver_at_a_time() -> None:
    mb = queue()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(mb.receive)
        await trio.testing.wait_all_tasks_blocked()
        with pytest.raises(trio.BusyResourceError):
            await mb.receive()
        nursery.cancel_scope.cancel()


async def test_end_of_input_after_the_last_producer_once_drained() -> None:
    mb = queue(4, producers=2)
    got: list[Any] = []
    mb.try_send("a")
    mb.producer_done()
    assert mb.statistics().open_send_channels == 1
    async with trio.open_nursery() as nursery:
        nursery.start_soon(drain, mb, got)
        await trio.testing.wait_all_tasks_blocked()
        assert got == ["a"]  # one producer is left: the receiver waits
        mb.try_send("b")
        mb.producer_done()  # the last one: the waiting receiver gets end-of-input
    assert got == ["a", "b", "EOF"]
    assert mb.statistics().open_send_channels == 0
    mb.producer_done()  # idempotent once ended
    with pytest.raises(trio.EndOfChannel):
        await mb.receive()
    with pytest.raises(trio.ClosedResourceError):
        mb.try_send("late")


async def test_queued_messages_outlive_a_cancelled_receiver() -> None:
    """A restart: the old incarnation's task is cancelled, the next one gets the queue."""
    mb = queue(4)
    first: list[Any] = []
    async with trio.open_nursery() as nursery:
        nursery.start_soon(drain, mb, first)
        await trio.testing.wait_all_tasks_blocked()
        nursery.cancel_scope.cancel()
    for m in ("a", "b", "c"):
        mb.try_send(m)
    mb.producer_done()
    second: list[Any] = []
    await drain(mb, second)
    assert (first, second) == ([], ["a", "b", "c", "EOF"])


async def test_close_wakes_a_waiting_receiver_with_end_of_input() -> None:
    mb = queue()
    got: list[Any] = []
    async with trio.open_nursery() as nursery:
        nursery.start_soon(drain, mb, got)
        await trio.testing.wait_all_tasks_blocked()
        mb.close()
    assert got == ["EOF"]


async def test_close_discards_the_buffer_and_breaks_blocked_senders() -> None:
    mb = queue(1)
    mb.try_send("a")
    errors: list[type] = []

    async def sender() -> None:
        try:
            await mb.send("b")
        except trio.BrokenResourceError as exc:
            errors.append(type(exc))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(sender)
        await trio.testing.wait_all_tasks_blocked()
        mb.close()
    assert errors == [trio.BrokenResourceError]
    s = mb.statistics()
    assert (s.current_buffer_used, s.tasks_waiting_send, s.open_send_channels) == (0, 0, 0)
    with pytest.raises(trio.BrokenResourceError):
        mb.try_send("c")
    with pytest.raises(trio.BrokenResourceError):
        await mb.send("c")
    with pytest.raises(trio.EndOfChannel):
        await mb.receive()
    mb.close()  # idempotent


async def test_overflow_warnings_are_rate_limited(autojump_clock) -> None:
    mb = queue(1)
    with structlog.testing.capture_logs() as logs:
        for _ in range(3):
            mb.count_overflow("src", "msg")
        await trio.sleep(0.5)
        mb.count_overflow("src", "msg")  # still within the second: counted, not logged
        await trio.sleep(0.5)
        mb.count_overflow("src", "msg", level="error")
    assert [(e["log_level"], e["dropped"], e["dropped_total"]) for e in logs] == [
        ("warning", 1, 1),
        ("error", 4, 5),
    ]
    assert logs[0]["mailbox"] == "box" and logs[0]["source"] == "src"
    assert logs[0]["message"] == "str"
    assert mb.statistics().dropped_overflow == 5


async def test_statistics_snapshot() -> None:
    mb = MailboxQueue("sink", Mailbox(2), 3)
    mb.try_send("a")
    mb.try_send("b")
    mb.try_receive()
    mb.count_overflow("src", "x")
    mb.dropped_stale += 1
    mb.producer_done()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(mb.send, "c")
        nursery.start_soon(mb.send, "d")
        await trio.testing.wait_all_tasks_blocked()
        assert mb.statistics() == MailboxStatistics(
            owner="sink",
            max_buffer_size=2,
            current_buffer_used=2,
            peak_buffer_used=2,
            tasks_waiting_send=1,
            tasks_waiting_receive=0,
            open_send_channels=2,
            sent=3,
            received=1,
            dropped_overflow=1,
            dropped_stale=1,
        )
        nursery.cancel_scope.cancel()


async def test_receive_empty_parks_at_once_and_behaves_like_receive(autojump_clock) -> None:
    mb = queue(2, producers=1)
    got: list[Any] = []

    async def loop() -> None:
        try:
            while True:
                msg = mb.try_receive()
                got.append(msg if msg is not EMPTY else await mb.receive_empty())
        except trio.EndOfChannel:
            got.append("EOF")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(loop)
        await trio.sleep(1)
        assert mb.statistics().tasks_waiting_receive == 1
        with pytest.raises(trio.BusyResourceError):
            await mb.receive_empty()
        assert mb.try_send("a")  # handed to the parked receiver
        assert mb.try_send("b") and mb.try_send("c")  # queued: taken by try_receive
        await trio.sleep(1)
        mb.producer_done()
    assert got == ["a", "b", "c", "EOF"]
    assert mb.statistics().received == 3
    with pytest.raises(trio.EndOfChannel):
        await mb.receive_empty()


async def test_a_cancelled_receive_empty_takes_nothing(autojump_clock) -> None:
    mb = queue(2)
    with trio.move_on_after(1):
        await mb.receive_empty()
    assert mb.statistics().tasks_waiting_receive == 0
    assert mb.try_send("kept")
    assert mb.try_receive() == "kept"
