"""Function calling and LLM-run requests: what the turn stage needs to run tools."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, final

import attrs
import trio

__all__ = ["Function", "RunLlm"]


@final
@attrs.frozen(kw_only=True)
class Function:
    """A function the LLM may call.

    Args:
        handler: ``await handler(arguments) -> result`` on the server; ``None`` means the
            client executes it (``llm-function-call-in-progress`` → client →
            ``llm-function-call-result``).
        cancel_on_interruption: a barge-in cancels the pending call.
        timeout: seconds before the call is cancelled (client tools may never answer).
    """

    handler: Callable[[Mapping[str, Any]], Awaitable[Any]] | None = None
    cancel_on_interruption: bool = True
    timeout: float = 10.0


@final
@attrs.frozen(kw_only=True)
class RunLlm:
    """Inject into the turn stage: append ``messages`` and run the LLM (e.g. greet first)."""

    messages: tuple[Mapping[str, Any], ...] = ()


@attrs.define
class _Call:
    epoch: int
    call_id: str
    name: str
    scope: trio.CancelScope
    done: bool = False
