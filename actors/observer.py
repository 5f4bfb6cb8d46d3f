"""The RTVI observer stage: pipeline events in, RTVI server messages out.

`ObserverActor` subscribes to the session's events and emits one
:class:`~rtvi_actors.voice.ServerEvent` per RTVI message, in order; the RTVI actor gates each by
client version and sends it. The mapping itself is the pure `RtviObserver` (no trio, no
clock; see :mod:`actors.observer_core` for every rule and choice) configured by
`ObserverParams` (Pipecat's ``RTVIObserverParams``, 1.14 names and defaults)::

    observer = ObserverActor(
        ObserverParams(
            bot_llm_enabled=False,
            function_call_report_level={"*": "none", "get_weather": "full"},
            bot_output_transforms=[("code", redact)],
        )
    )

Output transforms may be ``async``: the actor awaits them (`RtviObserver.aobserve`).
Parameters change at run time with an :class:`~rtvi_actors.voice.ObserverConfigure` event
(server side only); invalid changes are logged and ignored.

``system-log`` (``system_logs_enabled``, off by default): nothing is forwarded unless someone
feeds lines to `ObserverActor.log_line`, for instance by adding `ObserverActor.log_processor`
to the structlog processors; it only forwards this session's own lines.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

import trio

from rtvi_actors import Actor, Context
from rtvi_actors.voice import ObserverConfigure, ServerEvent

from .observer_core import OBSERVED, RtviObserver
from .observer_params import (
    BotOutputTransformResult,
    ObserverParams,
    OutputTransform,
    utc_now_iso,
)

__all__ = [
    "OBSERVED",
    "BotOutputTransformResult",
    "ObserverActor",
    "ObserverParams",
    "OutputTransform",
    "RtviObserver",
    "observe_event",
    "utc_now_iso",
]

_LOG_BUFFER = 64


async def observe_event(observer: RtviObserver, event: Any, log: Any) -> list[Any]:
    """The RTVI messages for one event (`RtviObserver.aobserve`); an invalid
    :class:`ObserverConfigure` is logged (``observer.configure_rejected``) and ignored.

    Raises:
        TypeError: an event type the observer does not know.
    """
    try:
        return await observer.aobserve(event)
    except (TypeError, ValueError) as exc:
        if not isinstance(event, ObserverConfigure):
            raise
        log.error("observer.configure_rejected", error=str(exc))
        return []


class ObserverActor(Actor):
    """Emits a :class:`ServerEvent` for every RTVI message the observed events produce.

    Args:
        params: what to send (default `ObserverParams()`).
        now_iso: the clock for ``user-input`` / ``user-transcription`` timestamps (default:
            UTC wall clock, `utc_now_iso`).
    """

    accepts = OBSERVED
    emits = (ServerEvent,)

    def __init__(
        self,
        params: ObserverParams | None = None,
        *,
        now_iso: Callable[[], str] | None = None,
    ) -> None:
        self.observer = RtviObserver(params, now_iso=now_iso or utc_now_iso)
        self.dropped_logs = 0
        self._session_id: str | None = None
        self._logs: trio.MemorySendChannel[tuple[str, str]] | None = None

    async def started(self, ctx: Context) -> None:
        self._session_id = ctx.session_id
        if self.observer.params.system_logs_enabled:  # the forwarding task costs memory
            send, recv = trio.open_memory_channel[tuple[str, str]](_LOG_BUFFER)
            self._logs = send
            ctx.start_soon(self._forward_logs, recv, ctx)

    async def handle(self, msg: Any, ctx: Context) -> None:
        for message in await observe_event(self.observer, msg, ctx.log):
            await ctx.emit(ServerEvent(message=message))

    def interrupted(self, epoch: int) -> None:
        self.observer.advance(epoch)

    async def finished(self, ctx: Context) -> None:
        if self._logs is not None:
            self._logs.close()  # lets the forwarding task end with the incarnation

    # -- system-log ------------------------------------------------------------------------------

    def log_line(self, level: str, text: str) -> None:
        """Queue one server log line for ``system-log`` (never blocks; drops when full)."""
        if self._logs is None or not self.observer.params.system_logs_enabled:
            return
        try:
            self._logs.send_nowait((level, text))
        except (trio.WouldBlock, trio.ClosedResourceError, trio.BrokenResourceError):
            self.dropped_logs += 1

    def log_processor(
        self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """A structlog processor forwarding this session's log lines to `log_line`."""
        if self._session_id is not None and event_dict.get("session_id") == self._session_id:
            text = " ".join(
                [str(event_dict.get("event", ""))]
                + [f"{k}={v}" for k, v in event_dict.items() if k not in ("event", "session_id")]
            )
            self.log_line(method_name, text)
        return event_dict

    async def _forward_logs(
        self, recv: trio.MemoryReceiveChannel[tuple[str, str]], ctx: Context
    ) -> None:
        async with recv:
            async for level, text in recv:
                for message in self.observer.observe_log(level, text):
                    await ctx.emit(ServerEvent(message=message))
