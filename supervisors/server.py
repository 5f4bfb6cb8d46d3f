"""The server supervisor: one temporary session per WebSocket connection, behind a crash boundary.

trio-websocket's server dies when a handler raises, taking every session with it; here each
connection's handler catches everything but cancellation, so one session's crash closes only
its own connection (code 1011) and the server and the other sessions go on.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any, Final, final

import attrs
import structlog
import trio
from trio_websocket import ConnectionClosed, WebSocketConnection, WebSocketRequest, serve_websocket

__all__ = [
    "CLOSE_GOING_AWAY",
    "CLOSE_INTERNAL_ERROR",
    "CLOSE_NORMAL",
    "Server",
    "ServerStatistics",
    "SessionHandler",
]

CLOSE_NORMAL: Final = 1000
CLOSE_GOING_AWAY: Final = 1001
CLOSE_INTERNAL_ERROR: Final = 1011

SessionHandler = Callable[[WebSocketConnection, str], Awaitable[None]]
"""Runs one session on an accepted connection: ``await handler(conn, session_id)``."""


@final
@attrs.frozen(kw_only=True)
class ServerStatistics:
    """Session counters of a server."""

    live: int
    accepted: int
    rejected: int
    ended: int
    crashed: int


def new_session_id() -> str:
    """A short random session id (not a secret; it appears in logs)."""
    return secrets.token_hex(6)


class Server:
    """Serve RTVI sessions over WebSocket at ``ws://HOST:PORT{path}``.

    Args:
        handler: runs one session (see :data:`SessionHandler`).
        path: the WebSocket path; other paths are rejected with HTTP 404.
        max_message_size: larger messages close the connection (1009), per trio-websocket.
        close_timeout: how long a closing handshake may take before the socket is dropped.
    """

    def __init__(
        self,
        handler: SessionHandler,
        *,
        path: str = "/ws",
        max_message_size: int = 1 << 20,
        close_timeout: float = 2.0,
    ) -> None:
        self.handler = handler
        self.path = path
        self.max_message_size = max_message_size
        self.close_timeout = close_timeout
        self._log = structlog.get_logger("supervisors.server")
        self._live: set[str] = set()
        self._counts = dict.fromkeys(("accepted", "rejected", "ended", "crashed"), 0)
        self._scopes: dict[str, trio.CancelScope] = {}
        self._closing = trio.Event()
        self._idle = trio.Event()
        self._idle.set()

    async def serve(
        self, host: str, port: int, *, task_status: trio.TaskStatus[Any] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Listen and serve until :meth:`close` (or cancellation).

        ``task_status.started`` receives the bound port. After :meth:`close`, new connections
        are refused (HTTP 503), live sessions end with close code 1001, and ``serve`` returns
        once they are closed (at most ``close_timeout`` later).

        Cancellation: live sessions are cancelled at once; their connections are sent a 1001
        close frame, but the closing handshake may not complete.
        """
        async with trio.open_nursery() as nursery:
            server = await nursery.start(
                lambda task_status: serve_websocket(
                    self._handle,
                    host,
                    port,
                    None,
                    handler_nursery=nursery,
                    max_message_size=self.max_message_size,
                    disconnect_timeout=self.close_timeout,
                    task_status=task_status,
                )
            )
            task_status.started(server.port)
            await self._closing.wait()
            with trio.move_on_after(self.close_timeout * 2):
                await self._idle.wait()
            nursery.cancel_scope.cancel()

    @property
    def closing(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closing.is_set()

    def close(self) -> None:
        """Begin a graceful shutdown: refuse new sessions and end live ones with 1001.

        Idempotent and synchronous; :meth:`serve` returns when the sessions have closed.
        """
        self._closing.set()
        for scope in self._scopes.values():
            scope.cancel()

    async def _handle(self, request: WebSocketRequest) -> None:
        path = request.path.split("?", 1)[0]
        if path != self.path or self._closing.is_set():
            status, body = (503, b"shutting down\n") if path == self.path else (404, b"not found\n")
            self._counts["rejected"] += 1
            with trio.move_on_after(self.close_timeout):
                await request.reject(status, body=body)
            return
        conn = await request.accept()
        await self.run_connection(conn)

    async def run_connection(self, conn: WebSocketConnection) -> None:
        """Run one session on ``conn`` behind the crash boundary, then close ``conn``.

        Closes with 1000 after a normal end, 1011 after a crash, 1001 when cancelled
        (server shutdown). Never raises anything but cancellation.
        """
        session_id = new_session_id()
        structlog.contextvars.bind_contextvars(session_id=session_id)
        self._counts["accepted"] += 1
        self._live.add(session_id)
        self._idle = trio.Event()
        scope = self._scopes[session_id] = trio.CancelScope()
        if self._closing.is_set():
            scope.cancel()
        log = self._log.bind(session_id=session_id)
        log.info("session.started", remote=str(conn.remote))
        code, reason = CLOSE_GOING_AWAY, "server shutting down"
        try:
            with scope:
                await self.handler(conn, session_id)
                code, reason = CLOSE_NORMAL, "session ended"
        except ConnectionClosed:
            code, reason = CLOSE_NORMAL, "client closed"
        except Exception as exc:  # the crash boundary: one session dies, the server lives
            self._counts["crashed"] += 1
            log.error("session.crashed", error=repr(exc), exc_info=exc)
            code, reason = CLOSE_INTERNAL_ERROR, "internal error"
        finally:
            with trio.move_on_after(self.close_timeout, shield=True):
                await conn.aclose(code, reason)
            self._scopes.pop(session_id, None)
            self._live.discard(session_id)
            self._counts["ended"] += 1
            if not self._live:
                self._idle.set()
            log.info("session.ended", close_code=code)

    def statistics(self) -> ServerStatistics:
        """A snapshot of the session counters."""
        return ServerStatistics(live=len(self._live), **self._counts)
