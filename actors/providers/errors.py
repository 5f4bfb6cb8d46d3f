"""The provider error taxonomy and the secret-redaction helpers.

Every provider client turns transport failures, HTTP error statuses, error bodies and stalls into
one of the exceptions below, so a supervisor can decide by type and by ``retryable`` (auth or
configuration: fatal; rate limit: back off; network or server: retry) without parsing strings.
Messages are short, truncated and scrubbed of anything that looks like a credential, so they are
safe to log and to forward to a client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "ProviderAuthError",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderRateLimited",
    "ProviderStalled",
    "error_for_status",
    "redact",
    "safe_message",
]

#: Header names whose values are credentials (compared case-insensitively).
SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "api-key",
        "x-api-key",
        "openai-api-key",
        "xi-api-key",
        "cookie",
        "set-cookie",
    }
)
REDACTED = "<redacted>"
_MAX_MESSAGE = 240
# Token-looking strings: "sk-...", "gsk_...", "Bearer x", "Token x".
_SECRET_PATTERNS = (
    re.compile(r"\b(?:sk|gsk|pk|rk)[-_][A-Za-z0-9_\-*]{6,}"),
    re.compile(r"(?i)\b(bearer|token)\s+[A-Za-z0-9._\-*]{6,}"),
)


class ProviderError(Exception):
    """A provider call failed.

    Attributes:
        message: A short, secret-free description (safe to log and to show to a client).
        status: The HTTP status or WebSocket close code, or ``None`` when there was none.
        retryable: Whether the same request may succeed if retried (possibly after a back-off).
        provider: A short provider label such as ``"openai-llm"``, or ``None``.
    """

    default_retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool | None = None,
        provider: str | None = None,
    ) -> None:
        self.message = safe_message(message)
        self.status = status
        self.retryable = self.default_retryable if retryable is None else retryable
        self.provider = provider
        super().__init__(self.message)

    def __str__(self) -> str:
        where = f"{self.provider}: " if self.provider else ""
        status = f" (status {self.status})" if self.status is not None else ""
        return f"{where}{self.message}{status}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status={self.status!r}, "
            f"retryable={self.retryable!r}, provider={self.provider!r})"
        )


class ProviderStalled(ProviderError):
    """The provider stopped answering: no first byte, or no data between chunks, in time.

    Raised instead of waiting forever, so a stall becomes an error rather than dead air.

    Attributes:
        phase: What was awaited: ``"connect"``, ``"first_byte"``, ``"between_chunks"``,
            ``"response"`` (a whole bounded reply), ``"results"`` (streaming STT answers),
            ``"send"`` or ``"close"``.
        deadline: The configured deadline that expired, in seconds.
    """

    default_retryable = True

    def __init__(
        self, message: str, *, phase: str, deadline: float, provider: str | None = None
    ) -> None:
        super().__init__(message, provider=provider)
        self.phase = phase
        self.deadline = deadline


class ProviderAuthError(ProviderError):
    """The provider rejected the credentials or the permissions (HTTP 401/403). Not retryable."""


class ProviderRateLimited(ProviderError):
    """The provider throttled the request (HTTP 429).

    Attributes:
        retry_after: Seconds the provider asked us to wait, or ``None`` if it did not say.
    """

    default_retryable = True

    def __init__(
        self,
        message: str,
        *,
        status: int | None = 429,
        retryable: bool | None = None,
        provider: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, retryable=retryable, provider=provider)
        self.retry_after = retry_after


class ProviderConnectionError(ProviderError):
    """The network failed: connection refused or reset, TLS or protocol error. Retryable."""

    default_retryable = True


def redacted_repr(headers: Mapping[str, str]) -> str:
    """``repr`` of ``headers`` with credential values hidden (for attrs ``field(repr=...)``)."""
    return repr(redact(headers))


def redact(headers: Mapping[str, str] | Iterable[tuple[Any, Any]]) -> dict[str, str]:
    """Return a copy of ``headers`` that is safe to log: credential values become ``<redacted>``.

    Args:
        headers: A mapping, or ``(name, value)`` pairs of ``str`` or ``bytes``.

    Returns:
        A new ``dict`` of ``str`` to ``str``; the input is not modified.
    """
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        key = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        out[key] = REDACTED if key.lower() in SENSITIVE_HEADERS else text
    return out


def safe_message(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Shorten ``text`` to one line and scrub credentials from it.

    Args:
        text: Any message, possibly quoting a provider's error body.
        secrets: Exact strings (such as the configured API key) to remove as well.

    Returns:
        At most 240 characters with every secret and token-looking string replaced.
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def _parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # An HTTP date would need the wall clock; callers fall back to a back-off.
    return max(seconds, 0.0)


def describe_error_body(body: bytes) -> tuple[str, str | None]:
    """Extract ``(message, code)`` from an error body in OpenAI's (or a similar) format.

    Args:
        body: The raw response body; JSON such as ``{"error": {"message": ..., "code": ...}}``
            or ``{"detail": ...}`` or ``{"err_msg": ...}``, or plain text.

    Returns:
        The message (possibly empty) and the string error code or type, if any.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body[:_MAX_MESSAGE].decode("utf-8", "replace").strip(), None
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, str):
            return err, None
        if isinstance(err, dict):
            message = err.get("message") or err.get("detail") or err.get("err_msg") or ""
            code = err.get("code") or err.get("type") or err.get("err_code")
            return str(message), None if code is None else str(code)
    return str(data), None


def error_for_status(
    status: int,
    body: bytes,
    *,
    provider: str,
    retry_after: str | None = None,
    secrets: Iterable[str | None] = (),
) -> ProviderError:
    """Map an HTTP error status and its body to the matching typed error.

    Args:
        status: The HTTP status code (expected to be >= 400).
        body: The response body (an OpenAI-style error JSON or anything else).
        provider: The provider label for the error.
        retry_after: The ``Retry-After`` header value, if any (seconds are honoured).
        secrets: Strings to scrub from the message (the configured API key).

    Returns:
        ``ProviderAuthError`` for 401/403, ``ProviderRateLimited`` for 429 (not retryable when
        the quota is exhausted), otherwise ``ProviderError``, retryable for 408, 409 and 5xx.
    """
    detail, code = describe_error_body(body)
    message = safe_message(f"HTTP {status}: {detail or 'no details'}", secrets)
    if status in (401, 403):
        return ProviderAuthError(message, status=status, provider=provider)
    if status == 429:
        exhausted = code == "insufficient_quota"
        return ProviderRateLimited(
            message,
            status=status,
            retryable=not exhausted,
            provider=provider,
            retry_after=_parse_retry_after(retry_after),
        )
    retryable = status in (408, 409) or status >= 500
    return ProviderError(message, status=status, retryable=retryable, provider=provider)
