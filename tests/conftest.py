"""Shared test configuration: every test is deterministic; time-based ones use MockClock."""

from __future__ import annotations

import structlog


def pytest_configure() -> None:
    # Keep test output quiet and deterministic: drop log lines below warning.
    structlog.configure(
        processors=[structlog.processors.add_log_level, structlog.processors.KeyValueRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(30),
    )
