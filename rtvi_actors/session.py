"""The session facade a bot author programs against: ``session.rtvi``, transport hooks,
``cancel()`` and injecting messages into the graph.

A bot is a function ``build(session) -> Graph``. It registers handlers, for example::

    @session.rtvi.event_handler("on_client_ready")
    async def greet(rtvi):
        await session.queue("turn", RunLlm())

and the server runs the graph under a session supervisor.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
import trio

from .session_graph import SessionGraph

__all__ = ["EventHandlers", "RtviHandle", "Session", "TransportHandle"]

Handler = Callable[..., Awaitable[Any]]


class EventHandlers:
    """A registry of named async event handlers, Pipecat-style (``@x.event_handler(name)``)."""

    EVENTS: tuple[str, ...] = ()

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {name: [] for name in self.EVENTS}
        self._log = structlog.get_logger("rtvi_actors.session")

    def event_handler(self, name: str) -> Callable[[Handler], Handler]:
        """Register the decorated coroutine function for event ``name``.

        Raises:
            ValueError: unknown event name (the known ones are in ``EVENTS``).
        """
        if name not in self._handlers:
            raise ValueError(f"unknown event {name!r}; known: {', '.join(self.EVENTS)}")

        def register(fn: Handler) -> Handler:
            self._handlers[name].append(fn)
            return fn

        return register

    def has_handlers(self, name: str) -> bool:
        """Whether any handler is registered for event ``name``."""
        return bool(self._handlers.get(name))

    def add_event_handler(self, name: str, fn: Handler) -> None:
        """Register ``fn`` for event ``name`` (the non-decorator form)."""
        self.event_handler(name)(fn)

    async def fire(self, name: str, *args: Any) -> int:
        """Await every handler of ``name`` in registration order. Returns how many failed.

        A handler's exception is logged and counted, never propagated: one bad handler does
        not end the session. Cancellation propagates.
        """
        failed = 0
        for fn in self._handlers.get(name, ()):
            try:
                await fn(*args)
            except Exception as exc:
                failed += 1
                self._log.error("handler.failed", handler_event=name, error=repr(exc), exc_info=exc)
        return failed


class RtviHandle(EventHandlers):
    """``session.rtvi``: the RTVI processor's API for application code.

    Events: ``on_client_ready(rtvi)``, ``on_client_message(rtvi, msg)`` (``msg`` has ``id``,
    ``type`` (the ``t``) and ``data`` (the ``d``)), ``on_ui_message(rtvi, msg)``,
    ``on_dtmf(rtvi, buttons)``, ``on_client_disconnect_requested(rtvi)``.

    The methods work while the session's RTVI actor runs (it attaches itself as the backend).
    Protocol settings (``legacy_enabled``, ``about``, observer parameters, legacy services and
    actions) are read when the RTVI actor starts, so set them in the bot's build function.
    """

    EVENTS = (
        "on_client_ready",
        "on_client_message",
        "on_ui_message",
        "on_dtmf",
        "on_client_disconnect_requested",
    )

    def __init__(self) -> None:
        super().__init__()
        self.backend: Any = None
        self.options: dict[str, Any] = {}
        self.services: list[Any] = []
        self.actions: list[Any] = []
        self.state: Any = None  # the session's RtviProtocol, owned here to survive restarts
        self.ignored = 0
        """Client messages that were not RTVI (another label, or not a JSON object): dropped
        without a reply, as the protocol says, and counted here."""

    def _require(self) -> Any:
        if self.backend is None:
            raise RuntimeError("the RTVI actor is not running in this session")
        return self.backend

    def register_service(self, service: Any) -> None:
        """Register a legacy (0.x) ``RTVIService`` for old clients' config requests."""
        self.services.append(service)

    def register_action(self, action: Any) -> None:
        """Register a legacy (0.x) ``RTVIAction``."""
        self.actions.append(action)

    async def set_bot_ready(self) -> None:
        """Send ``bot-ready`` now (only needed with ``auto_bot_ready=False``)."""
        await self._require().set_bot_ready()

    async def send_server_message(self, data: Any) -> None:
        """Send ``server-message`` with ``data`` to the client."""
        await self._require().send_server_message(data)

    async def send_server_response(self, request_id: str, data: Any = None) -> None:
        """Answer the ``client-message`` ``request_id`` with ``server-response``."""
        await self._require().send_server_response(request_id, data)

    async def send_error_response(self, request_id: str, error: str) -> None:
        """Answer request ``request_id`` with ``error-response``."""
        await self._require().send_error_response(request_id, error)

    async def send_error(self, error: str, *, fatal: bool = False) -> None:
        """Send an ``error`` message (keep internal details out of ``error``)."""
        await self._require().send_error(error, fatal=fatal)

    def interrupt_bot(self) -> None:
        """Interrupt the bot now (barge-in from application code)."""
        self._require().interrupt_bot()

    def configure_observer(self, **changes: Any) -> None:
        """Change observer parameters at run time (server side only)."""
        self._require().configure_observer(changes)


class TransportHandle(EventHandlers):
    """``session.transport``: ``on_client_connected(transport, session)`` and
    ``on_client_disconnected(transport, session)``."""

    EVENTS = ("on_client_connected", "on_client_disconnected")


class Session:
    """One client session: its id, connection, graph and the application hooks."""

    def __init__(
        self, session_id: str, conn: Any = None, params: dict[str, str] | None = None
    ) -> None:
        self.id = session_id
        self.conn = conn
        self.params: dict[str, str] = dict(params or {})
        """The connection's query parameters (``?framing=json``, ...)."""
        self.rtvi = RtviHandle()
        self.transport = TransportHandle()
        self.graph: SessionGraph | None = None
        self.data: dict[str, Any] = {}
        """Free space for the application (per session)."""
        self._scope = trio.CancelScope()

    @property
    def cancel_scope(self) -> trio.CancelScope:
        """The scope the session runs in; cancelling it ends the session."""
        return self._scope

    def cancel(self) -> None:
        """End the session now (the connection closes normally). Synchronous, idempotent."""
        self._scope.cancel()

    def interrupt(self, reason: str = "application") -> int:
        """Interrupt the bot now. Returns the new epoch."""
        if self.graph is None:
            raise RuntimeError("the session graph is not built yet")
        return self.graph.interrupt(reason)

    def queue(self, actor: str, msg: Any) -> bool:
        """Put ``msg`` into ``actor``'s mailbox (declared with ``Graph.inlet``), never blocking.

        Returns False when the mailbox is full (counted) or already closed.
        """
        if self.graph is None:
            raise RuntimeError("the session graph is not built yet")
        return self.graph.inject(actor, msg)
