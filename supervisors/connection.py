"""The connection a session gets, and the small helpers the server uses about peers."""

from __future__ import annotations

import secrets
from typing import Any, Final

import trio
from trio_websocket import ConnectionClosed, WebSocketConnection
from wsproto.events import BytesMessage, TextMessage

from .front import HeadError
from .write_lock import WriteLock

__all__ = [
    "CLOSE_NORMAL",
    "SessionConnection",
    "head_error",
    "new_session_id",
    "peer_gone",
    "peer_ip",
]

CLOSE_NORMAL: Final = 1000


def new_session_id() -> str:
    """A short random session id (not a secret; it appears in logs)."""
    return secrets.token_hex(6)


class SessionConnection:
    """The connection a session handler gets: the accepted ``WebSocketConnection`` (every
    attribute is delegated to it) plus the server's drain signal.

    A session that can end itself gracefully calls :meth:`will_drain` and watches the event it
    returns: once set, it should finish what the bot is saying and return within the server's
    grace period (the server cancels it when the grace is up). Sessions that never call it are
    cancelled at once on shutdown.
    """

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.drain_requested = trio.Event()
        self.drains = False
        self.timed_out = False
        self.scope: trio.CancelScope | None = None
        self.peer = "unknown"
        """The client's address, for logs."""
        self._batches = _can_batch(ws)  # decided once: the connection object never changes
        stream = ws._stream if self._batches else None
        self._writes_now = bool(getattr(stream, "writes_now", False))
        if self._writes_now and not ws._stream_lock.locked():
            # a lock the finishing task may release (see send_messages_now)
            ws._stream_lock = WriteLock()
        else:
            self._writes_now = False
        self._rest: memoryview | None = None  # what send_messages_now left to finish_send

    def will_drain(self) -> trio.Event:
        """Promise to end the session soon after the returned event is set; idempotent."""
        self.drains = True
        return self.drain_requested

    async def get_message(self) -> Any:
        return await self.ws.get_message()

    async def send_message(self, message: Any) -> None:
        """Send one WebSocket message; see :meth:`send_messages`."""
        if not self._batches:
            await self.ws.send_message(message)
            return
        await self.send_messages([message])

    async def send_messages(self, messages: list[Any]) -> None:
        """Send several WebSocket messages, in order, with one write to the socket.

        The frames are encoded one by one by the connection's WebSocket state machine and
        written together (one system call instead of one per message: the RTVI messages of
        one pipeline event). When no other write is in progress they are written at once,
        without a schedule point, as an asyncio transport's ``write`` does; only what the
        socket does not take then is waited for. Falls back to one ``send_message`` each when
        the connection does not expose what that needs.

        Raises:
            ConnectionClosed: the connection is closed or closing.

        Cancellation: a checkpoint only when the socket could not take everything at once (or
        another write holds the connection). A write cut short leaves the connection unusable.
        """
        ws = self.ws
        if not self._batches:
            for message in messages:
                await ws.send_message(message)
            return
        if self.can_send_now():
            if self.send_messages_now(messages):
                await self.finish_send()
            return
        data = self._frames(messages)
        async with ws._stream_lock:
            await self._send_all(data)

    def can_send_now(self) -> bool:
        """Whether :meth:`send_messages_now` may be called: the connection can write without
        a schedule point and no other write is in progress."""
        return self._writes_now and not self.ws._stream_lock.locked()

    def send_messages_now(self, messages: list[Any]) -> int:
        """Write several WebSocket messages at once, never blocking (after
        :meth:`can_send_now` said so, with no schedule point in between).

        Returns:
            How many bytes the socket did not take. When not 0, the connection stays held
            (every other write waits) until the caller, or a task it starts, has awaited
            :meth:`finish_send`.

        Raises:
            ConnectionClosed: the connection is closed or closing (nothing was written).
            RuntimeError: another write is in progress (a bug in the caller).
        """
        ws = self.ws
        lock = ws._stream_lock
        if lock.locked():
            raise RuntimeError("send_messages_now while another write holds the connection")
        data = self._frames(messages)
        try:  # no schedule point until the lock is taken below: nobody can write in between
            sent = ws._stream.send_some_nowait(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            sent = 0  # finish_send fails the same way and closes the connection properly
        if sent == len(data):
            return 0
        lock.acquire_nowait()  # held for finish_send, whichever task awaits it
        self._rest = memoryview(data)[sent:]
        return len(self._rest)

    async def finish_send(self) -> None:
        """Write what :meth:`send_messages_now` left, then let the next write go.

        Raises:
            ConnectionClosed: the peer went away meanwhile.

        Cancellation: the connection is released; a write cut short leaves it unusable.
        """
        rest, self._rest = self._rest, None
        try:
            if rest is not None:
                await self._send_all(rest)
        finally:
            self.ws._stream_lock.release()

    def _frames(self, messages: list[Any]) -> bytes:
        ws = self.ws
        if ws._close_reason:
            raise ConnectionClosed(ws._close_reason)
        return b"".join(
            ws._wsproto.send(TextMessage(data=m) if isinstance(m, str) else BytesMessage(data=m))
            for m in messages
        )

    async def _send_all(self, data: bytes | memoryview) -> None:
        ws = self.ws
        try:
            await ws._stream.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            await ws._abort_web_socket()
            raise ConnectionClosed(ws._close_reason) from None

    async def aclose(self, code: int = CLOSE_NORMAL, reason: str | None = None) -> None:
        await self.ws.aclose(code, reason)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ws, name)


_BATCH_ATTRS: Final = ("_close_reason", "_wsproto", "_stream_lock", "_stream", "_abort_web_socket")


def _can_batch(ws: Any) -> bool:
    """Whether ``ws`` is a trio-websocket connection whose writer parts are where we expect
    (a changed library falls back to one send per message instead of failing)."""
    return isinstance(ws, WebSocketConnection) and all(hasattr(ws, a) for a in _BATCH_ATTRS)


_PEER_GONE: Final = (
    ConnectionClosed,
    trio.BrokenResourceError,
    trio.ClosedResourceError,
    OSError,
)


def peer_gone(exc: BaseException) -> bool:
    """Whether ``exc`` (or every exception in a group) only says the peer went away."""
    if isinstance(exc, BaseExceptionGroup):
        return all(peer_gone(e) for e in exc.exceptions)
    return isinstance(exc, _PEER_GONE)


def peer_ip(stream: trio.abc.Stream) -> str:
    sock = getattr(stream, "socket", None)
    try:
        peer = sock.getpeername() if sock is not None else None
    except OSError:
        peer = None
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return "unknown"


def head_error(exc: BaseException) -> str:
    """What is logged about a bad request head: never the request itself (it may carry a
    token in its query string)."""
    if isinstance(exc, HeadError):
        return str(exc).split(":", 1)[0]
    return type(exc).__name__
