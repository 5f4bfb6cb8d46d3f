"""Shared HTTP plumbing for the OpenAI-compatible clients (httpx under trio).

httpx's own timeouts are switched off: every wait is bounded by the configuration-level deadlines
below, enforced with trio cancel scopes and reported as :class:`ProviderStalled`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, Self

import httpx
import structlog
import trio

from .errors import (
    ProviderConnectionError,
    ProviderError,
    ProviderStalled,
    error_for_status,
    safe_message,
)

__all__ = [
    "BodyReader",
    "HttpOwner",
    "auth_headers",
    "close_response",
    "next_chunk",
    "open_response",
    "raise_for_body_error",
]

log = structlog.get_logger("actors.providers")

#: How long cleanup (closing a response or a client) may take once we are being cancelled.
CLOSE_GRACE = 1.0
_MAX_ERROR_BODY = 64 * 1024


def auth_headers(api_key: str | None, extra: Mapping[str, str]) -> dict[str, str]:
    """Build request headers: ``Authorization: Bearer <key>`` (if a key is set) plus ``extra``."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    headers.update(extra)
    return headers


class HttpOwner:
    """Owns an ``httpx.AsyncClient`` unless one was passed in (then the caller owns it).

    Args:
        http: A shared client to use, or ``None`` to create a private one without httpx timeouts
            (our deadlines bound every wait instead).
    """

    def __init__(self, http: httpx.AsyncClient | None) -> None:
        self._owns = http is None
        self.http = http if http is not None else httpx.AsyncClient(timeout=None)

    async def aclose(self) -> None:
        """Close the private client (not a shared one). Bounded and shielded, so safe to call
        while being cancelled."""
        if self._owns:
            with trio.move_on_after(CLOSE_GRACE, shield=True):
                await self.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


async def open_response(
    http: httpx.AsyncClient,
    request: httpx.Request,
    *,
    provider: str,
    deadline_at: float,
    deadline: float,
    secret: str | None,
) -> httpx.Response:
    """Send ``request`` and return the streaming response once its headers arrived.

    Args:
        http: The client to send with.
        request: The built request.
        provider: The provider label for errors and logs.
        deadline_at: Absolute ``trio.current_time()`` by which the headers must have arrived.
        deadline: The configured first-byte deadline (reported in ``ProviderStalled``).
        secret: The API key, scrubbed from any error message.

    Returns:
        A response with status < 400 whose body is still unread; the caller must close it with
        :func:`close_response`.

    Raises:
        ProviderStalled: The headers did not arrive before ``deadline_at``.
        ProviderConnectionError: The connection failed.
        ProviderError: The status was >= 400 (typed as by :func:`error_for_status`).

    Cancellation: safe; a half-open response is closed (shielded, bounded) before re-raising.
    """
    with trio.move_on_at(deadline_at) as scope:
        try:
            response = await http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise ProviderConnectionError(
                f"{type(exc).__name__} calling {request.url.path}", provider=provider
            ) from None
        try:
            if response.status_code >= 400:
                body = await _read_limited(response)
                err = error_for_status(
                    response.status_code,
                    body,
                    provider=provider,
                    retry_after=response.headers.get("retry-after"),
                    secrets=[secret],
                )
                log.warning(
                    "provider.http_error",
                    provider=provider,
                    status=err.status,
                    retryable=err.retryable,
                    error=err.message,
                )
                raise err
        except BaseException:
            await close_response(response)
            raise
        return response
    assert scope.cancelled_caught
    log.warning("provider.stalled", provider=provider, phase="first_byte", deadline=deadline)
    raise ProviderStalled(
        f"no response headers within {deadline:g}s",
        phase="first_byte",
        deadline=deadline,
        provider=provider,
    )


async def _read_limited(response: httpx.Response) -> bytes:
    body = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) >= _MAX_ERROR_BODY:
                break
    except httpx.HTTPError:
        pass  # The status alone is enough to classify the error.
    return bytes(body)


async def next_chunk(
    chunks: AsyncIterator[bytes],
    *,
    deadline_at: float,
    phase: str,
    deadline: float,
    provider: str,
) -> bytes | None:
    """Receive the next body chunk, or ``None`` at the end of the body.

    Args:
        chunks: The body iterator (``response.aiter_bytes()``).
        deadline_at: Absolute ``trio.current_time()`` by which a chunk must arrive.
        phase: ``"first_byte"`` or ``"between_chunks"``, for the stall error.
        deadline: The configured deadline in seconds, for the stall error.
        provider: The provider label.

    Raises:
        ProviderStalled: Nothing arrived before ``deadline_at``.
        ProviderConnectionError: The connection broke mid-body.

    Cancellation: safe; the iterator is then unusable and the response must be closed.
    """
    with trio.move_on_at(deadline_at):
        try:
            return await anext(chunks)
        except StopAsyncIteration:
            return None
        except httpx.HTTPError as exc:
            raise ProviderConnectionError(
                f"{type(exc).__name__} while streaming", provider=provider
            ) from None
    log.warning("provider.stalled", provider=provider, phase=phase, deadline=deadline)
    raise ProviderStalled(
        f"no data within {deadline:g}s ({phase.replace('_', ' ')})",
        phase=phase,
        deadline=deadline,
        provider=provider,
    )


class BodyReader:
    """Reads a streaming body under a first-byte deadline, then a between-chunks deadline.

    Each deadline is measured from the moment :meth:`next` is called, so time the consumer spends
    between chunks never counts against the provider.

    Args:
        response: The open streaming response.
        first_deadline_at: Absolute time by which the first chunk must arrive.
        first_byte_deadline: The configured first-byte deadline (for the error).
        stall_deadline: Seconds allowed for each later chunk.
        provider: The provider label.
    """

    def __init__(
        self,
        response: httpx.Response,
        *,
        first_deadline_at: float,
        first_byte_deadline: float,
        stall_deadline: float,
        provider: str,
    ) -> None:
        self.chunks = response.aiter_bytes()
        self._response = response
        self._first_deadline_at = first_deadline_at
        self._first_byte_deadline = first_byte_deadline
        self._stall_deadline = stall_deadline
        self._provider = provider
        self._started = False

    async def next(self) -> bytes | None:
        """Return the next chunk, or ``None`` at the end of the body (raises like
        :func:`next_chunk`)."""
        if not self._started:
            self._started = True
            return await next_chunk(
                self.chunks,
                deadline_at=self._first_deadline_at,
                phase="first_byte",
                deadline=self._first_byte_deadline,
                provider=self._provider,
            )
        return await next_chunk(
            self.chunks,
            deadline_at=trio.current_time() + self._stall_deadline,
            phase="between_chunks",
            deadline=self._stall_deadline,
            provider=self._provider,
        )

    async def aclose(self) -> None:
        """Close the body and the response (shielded, bounded)."""
        await close_response(self._response, self.chunks)


async def close_response(response: httpx.Response, chunks: Any = None) -> None:
    """Close a streaming response (and its body iterator), shielded and bounded.

    Closing an unfinished HTTP/1.1 response closes its connection, which is how the server learns
    that we stopped listening (barge-in). Safe to call while being cancelled.
    """
    with trio.move_on_after(CLOSE_GRACE, shield=True):
        if chunks is not None:
            try:
                await chunks.aclose()
            except (httpx.HTTPError, RuntimeError):
                pass
        await response.aclose()


def raise_for_body_error(data: Any, *, provider: str, secret: str | None) -> None:
    """Raise a ``ProviderError`` if a parsed JSON payload is an in-band error object.

    Args:
        data: A decoded JSON value from a successful (2xx) response or stream.
        provider: The provider label.
        secret: The API key to scrub from the message.

    Raises:
        ProviderError: ``data`` is ``{"error": ...}``; retryable unless its code is a 4xx.
    """
    if not (isinstance(data, dict) and data.get("error")):
        return
    err = data["error"]
    message = err.get("message", "") if isinstance(err, dict) else str(err)
    code = err.get("code") if isinstance(err, dict) else None
    status = code if isinstance(code, int) else None
    retryable = status is None or status == 429 or status >= 500
    raise ProviderError(
        safe_message(f"error in response: {message or 'no details'}", [secret]),
        status=status,
        retryable=retryable,
        provider=provider,
    )


async def open_body(
    http: httpx.AsyncClient,
    request: httpx.Request,
    *,
    provider: str,
    started: float,
    first_byte_deadline: float,
    stall_deadline: float,
    secret: str | None,
) -> BodyReader:
    """Send ``request`` and return a :class:`BodyReader` over its streaming body, with the
    first-byte deadline counted from ``started`` and ``stall_deadline`` between chunks.

    Raises:
        ProviderError: see :func:`open_response`.

    Cancellation: safe; a response already open is closed by the reader's owner.
    """
    response = await open_response(
        http,
        request,
        provider=provider,
        deadline_at=started + first_byte_deadline,
        deadline=first_byte_deadline,
        secret=secret,
    )
    return BodyReader(
        response,
        first_deadline_at=started + first_byte_deadline,
        first_byte_deadline=first_byte_deadline,
        stall_deadline=stall_deadline,
        provider=provider,
    )
