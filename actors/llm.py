"""The LLM stage: one streamed reply per ``Generate``, cancelled by interruption."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, final

import attrs
import trio

from rtvi_actors import Actor, Context, Metric, StageFailed
from rtvi_actors.voice import (
    FunctionCallRequested,
    Generate,
    LlmDone,
    LlmStarted,
    LlmStopped,
    LlmText,
    LlmUsage,
)

from .failures import report_failure

__all__ = ["LlmActor", "LlmEngine", "LlmResult", "ToolCall"]


@final
@attrs.frozen(kw_only=True)
class ToolCall:
    """A complete tool call the model asked for."""

    call_id: str
    name: str
    arguments: Mapping[str, Any]


@final
@attrs.frozen(kw_only=True)
class LlmResult:
    """How one reply ended: tool calls (if any) and token usage (if reported)."""

    tool_calls: tuple[ToolCall, ...] = ()
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class LlmEngine(Protocol):
    """Streams one reply: ``await engine.generate(request, on_text)``."""

    name: str
    model: str | None

    async def generate(
        self, request: Generate, on_text: Callable[[str], Awaitable[None]]
    ) -> LlmResult:
        """Stream the reply to ``on_text`` piece by piece; return how it ended.

        Raises:
            Exception: the provider failed (the stage reports it and ends the reply).

        Cancellation: cancelling closes the provider stream.
        """
        ...


class LlmActor(Actor):
    """Runs an :class:`LlmEngine` for each ``Generate``; stale requests are dropped unread and
    a reply in flight is cancelled the moment its epoch is interrupted.

    A provider error or a reply that stalls longer than ``deadline`` seconds ends the reply
    and is reported to the client as a non-fatal error: never dead air without a word.
    """

    accepts = (Generate,)
    emits = (LlmText, LlmDone)
    publishes = (
        LlmStarted,
        LlmText,
        LlmStopped,
        LlmUsage,
        Metric,
        FunctionCallRequested,
        StageFailed,
    )

    def __init__(self, engine: Any, *, deadline: float = 60.0, debug: bool = False) -> None:
        self.engine = engine
        self.deadline = deadline
        self.debug = debug

    async def handle(self, msg: Generate, ctx: Context) -> None:
        name = getattr(self.engine, "name", type(self.engine).__name__)
        model = getattr(self.engine, "model", None)
        started = trio.current_time()
        ctx.publish(LlmStarted(epoch=msg.epoch, at=started))
        parts: list[str] = []

        async def on_text(text: str) -> None:
            if not text:
                return
            if not parts:
                now = trio.current_time()
                ctx.publish(
                    Metric(name="ttfb", processor=name, value=now - started, at=now, model=model)
                )
            parts.append(text)
            piece = LlmText(epoch=msg.epoch, text=text, speak=msg.audio_response)
            ctx.publish(piece)
            await ctx.emit(piece)

        result = LlmResult()
        try:
            with trio.fail_after(self.deadline):
                result = await self.engine.generate(msg, on_text)
        except trio.Cancelled:
            ctx.publish(
                LlmStopped(
                    epoch=msg.epoch, text="".join(parts), at=trio.current_time(), interrupted=True
                )
            )
            raise
        except Exception as exc:  # provider failure or stall: report, finish the reply
            report_failure(ctx, "LLM", exc, debug=self.debug)
        now = trio.current_time()
        for call in result.tool_calls:
            ctx.publish(
                FunctionCallRequested(
                    epoch=msg.epoch, call_id=call.call_id, name=call.name, arguments=call.arguments
                )
            )
        ctx.publish(LlmStopped(epoch=msg.epoch, text="".join(parts), at=now))
        ctx.publish(
            Metric(name="processing", processor=name, value=now - started, at=now, model=model)
        )
        if result.prompt_tokens is not None or result.completion_tokens is not None:
            ctx.publish(
                LlmUsage(
                    processor=name,
                    model=model,
                    prompt_tokens=result.prompt_tokens or 0,
                    completion_tokens=result.completion_tokens or 0,
                    at=now,
                )
            )
        await ctx.emit(LlmDone(epoch=msg.epoch, speak=msg.audio_response))
