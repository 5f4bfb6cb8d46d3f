"""A small RTVI client over WebSocket (protobuf or JSON framing), for tests, load tests and
tools. It records every message and audio frame it receives with the trio time of arrival.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import attrs
import trio
from trio_websocket import ConnectionClosed, WebSocketConnection, open_websocket_url

from .protocol import wire

__all__ = ["Received", "RtviClient", "open_rtvi_client"]


@attrs.frozen(kw_only=True)
class Received:
    """One thing the client received: an RTVI message (``msg``) or audio (``audio``)."""

    at: float
    msg: dict[str, Any] | None = None
    audio: bytes | None = attrs.field(default=None, repr=lambda b: f"<{len(b or b'')} bytes>")


class RtviClient:
    """Speaks RTVI to a server. Use :func:`open_rtvi_client`."""

    def __init__(self, ws: WebSocketConnection, framing: str = "protobuf") -> None:
        self.ws = ws
        self.framing = framing
        self.received: list[Received] = []
        self.malformed = 0
        self.closed_code: int | None = None
        self._changed = trio.Event()

    # -- sending ------------------------------------------------------------------------------

    async def send_raw(self, payload: bytes | str) -> None:
        """Send one WebSocket message as it is."""
        await self.ws.send_message(payload)

    async def send(self, type_: str, data: Any = None, *, id_: str | None = None) -> str:
        """Send an RTVI message; returns its id."""
        mid = id_ or secrets.token_hex(4)
        env: dict[str, Any] = {"label": "rtvi-ai", "type": type_, "id": mid}
        if data is not None:
            env["data"] = data
        text = json.dumps(env)
        await self.send_raw(
            text if self.framing == "json" else wire.serialize(wire.RtviText(data=text))
        )
        return mid

    async def send_audio(self, pcm: bytes, sample_rate: int = 16000) -> None:
        """Send one chunk of mic audio (PCM16 mono)."""
        if self.framing == "json":
            await self.send_raw(pcm)
        else:
            frame = wire.AudioFrame(audio=pcm, sample_rate=sample_rate, num_channels=1)
            await self.send_raw(wire.serialize(frame))

    async def stream_audio(self, pcm: bytes, *, chunk: int = 512, realtime: bool = True) -> None:
        """Send audio in ``chunk``-byte frames, paced at real time (16 kHz) unless told not to."""
        per_chunk = chunk / 2 / 16000
        deadline = trio.current_time()
        for i in range(0, len(pcm), chunk):
            await self.send_audio(pcm[i : i + chunk])
            if realtime:
                deadline += per_chunk
                await trio.sleep_until(deadline)

    async def ready(self, version: str = "2.1.0") -> dict[str, Any]:
        """Send ``client-ready`` and wait for ``bot-ready``; returns it."""
        await self.send("client-ready", {"version": version, "about": {"library": "test"}})
        return await self.wait_for("bot-ready")

    # -- receiving ----------------------------------------------------------------------------

    async def run(self) -> None:
        """Read until the connection closes (run it in a nursery)."""
        try:
            while True:
                payload = await self.ws.get_message()
                now = trio.current_time()
                try:
                    frame = (
                        wire.parse_json_framing(payload, sample_rate=24000)
                        if self.framing == "json"
                        else wire.parse(payload)
                    )
                except wire.WireError:
                    self.malformed += 1
                    continue
                if isinstance(frame, wire.RtviText):
                    self.received.append(Received(at=now, msg=json.loads(frame.data)))
                elif isinstance(frame, wire.AudioFrame):
                    self.received.append(Received(at=now, audio=frame.audio))
                self._notify()
        except ConnectionClosed as exc:
            self.closed_code = exc.reason.code
            self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every RTVI message received, in order."""
        return [r.msg for r in self.received if r.msg is not None]

    def types(self) -> list[str]:
        """The types of the RTVI messages received, in order."""
        return [m["type"] for m in self.messages]

    def of(self, type_: str) -> list[dict[str, Any]]:
        """The received messages of one type."""
        return [m for m in self.messages if m["type"] == type_]

    def audio_seconds(self, rate: int = 24000) -> float:
        """Seconds of bot audio received."""
        return sum(len(r.audio) for r in self.received if r.audio) / 2 / rate

    def audio_times(self) -> list[float]:
        """Arrival times of the audio frames."""
        return [r.at for r in self.received if r.audio is not None]

    async def wait_for(self, type_: str, predicate: Any = None, *, count: int = 1) -> dict:
        """Wait until ``count`` messages of ``type_`` (matching ``predicate``) have arrived;
        returns the last one.

        Raises:
            ConnectionError: the connection closed first.
        """
        while True:
            found = [m for m in self.of(type_) if predicate is None or predicate(m)]
            if len(found) >= count:
                return found[count - 1]
            if self.closed_code is not None:
                raise ConnectionError(f"closed ({self.closed_code}) before {type_}")
            await self._changed.wait()

    async def wait_closed(self) -> int:
        """Wait for the server to close the connection; returns the close code."""
        while self.closed_code is None:
            await self._changed.wait()
        return self.closed_code


@asynccontextmanager
async def open_rtvi_client(url: str, *, framing: str = "protobuf") -> AsyncIterator[RtviClient]:
    """Connect to ``url``, run the reader in the background, and close at the end."""
    if framing == "json":
        url += ("&" if "?" in url else "?") + "framing=json"
    async with open_websocket_url(url) as ws, trio.open_nursery() as nursery:
        client = RtviClient(ws, framing)
        nursery.start_soon(client.run)
        yield client
        nursery.cancel_scope.cancel()
