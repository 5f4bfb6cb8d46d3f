"""Plain HTTP next to the WebSocket: the demo page, its assets, and ``POST /start``.

The types here are I/O-free; the server's front door (``supervisors.front``) parses requests
and writes responses on the same port as the WebSocket.
"""

from __future__ import annotations

import hmac
import json
import mimetypes
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final, final
from urllib.parse import parse_qs, quote

import attrs

__all__ = ["HttpHandler", "HttpRequest", "HttpResponse", "WebApp"]

_SECURITY_HEADERS: Final = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
)


@final
@attrs.frozen(kw_only=True)
class HttpRequest:
    """One parsed HTTP request (headers lower-cased)."""

    method: str
    target: str
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = attrs.field(default=b"", repr=lambda b: f"<{len(b)} bytes>")

    @property
    def path(self) -> str:
        """The target without its query string."""
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> dict[str, list[str]]:
        """The parsed query string."""
        return parse_qs(self.target.split("?", 1)[1]) if "?" in self.target else {}


@final
@attrs.frozen(kw_only=True)
class HttpResponse:
    """An HTTP response to write back."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def text(cls, status: int, text: str) -> HttpResponse:
        """A plain-text response."""
        return cls(status=status, body=text.encode())

    @classmethod
    def json(cls, status: int, obj: object) -> HttpResponse:
        """A JSON response."""
        return cls(status=status, body=json.dumps(obj).encode(), content_type="application/json")


HttpHandler = Callable[[HttpRequest], HttpResponse]
"""Answers one plain HTTP request (sync: it never blocks)."""


class WebApp:
    """Serve static files from ``root`` (``/`` is ``index.html``) and ``POST /start``.

    ``POST /start`` is what the official client's ``startBotAndConnect`` calls: it answers
    ``{"wsUrl": "ws://HOST/ws"}``, taking HOST from the request's ``Host`` header. When auth is
    on, ``/start`` itself requires ``Authorization: Bearer TOKEN`` and the URL it returns
    carries ``?token=``. Files are read once, when the app is built.

    Args:
        root: a directory of static files, or ``None`` to serve no page.
        ws_path: the WebSocket path.
        token: the shared secret clients must present, if auth is on.
    """

    def __init__(self, root: Path | None, *, ws_path: str = "/ws", token: str | None = None):
        self.ws_path = ws_path
        self.token = token
        self._files: dict[str, tuple[bytes, str]] = {}
        if root is not None and root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    rel = "/" + path.relative_to(root).as_posix()
                    ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    if ctype.startswith("text/") or ctype in ("application/javascript",):
                        ctype += "; charset=utf-8"
                    self._files[rel] = (path.read_bytes(), ctype)
            if "/index.html" in self._files:
                self._files["/"] = self._files["/index.html"]

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path served."""
        return tuple(self._files)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Answer one request."""
        response = self._route(request)
        return attrs.evolve(response, headers=response.headers + _SECURITY_HEADERS)

    def _route(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/start":
            if request.method != "POST":
                return HttpResponse.text(405, "use POST\n")
            if self.token is not None and not hmac.compare_digest(
                request.headers.get("authorization", "").encode(),
                f"Bearer {self.token}".encode(),
            ):
                return HttpResponse.text(401, "unauthorized\n")
            host = request.headers.get("host", "127.0.0.1")
            scheme = "wss" if request.headers.get("x-forwarded-proto") == "https" else "ws"
            answer: dict[str, str] = {"wsUrl": f"{scheme}://{host}{self.ws_path}"}
            if self.token is not None:
                answer["wsUrl"] += "?token=" + quote(self.token)
            return HttpResponse.json(200, answer)
        if request.method not in ("GET", "HEAD"):
            return HttpResponse.text(405, "method not allowed\n")
        found = self._files.get(request.path)
        if found is None:
            return HttpResponse.text(404, "not found\n")
        body, ctype = found
        return HttpResponse(status=200, body=body, content_type=ctype)
