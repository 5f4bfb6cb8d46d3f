"""structlog configuration: console lines for development, JSON lines for production.

Each session binds ``session_id`` once through :mod:`structlog.contextvars`; trio copies the
context into every task it spawns, so every line a session's actors log carries it, and
nothing leaks between sessions.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO

import structlog

from .redaction import RedactSecrets

__all__ = ["LogFormat", "configure_logging"]

LogFormat = Literal["console", "json"]


def configure_logging(
    fmt: LogFormat = "console", *, level: str = "info", stream: TextIO | None = None
) -> None:
    """Configure structlog (and the stdlib root logger) for the whole process.

    Every line passes through :class:`~rtvi_actors.redaction.RedactSecrets` (fields named like
    secrets, known key values from the environment, ``Bearer``/``token=`` patterns).

    Args:
        fmt: ``"console"`` for human-readable lines, ``"json"`` for one JSON object per line.
        level: the minimum level (``debug``, ``info``, ``warning``, ``error``).
        stream: where lines go (default: standard error).
    """
    numeric = logging.getLevelNamesMapping()[level.upper()]
    out = stream if stream is not None else sys.stderr
    renderer: structlog.typing.Processor
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer(sort_keys=False)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=out.isatty())
    exc_processors: list[structlog.typing.Processor] = [
        structlog.processors.format_exc_info,  # tracebacks become text, then get scrubbed
        RedactSecrets(),  # API keys and tokens never reach a log line
    ]
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *exc_processors,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=numeric, stream=out, format="%(levelname)s %(name)s %(message)s")
