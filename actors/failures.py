"""Reporting a provider failure to the client without ending the session."""

from __future__ import annotations

import trio

from rtvi_actors import Context, StageFailed

__all__ = ["report_failure"]


def report_failure(ctx: Context, what: str, exc: BaseException, *, debug: bool) -> None:
    """Log ``exc`` and publish a non-fatal :class:`StageFailed` saying ``what`` failed.

    The client sees ``error {fatal: false}`` with the exception's type only (its text too in
    debug mode); the stage goes on with its next message. Never blocks.
    """
    detail = f"{type(exc).__name__}: {exc}" if debug else type(exc).__name__
    ctx.log.error("stage.provider_failed", what=what, error=repr(exc))
    ctx.publish(
        StageFailed(
            stage=ctx.name, error=f"{what} failed ({detail})", fatal=False, at=trio.current_time()
        )
    )
