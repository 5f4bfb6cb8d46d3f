"""A short soak (``python -m reliability.soak`` runs 8 sessions for 10 minutes): sessions
talk through the real transport; latency and lateness stay low, nothing is left over."""

from __future__ import annotations

import pytest
import trio

from reliability.soak import soak

pytestmark = pytest.mark.slow


async def test_a_short_soak_stays_on_time_and_leaves_nothing_behind() -> None:
    with trio.fail_after(60):
        result = await soak(3, 6.0, window=3.0, external=False)
    report = result.report()
    assert result.errors == []
    assert report["turns"] >= 4
    assert report["server"]["crashed"] == 0 and report["server"]["errors"] == 0
    assert report["latency_p95_ms"] < 1000  # loose: CI machines are shared
    assert report["lateness_p95_ms"] < 250
    assert report["tasks_after"] == report["tasks_before"]
