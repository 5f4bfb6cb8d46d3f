"""A small disconnect storm (``python -m reliability.storm`` runs 1,000): every kind of abrupt
disconnect, then no session, connection or trio task is left over."""

from __future__ import annotations

import pytest
import trio

from reliability.storm import KINDS, storm

pytestmark = pytest.mark.slow


async def test_abrupt_disconnects_leak_no_task_and_no_session() -> None:
    with trio.fail_after(60):
        result = await storm(
            5 * len(KINDS), concurrency=12, ping=0.3, half_open_hold=1.0, warmup=1, linger=0.3
        )
    assert result.errors == []
    assert result.leaked_tasks == 0, result.report()
    assert result.live_after == 0
    server = result.server
    assert server["connections"] == 0
    assert server["crashed"] == 0 and server["errors"] == 0
    assert server["timed_out"] >= 5  # the half-open ones were found by the ping
    assert server["aborted"] >= 5  # resets during the handshake cost nothing but a counter
