"""WriteLock: FIFO, released by any task, cancellation-safe."""

import pytest
import trio
import trio.testing

from supervisors.write_lock import WriteLock


async def test_fifo_and_release_by_another_task(autojump_clock) -> None:
    lock = WriteLock()
    lock.acquire_nowait()  # held by "a write started elsewhere"
    with pytest.raises(trio.WouldBlock):
        lock.acquire_nowait()
    order: list[str] = []

    async def writer(name: str) -> None:
        async with lock:
            order.append(name)
            await trio.sleep(1)

    async with trio.open_nursery() as nursery:
        for name in "abc":
            nursery.start_soon(writer, name)
            await trio.sleep(0.1)
        assert lock.statistics().tasks_waiting == 3
        lock.release()  # not the acquiring task: allowed, and "a" gets it
        await trio.lowlevel.checkpoint()
        assert lock.locked()
    assert order == ["a", "b", "c"]
    assert not lock.locked()
    with pytest.raises(RuntimeError):
        lock.release()


async def test_a_cancelled_waiter_does_not_take_the_lock(autojump_clock) -> None:
    lock = WriteLock()
    lock.acquire_nowait()
    with trio.move_on_after(1) as scope:
        await lock.acquire()
    assert scope.cancelled_caught
    assert lock.statistics().tasks_waiting == 0
    lock.release()
    assert not lock.locked()
    with trio.testing.assert_checkpoints():
        await lock.acquire()  # free: taken at once, still a checkpoint
    assert lock.locked()
