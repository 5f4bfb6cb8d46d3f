"""A sans-IO parser for Server-Sent Events (the ``text/event-stream`` format).

Feed it bytes exactly as they arrive (split anywhere, even inside a line, a ``\\r\\n`` pair or a
UTF-8 character) and it returns the complete events. It follows the WHATWG rules: ``\\r\\n``,
``\\r`` and ``\\n`` all end a line; lines starting with ``:`` are comments; several ``data:``
lines join with ``\\n``; one space after the colon is dropped; a blank line dispatches. No I/O,
no clock, no trio.
"""

from __future__ import annotations

from typing import final

from attrs import frozen

__all__ = ["SseEvent", "SseParser"]


@final
@frozen(kw_only=True)
class SseEvent:
    """One dispatched server-sent event.

    Attributes:
        data: The joined ``data`` lines.
        event: The ``event`` field, ``"message"`` when absent.
        id: The last event id seen, or ``None``.
        retry: The ``retry`` field in milliseconds, if this event carried one.
    """

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SseParser:
    """Incremental SSE parser: ``feed(bytes) -> list[SseEvent]``, then ``close()``."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._data: list[str] = []
        self._event = ""
        self._retry: int | None = None
        self._last_id: str | None = None
        self._started = False
        self._has_fields = False

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """Consume ``chunk`` and return the events it completed (possibly none).

        Args:
            chunk: The next bytes of the stream.

        Returns:
            Complete events in stream order.
        """
        self._buffer += chunk
        events: list[SseEvent] = []
        start = 0
        buf = self._buffer
        while True:
            cr = buf.find(b"\r", start)
            lf = buf.find(b"\n", start)
            if cr == -1 and lf == -1:
                break
            if cr != -1 and (lf == -1 or cr < lf):
                if cr + 1 == len(buf):
                    break  # A trailing "\r" may be the first half of "\r\n": wait for more.
                end, next_start = cr, cr + 2 if buf[cr + 1 : cr + 2] == b"\n" else cr + 1
            else:
                end, next_start = lf, lf + 1
            event = self._line(bytes(buf[start:end]))
            if event is not None:
                events.append(event)
            start = next_start
        del buf[:start]
        return events

    def close(self) -> list[SseEvent]:
        """Signal the end of the stream and return any event left pending.

        The standard discards an event that was not terminated by a blank line; this parser
        dispatches it instead, because some minimal servers close right after the last
        ``data:`` line and dropping the tail would lose the end of a reply.

        Returns:
            Zero or one event.
        """
        events: list[SseEvent] = []
        if self._buffer:
            line = bytes(self._buffer.rstrip(b"\r"))
            self._buffer.clear()
            event = self._line(line)
            if event is not None:
                events.append(event)
        event = self._line(b"")
        if event is not None:
            events.append(event)
        return events

    def _line(self, raw: bytes) -> SseEvent | None:
        if not self._started:
            self._started = True
            if raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
        if not raw:
            return self._dispatch()
        line = raw.decode("utf-8", "replace")
        if line.startswith(":"):
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._has_fields = True
        elif name == "event":
            self._event = value
            self._has_fields = True
        elif name == "id" and "\0" not in value:
            self._last_id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
            self._has_fields = True
        return None

    def _dispatch(self) -> SseEvent | None:
        if not self._has_fields:
            self._event = ""
            return None
        event = None
        if self._data:
            event = SseEvent(
                data="\n".join(self._data),
                event=self._event or "message",
                id=self._last_id,
                retry=self._retry,
            )
        self._data = []
        self._event = ""
        self._retry = None
        self._has_fields = False
        return event
