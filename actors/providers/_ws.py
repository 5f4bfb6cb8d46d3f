"""WebSocket client plumbing for the streaming providers (trio-websocket under our deadlines).

We open the TCP/TLS stream ourselves and hand it to ``trio_websocket.wrap_client_stream``, so the
socket is always closed on exit: when the *server* starts the close handshake, trio-websocket's
client waits for the server to drop TCP and never closes its own socket.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import trio
import trio_websocket

from .errors import ProviderConnectionError, ProviderStalled, error_for_status

__all__ = ["open_ws", "single_exception"]

#: Bounded close handshake when leaving normally or after one of our own errors.
CLOSE_GRACE = 1.0
#: When cancelled from outside no close reply can arrive: just try to send the close frame.
ABORT_GRACE = 0.05


@asynccontextmanager
async def open_ws(
    url: str,
    *,
    headers: list[tuple[bytes, bytes]],
    connect_deadline: float,
    provider: str,
    secret: str | None,
) -> AsyncIterator[trio_websocket.WebSocketConnection]:
    """Connect to ``url`` (``ws://`` or ``wss://``) and yield the open WebSocket.

    Raises:
        ProviderStalled: TCP, TLS and the handshake took longer than ``connect_deadline``.
        ProviderAuthError, ProviderRateLimited, ProviderError: The handshake was rejected
            (mapped by HTTP status; the body is scrubbed of ``secret``).
        ProviderConnectionError: The network failed.

    Cancellation: on exit the close handshake is bounded (shielded) and the socket is closed.
    """
    parts = urlsplit(url)
    secure = parts.scheme == "wss"
    host = parts.hostname or ""
    port = parts.port or (443 if secure else 80)
    resource = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = host if port in (80, 443) else f"{host}:{port}"
    deadline_at = trio.current_time() + connect_deadline
    stream: trio.abc.Stream | None = None
    try:
        with trio.move_on_at(deadline_at):
            try:
                stream = await trio.open_tcp_stream(host, port)
            except OSError as exc:
                raise ProviderConnectionError(
                    f"{type(exc).__name__} connecting", provider=provider
                ) from None
        if stream is None:
            raise _stalled(connect_deadline, provider)
        if secure:
            stream = trio.SSLStream(
                stream, ssl.create_default_context(), server_hostname=host, https_compatible=True
            )
        try:
            async with trio.open_nursery() as ws_nursery:
                ws = None
                with trio.move_on_at(deadline_at):
                    ws = await trio_websocket.wrap_client_stream(
                        ws_nursery, stream, host_header, resource, extra_headers=headers
                    )
                if ws is None:
                    raise _stalled(connect_deadline, provider)
                try:
                    yield ws
                finally:
                    await _close(ws)
                    ws_nursery.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            single = single_exception(group)
            if single is None:
                raise
            if isinstance(single, trio_websocket.ConnectionRejected):
                raise error_for_status(
                    single.status_code, single.body or b"", provider=provider, secrets=[secret]
                ) from None
            if isinstance(single, trio_websocket.HandshakeError | trio.BrokenResourceError):
                raise ProviderConnectionError(
                    f"{type(single).__name__} during handshake", provider=provider
                ) from None
            raise single from None
    finally:
        if stream is not None:
            with trio.move_on_after(ABORT_GRACE, shield=True):
                await stream.aclose()


async def _close(ws: trio_websocket.WebSocketConnection) -> None:
    outer_cancelled = trio.current_effective_deadline() == -math.inf
    with trio.move_on_after(ABORT_GRACE if outer_cancelled else CLOSE_GRACE, shield=True):
        await ws.aclose(1000)


def _stalled(deadline: float, provider: str) -> ProviderStalled:
    return ProviderStalled(
        f"no connection within {deadline:g}s", phase="connect", deadline=deadline, provider=provider
    )


def single_exception(group: BaseExceptionGroup) -> BaseException | None:
    """Return the one meaningful exception in ``group`` (ignoring ``Cancelled``), if there is
    exactly one; a lone ``Cancelled`` if that is all there is; otherwise ``None``."""
    leaves: list[BaseException] = []
    stack: list[BaseException] = [group]
    while stack:
        exc = stack.pop()
        if isinstance(exc, BaseExceptionGroup):
            stack.extend(exc.exceptions)
        else:
            leaves.append(exc)
    errors = [e for e in leaves if not isinstance(e, trio.Cancelled)]
    if len(errors) == 1:
        return errors[0]
    if not errors and leaves:
        return leaves[0]
    return None
