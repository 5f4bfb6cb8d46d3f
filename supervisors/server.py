"""The server supervisor: one temporary session per WebSocket connection, behind a crash boundary.

trio-websocket's own server dies when a handler raises, taking every session with it; here each
connection's handler catches everything but cancellation, so one session's crash closes only
its own connection (code 1011) and the server and the other sessions go on.

One port serves everything: plain HTTP (the demo page, ``POST /start``) and the WebSocket.

Limits and liveness: at most ``max_connections_per_ip`` concurrent connections per client
address (HTTP 429 beyond it); a request head must arrive within ``handshake_timeout``; the
server pings every session every ``ping_interval`` seconds and drops one that does not answer
within ``ping_timeout`` (a vanished or stalled peer); messages over ``max_message_size`` close
the connection with 1009.

Graceful shutdown (:meth:`Server.close`): new connections get HTTP 503; a session whose
connection was claimed for draining (``conn.will_drain()``, which the voice transport does) is
told to finish the bot's current utterance and end itself within the grace period; every other
session, and any still running when the grace is up, is cancelled. All close with 1001.
"""

from __future__ import annotations

import functools
import hmac
import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, final

import attrs
import structlog
import trio
from trio_websocket import ConnectionClosed, WebSocketConnection, wrap_server_stream

from rtvi_actors.web import HttpHandler, HttpRequest, HttpResponse

from .connection import (
    CLOSE_NORMAL,
    SessionConnection,
    head_error,
    new_session_id,
    peer_gone,
    peer_ip,
)
from .front import DEFAULT_HTTP, HeadError, PrefixedStream, read_head, write_response

__all__ = [
    "CLOSE_GOING_AWAY",
    "CLOSE_INTERNAL_ERROR",
    "CLOSE_NORMAL",
    "CLOSE_UNAUTHORIZED",
    "Server",
    "ServerStatistics",
    "SessionConnection",
    "SessionHandler",
]

CLOSE_GOING_AWAY: Final = 1001
CLOSE_INTERNAL_ERROR: Final = 1011
CLOSE_UNAUTHORIZED: Final = 4001

SessionHandler = Callable[[Any, str], Awaitable[None]]
"""Runs one session on an accepted connection: ``await handler(conn, session_id)``; ``conn`` is
a :class:`SessionConnection`."""

OVER_LIMIT_HEAD_TIMEOUT: Final = 2.0
"""How long a connection beyond the per-address cap may take to send its head (then 429)."""


@final
@attrs.frozen(kw_only=True)
class ServerStatistics:
    """Connection and session counters of a server."""

    live: int
    connections: int
    """Open TCP connections (HTTP, WebSocket, or not yet known)."""
    accepted: int
    rejected: int
    unauthorized: int
    http_requests: int
    bad_requests: int
    ended: int
    crashed: int
    too_many: int
    """Connections refused with HTTP 429 (over ``max_connections_per_ip``)."""
    timed_out: int
    """Sessions dropped because the client did not answer a ping in time."""
    drained: int
    """Sessions that ended by themselves during a graceful shutdown (within the grace)."""
    aborted: int
    """Connections the peer dropped before a session started or a response was written."""
    errors: int
    """Connections that failed outside a session (a bug; logged with its traceback)."""


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
        max_connections_per_ip: concurrent connections (HTTP or WebSocket) allowed from one
            client address; more get HTTP 429. ``None``: no cap (behind a proxy, where every
            client has the proxy's address, cap at the proxy instead).
        ping_interval: ping every session this often (seconds); ``None``: never.
        ping_timeout: a session whose client does not answer a ping within this is closed
            (1001, "ping timeout").
        drain_grace: on :meth:`close`, how long draining sessions may take to finish.
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
        max_connections_per_ip: int | None = 32,
        ping_interval: float | None = 20.0,
        ping_timeout: float = 10.0,
        drain_grace: float = 10.0,
    ) -> None:
        self.handler = handler
        self.path = path
        self.http = http
        self.token = token
        self.allowed_origins = tuple(allowed_origins) if allowed_origins is not None else None
        self.max_message_size = max_message_size
        self.close_timeout = close_timeout
        self.handshake_timeout = handshake_timeout
        self.max_connections_per_ip = max_connections_per_ip
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.drain_grace = drain_grace
        self._log = structlog.get_logger("supervisors.server")
        self._live: set[str] = set()
        self._per_ip: dict[str, int] = {}
        self._conns: dict[str, SessionConnection] = {}
        self._grace = drain_grace
        self._counts = dict.fromkeys(
            (
                "accepted",
                "rejected",
                "unauthorized",
                "http_requests",
                "bad_requests",
                "ended",
                "crashed",
                "too_many",
                "timed_out",
                "drained",
                "aborted",
                "errors",
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
        are refused (HTTP 503); draining sessions get the grace period to finish, the others
        are cancelled; all end with close code 1001, and ``serve`` returns once they are
        closed (at most grace + ``2 * close_timeout`` after :meth:`close`).

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
            with trio.move_on_after(self._grace):
                await self._idle.wait()
            for scope in self._scopes.values():  # the grace is up
                scope.cancel()
            with trio.move_on_after(self.close_timeout * 2):
                await self._idle.wait()
            nursery.cancel_scope.cancel()

    @property
    def closing(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closing.is_set()

    def close(self, grace: float | None = None) -> None:
        """Begin a graceful shutdown: refuse new sessions and end live ones with 1001.

        Sessions that claimed draining (``conn.will_drain()``) are asked to finish and get
        ``grace`` seconds (default ``drain_grace``) before they are cancelled; the others are
        cancelled now. Idempotent and synchronous; :meth:`serve` returns when the sessions
        have closed.
        """
        if not self._closing.is_set():
            self._grace = self.drain_grace if grace is None else max(0.0, grace)
        self._closing.set()
        for session_id, scope in self._scopes.items():
            conn = self._conns.get(session_id)
            if conn is not None and conn.drains and self._grace > 0:
                conn.drain_requested.set()
            else:
                scope.cancel()

    async def _handle_stream(self, stream: trio.SocketStream) -> None:
        ip = peer_ip(stream)
        count = self._per_ip[ip] = self._per_ip.get(ip, 0) + 1
        try:
            over = self.max_connections_per_ip is not None and count > self.max_connections_per_ip
            await self._handle_counted(stream, over)
        finally:
            left = self._per_ip[ip] - 1
            if left:
                self._per_ip[ip] = left
            else:
                del self._per_ip[ip]

    async def _handle_counted(self, stream: trio.SocketStream, over: bool) -> None:
        timeout = min(self.handshake_timeout, OVER_LIMIT_HEAD_TIMEOUT if over else math.inf)
        try:
            with trio.fail_after(timeout):
                request, raw = await read_head(stream)
        except (HeadError, trio.TooSlowError, trio.BrokenResourceError, OSError) as exc:
            self._counts["bad_requests"] += 1
            self._log.info("http.bad_request", error=head_error(exc))
            with trio.move_on_after(self.close_timeout, shield=True):
                await stream.aclose()
            return
        try:
            if over:
                self._counts["too_many"] += 1
                self._log.warning("http.too_many_connections", limit=self.max_connections_per_ip)
                response = HttpResponse(
                    status=429, body=b"too many connections\n", headers=(("retry-after", "1"),)
                )
                with trio.move_on_after(self.close_timeout):
                    await write_response(stream, response, head=request.method == "HEAD")
            elif request.headers.get("upgrade", "").lower() == "websocket":
                await self._websocket(stream, request, raw)
            else:
                self._counts["http_requests"] += 1
                response = self.http(request)
                with trio.move_on_after(self.close_timeout):
                    await write_response(stream, response, head=request.method == "HEAD")
        except Exception as exc:  # each connection's crash boundary: never the server's
            if peer_gone(exc):
                self._counts["aborted"] += 1
            else:
                self._counts["errors"] += 1
                self._log.error("connection.failed", error=type(exc).__name__, exc_info=exc)
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
                self._log.warning("session.unauthorized", remote=peer_ip(stream))
                with trio.move_on_after(self.close_timeout):
                    await conn.aclose(CLOSE_UNAUTHORIZED, "unauthorized")
                conn_nursery.cancel_scope.cancel()
                return
            session_conn = SessionConnection(conn)
            session_conn.peer = peer_ip(stream)
            if self.ping_interval is not None:
                conn_nursery.start_soon(self._heartbeat, session_conn)
            await self.run_connection(session_conn)
            conn_nursery.cancel_scope.cancel()

    async def _heartbeat(self, conn: SessionConnection) -> None:
        """Ping every ``ping_interval``; a client that misses a pong ends its session."""
        assert self.ping_interval is not None
        try:
            while True:
                await trio.sleep(self.ping_interval)
                with trio.move_on_after(self.ping_timeout) as waited:
                    await conn.ws.ping()
                if waited.cancelled_caught:
                    conn.timed_out = True
                    if conn.scope is not None:
                        conn.scope.cancel()
                    return
        except (ConnectionClosed, trio.BrokenResourceError, trio.ClosedResourceError):
            return  # the connection is closing anyway

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
        closing or cancelled, or when the client stopped answering pings. The handler gets a
        :class:`SessionConnection` (``conn`` is wrapped unless it is one). Never raises
        anything but cancellation.
        """
        if not isinstance(conn, SessionConnection):
            conn = SessionConnection(conn)
        session_id = new_session_id()
        structlog.contextvars.bind_contextvars(session_id=session_id)
        self._counts["accepted"] += 1
        self._live.add(session_id)
        self._idle = trio.Event()
        scope = self._scopes[session_id] = conn.scope = trio.CancelScope()
        self._conns[session_id] = conn
        if self._closing.is_set():
            scope.cancel()
        log = self._log.bind(session_id=session_id)
        log.info("session.started", remote=getattr(conn, "peer", "unknown"))
        code, reason = CLOSE_GOING_AWAY, "server shutting down"
        try:
            with scope:
                await self.handler(conn, session_id)
                code, reason = CLOSE_NORMAL, "session ended"
                if self._closing.is_set():
                    self._counts["drained"] += 1
                    code, reason = CLOSE_GOING_AWAY, "server shutting down"
            if conn.timed_out:
                self._counts["timed_out"] += 1
                log.info("session.ping_timeout", timeout=self.ping_timeout)
                code, reason = CLOSE_GOING_AWAY, "ping timeout"
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
            self._conns.pop(session_id, None)
            self._live.discard(session_id)
            self._counts["ended"] += 1
            if not self._live:
                self._idle.set()
            log.info("session.ended", close_code=code)

    def statistics(self) -> ServerStatistics:
        """A snapshot of the counters."""
        return ServerStatistics(
            live=len(self._live), connections=sum(self._per_ip.values()), **self._counts
        )

    def connections_from(self, ip: str) -> int:
        """How many connections from ``ip`` are open now (HTTP and WebSocket)."""
        return self._per_ip.get(ip, 0)
