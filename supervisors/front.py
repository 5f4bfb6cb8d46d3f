"""The front door: one TCP port for plain HTTP (page, ``/start``) and the WebSocket.

trio-websocket only speaks WebSocket, so the front door reads the request head itself. A
WebSocket upgrade is handed to trio-websocket with the bytes already read put back in front of
the stream; anything else is answered as plain HTTP with h11.
"""

from __future__ import annotations

import os
from typing import Final

import h11
import trio

from rtvi_actors.web import HttpHandler, HttpRequest, HttpResponse

__all__ = ["HeadError", "PrefixedStream", "read_head", "write_response"]

MAX_HEAD: Final = 16 * 1024
MAX_BODY: Final = 64 * 1024


class HeadError(Exception):
    """The request head was malformed, too large or incomplete."""


class PrefixedStream(trio.abc.Stream):
    """A stream that first returns ``prefix``, then reads from ``inner``."""

    def __init__(self, inner: trio.abc.Stream, prefix: bytes) -> None:
        self.inner = inner
        self._prefix = prefix
        self._fd_writes = isinstance(inner, trio.SocketStream) and os.name == "posix"

    @property
    def writes_now(self) -> bool:
        """Whether :meth:`send_some_nowait` can write (a plain socket on a POSIX system)."""
        return self._fd_writes

    def send_some_nowait(self, data: bytes | memoryview) -> int:
        """Write as much of ``data`` as the socket takes now, without blocking or yielding.

        Only for a caller that knows no :meth:`send_all` is in progress (the WebSocket
        connection's write lock is free), and only when :attr:`writes_now`.

        Returns:
            How many bytes were written (0 when the socket's buffer is full).

        Raises:
            trio.ClosedResourceError: the socket was closed or shut down for writing.
            trio.BrokenResourceError: the peer is gone (reset, broken pipe).
        """
        sock = self.inner.socket  # type: ignore[attr-defined]
        fd = sock.fileno()
        if fd == -1 or sock.did_shutdown_SHUT_WR:
            raise trio.ClosedResourceError("the socket is closed")
        try:
            return os.write(fd, data)
        except BlockingIOError:
            return 0
        except OSError as exc:
            raise trio.BrokenResourceError(f"socket write failed: {exc}") from exc

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        if self._prefix:
            n = len(self._prefix) if max_bytes is None else max_bytes
            data, self._prefix = self._prefix[:n], self._prefix[n:]
            await trio.lowlevel.checkpoint()
            return data
        return await self.inner.receive_some(max_bytes)

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        await self.inner.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self.inner.wait_send_all_might_not_block()

    async def send_eof(self) -> None:
        send_eof = getattr(self.inner, "send_eof", None)
        if send_eof is not None:
            await send_eof()

    async def aclose(self) -> None:
        await self.inner.aclose()


async def read_head(stream: trio.abc.Stream) -> tuple[HttpRequest, bytes]:
    """Read one request head (and, for plain HTTP, its small body).

    Returns:
        The request and every byte read so far (to replay to a WebSocket handshake).

    Raises:
        HeadError: malformed, larger than 16 KiB (64 KiB body), or the peer closed early.

    Cancellation: safe; the caller closes the stream.
    """
    buf = bytearray()
    while b"\r\n\r\n" not in buf:
        if len(buf) > MAX_HEAD:
            raise HeadError("request head too large")
        chunk = await stream.receive_some(4096)
        if not chunk:
            raise HeadError("connection closed before the request head")
        buf += chunk
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
    conn.receive_data(bytes(buf))
    try:
        event = conn.next_event()
    except h11.RemoteProtocolError as exc:
        raise HeadError(f"malformed request: {exc}") from None
    if not isinstance(event, h11.Request):
        raise HeadError("malformed request head")
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in event.headers}
    request = HttpRequest(
        method=event.method.decode("ascii"), target=event.target.decode("latin-1"), headers=headers
    )
    if "upgrade" in headers.get("connection", "").lower():
        return request, bytes(buf)
    body = bytearray()
    while True:
        try:
            ev = conn.next_event()
        except h11.RemoteProtocolError as exc:
            raise HeadError(f"malformed request body: {exc}") from None
        if isinstance(ev, h11.Data):
            body += ev.data
            if len(body) > MAX_BODY:
                raise HeadError("request body too large")
        elif isinstance(ev, h11.EndOfMessage):
            break
        elif ev is h11.NEED_DATA:
            chunk = await stream.receive_some(4096)
            if not chunk:
                raise HeadError("connection closed in the request body")
            conn.receive_data(chunk)
        else:
            raise HeadError("unexpected HTTP event")
    return HttpRequest(
        method=request.method, target=request.target, headers=headers, body=bytes(body)
    ), bytes(buf)


async def write_response(stream: trio.abc.Stream, response: HttpResponse, *, head: bool) -> None:
    """Write ``response`` (no body for HEAD) and close the connection.

    Cancellation: the response may be cut short; the caller closes the stream.
    """
    conn = h11.Connection(h11.SERVER)
    # h11 needs to have seen a request to produce a response
    conn.receive_data(b"HEAD" if head else b"GET")
    conn.receive_data(b" / HTTP/1.1\r\nhost: x\r\n\r\n")
    conn.next_event()
    headers = [
        ("content-type", response.content_type),
        ("content-length", str(len(response.body))),
        ("connection", "close"),
        *response.headers,
    ]
    data = conn.send(h11.Response(status_code=response.status, headers=headers))
    if not head and response.body:
        data += conn.send(h11.Data(data=response.body))
    data += conn.send(h11.EndOfMessage())
    await stream.send_all(data)


def not_found(_: HttpRequest) -> HttpResponse:
    """The HTTP handler of a server with no page: 404 for everything."""
    return HttpResponse.text(404, "not found\n")


DEFAULT_HTTP: HttpHandler = not_found
