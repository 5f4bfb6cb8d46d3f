"""The server supervisor: one temporary session per WebSocket connection, behind a crash boundary.

trio-websocket's server dies when a handler raises, taking every session with it; here each
connection's handler catches everything but cancellation, so one session's crash closes only
its own connection (code 1011) and the server and the other sessions go on.
"""

from __future__ import annotations

import itertools
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
        self._ids = itertools.count(1)

    async def serve(
        self, host: str, port: int, *, task_status: trio.TaskStatus[Any] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Listen and serve until cancelled. ``task_status.started`` receives the bound port.

        Cancellation: live sessions are cancelled and their connections closed with 1001.
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

    async def _handle(self, request: WebSocketRequest) -> None:
        path = request.path.split("?", 1)[0]
        if path != self.path:
            self._counts["rejected"] += 1
            with trio.move_on_after(self.close_timeout):
                await request.reject(404, body=b"not found\n")
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
        log = self._log.bind(session_id=session_id)
        log.info("session.started", remote=str(conn.remote))
        code, reason = CLOSE_GOING_AWAY, "server shutting down"
        try:
            await self.handler(conn, session_id)
            code, reason = CLOSE_NORMAL, "session ended"
        except ConnectionClosed:
            code, reason = CLOSE_NORMAL, "client closed"
        except Exception as exc:  # the crash boundary: one session dies, the server lives
            self._counts["crashed"] += 1
            log.error("session.crashed", error=repr(exc), exc_info=exc)
            code, reason = CLOSE_INTERNAL_ERROR, "internal error"
        finally:
            self._live.discard(session_id)
            self._counts["ended"] += 1
            with trio.move_on_after(self.close_timeout, shield=True):
                await conn.aclose(code, reason)
            log.info("session.ended", close_code=code)

    def statistics(self) -> ServerStatistics:
        """A snapshot of the session counters."""
        return ServerStatistics(live=len(self._live), **self._counts)
