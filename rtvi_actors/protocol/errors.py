"""Exceptions of the sans-IO RTVI core, split the way h11 splits them.

`LocalProtocolError` means *we* misbehaved (a server bug: answering a request that was never
made, encoding a value JSON cannot carry). `RemoteProtocolError` means the *peer* misbehaved.
Client garbage normally never raises: `codec.decode` returns an `Invalid` value instead. Only
the strict wire helpers raise `WireError`, a `RemoteProtocolError`.
"""

from __future__ import annotations

__all__ = ["LocalProtocolError", "ProtocolError", "RemoteProtocolError", "WireError"]


class ProtocolError(Exception):
    """Base class of every error raised by `rtvi_actors.protocol`."""


class LocalProtocolError(ProtocolError):
    """The server tried to do something the protocol does not allow (a bug on our side)."""


class RemoteProtocolError(ProtocolError):
    """The client sent something the protocol does not allow."""


class WireError(RemoteProtocolError):
    """A WebSocket payload could not be parsed (truncated protobuf, unknown frame, ...)."""
