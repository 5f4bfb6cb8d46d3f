"""The server supervisor: one temporary session per WebSocket connection, behind a crash boundary.

trio-websocket's own server dies when a handler raises, taking every session with it; here each
connection's handler catches everything but cancellation, so one session's crash closes only
its own connection (code 1011) and the server and the other sessions go on.

One port serves everything: plain HTTP (the demo page, ``POST /start``) and the WebSocket.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, final

import attrs
import structlog
import trio
from trio_websocket import ConnectionClosed, WebSocketConnection, wrap_server_stream

from rtvi_actors.web import HttpHandler, HttpRequest

from .front import DEFAULT_HTTP, HeadError, PrefixedStream, read_head, write_response

__all__ = [
    "CLOSE_GOING_AWAY",
    "CLOSE_INTERNAL_ERROR",
    "CLOSE_NORMAL",
    "CLOSE_UNAUTHORIZED",
    "Server",
    "ServerStatistics",
    "SessionHandler",
]

CLOSE_NORMAL: Final = 1000
CLOSE_GOING_AWAY: Final = 1001
CLOSE_INTERNAL_ERROR: Final = 1011
CLOSE_UNAUTHORIZED: Final = 4001

SessionHandler = Callable[[WebSocketConnection, str], Awaitable[None]]
"""Runs one session on an accepted connection: ``await handler(conn, session_id)``."""


@final
@attrs.frozen(kw_only=True)
class ServerStatistics:
    """Connection and session counters of a server."""

    live: int
    accepted: int
    rejected: int
    unauthorized: int
    http_requests: int
    bad_requests: int
    ended: int
    crashed: int


def new_session_id() -> str:
    """A short random session id (not a secret; it appears in logs)."""
    return secrets.token_hex(6)


class Server:
    """Serve sessions over WebSocket at ``ws://HOST:PORT{path}`` and plain HTTP beside it.

    Args:
        handler: runs one session (see :data:`SessionHandler`).
        path: the WebSocket path; an upgrade on another path gets HTTP 404.
        http: answers plain HTTP requests (default: 404 for everything).
        token: if set, WebSocket clients must send ``?token=`` equal to it (compared in
            constant time); others are closed with code 4001.
        allowed_origins: if set, a handshake whose ``Origin`` is not listed gets HTTP 403.
        max_message_size: larger messages close the connection (1009).
        close_timeout: how long a closing handshake may take before the socket is dropped.
        handshake_timeout: how long a client may take to send its request head.
    """

    def __init__(
        self,
        handler: SessionHandler,
        *,
        path: str = "/ws",
        http: HttpHandler = DEFAULT_HTTP,
        token: str | None = None,
        allowed_origins: Sequence[str] | None = None,
        max_message_size: int = 1 << 20,
        close_timeout: float = 2.0,
        handshake_timeout: float = 10.0,
    ) -> None:
        self.handler = handler
        self.path = path
        self.http = http
        self.token = token
        self.allowed_origins = tuple(allowed_origins) if allowed_origins is not None else None
        self.max_message_size = max_message_size
        self.close_timeout = close_timeout
        self.handshake_timeout = handshake_timeout
        self._log = structlog.get_logger("supervisors.server")
        self._live: set[str] = set()
        self._counts = dict.fromkeys(
            (
                "accepted",
                "rejected",
                "unauthorized",
                "http_requests",
                "bad_requests",
                "ended",
                "crashed",
            ),
            0,
        )
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
            listeners = await nursery.start(
                functools.partial(
                    trio.serve_tcp, self._handle_stream, port, host=host, handler_nursery=nursery
                )
            )
            task_status.started(listeners[0].socket.getsockname()[1])
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

    async def _handle_stream(self, stream: trio.SocketStream) -> None:
        try:
            with trio.fail_after(self.handshake_timeout):
                request, raw = await read_head(stream)
        except (HeadError, trio.TooSlowError, trio.BrokenResourceError, OSError) as exc:
            self._counts["bad_requests"] += 1
            self._log.info("http.bad_request", error=str(exc))
            with trio.move_on_after(self.close_timeout, shield=True):
                await stream.aclose()
            return
        try:
            if request.headers.get("upgrade", "").lower() == "websocket":
                await self._websocket(stream, request, raw)
            else:
                self._counts["http_requests"] += 1
                response = self.http(request)
                with trio.move_on_after(self.close_timeout):
                    await write_response(stream, response, head=request.method == "HEAD")
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass  # the peer went away
        finally:
            with trio.move_on_after(self.close_timeout, shield=True):
                await stream.aclose()

    async def _websocket(self, stream: trio.SocketStream, request: HttpRequest, raw: bytes) -> None:
        async with trio.open_nursery() as conn_nursery:
            ws_request = await wrap_server_stream(
                conn_nursery,
                PrefixedStream(stream, raw),
                max_message_size=self.max_message_size,
            )
            refusal = self._refusal(request)
            if refusal is not None:
                self._counts["rejected"] += 1
                with trio.move_on_after(self.close_timeout):
                    await ws_request.reject(refusal[0], body=refusal[1])
                conn_nursery.cancel_scope.cancel()
                return
            conn = await ws_request.accept()
            if self.token is not None and not self._token_ok(request):
                self._counts["unauthorized"] += 1
                self._log.warning("session.unauthorized", remote=str(conn.remote))
                with trio.move_on_after(self.close_timeout):
                    await conn.aclose(CLOSE_UNAUTHORIZED, "unauthorized")
                conn_nursery.cancel_scope.cancel()
                return
            await self.run_connection(conn)
            conn_nursery.cancel_scope.cancel()

    def _refusal(self, request: HttpRequest) -> tuple[int, bytes] | None:
        if request.path != self.path:
            return 404, b"not found\n"
        if self._closing.is_set():
            return 503, b"shutting down\n"
        origin = request.headers.get("origin")
        allowed = self.allowed_origins
        if allowed is not None and origin is not None and origin not in allowed:
            return 403, b"origin not allowed\n"
        return None

    def _token_ok(self, request: HttpRequest) -> bool:
        assert self.token is not None
        given = request.query.get("token", [""])[0]
        return hmac.compare_digest(given.encode(), self.token.encode())

    async def run_connection(self, conn: WebSocketConnection) -> None:
        """Run one session on ``conn`` behind the crash boundary, then close ``conn``.

        Closes with 1000 after a normal end, 1011 after a crash, 1001 when the server is
        closing or cancelled. Never raises anything but cancellation.
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
        """A snapshot of the counters."""
        return ServerStatistics(live=len(self._live), **self._counts)
