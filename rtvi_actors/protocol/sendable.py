"""Which server messages `RtviProtocol.send` takes, and which the version gates may hold back.

Decided once per message class (``send`` is on the path of every RTVI event).
"""

from __future__ import annotations

from typing import Final

from rtvi_actors.protocol import legacy_messages as lm
from rtvi_actors.protocol import server_messages as s
from rtvi_actors.protocol import text_messages as t
from rtvi_actors.protocol.catalog import CLIENT_TYPES

__all__ = ["GATED", "OPEN", "RAW_TEXT", "REFUSED", "send_kind"]

REPLY_TYPES: Final = (
    s.BotReady,
    s.ServerResponse,
    s.ErrorResponse,
    lm.ConfigAvailable,
    lm.ActionsAvailable,
    lm.Config,
    lm.ActionResponse,
)
"""Request replies: sent with ``respond`` / ``respond_error`` / ``bot_ready``, never ``send``."""
RAW_TEXT: Final = (t.SttRawText, t.LlmRawText, t.TtsRawText)
"""Raw-text messages: only for clients of 2.2.0 and later."""

REFUSED: Final = "refused"
"""Replies and client messages: ``send`` raises."""
GATED: Final = "gated"
"""What ``permits`` may hold back, depending on the client's version."""
OPEN: Final = "open"
"""Always sent."""

_CLIENT_CLASSES: Final = frozenset(CLIENT_TYPES.values())
_KINDS: dict[type, str] = {}


def send_kind(cls: type) -> str:
    """`REFUSED`, `GATED` or `OPEN` for a message class (cached per class)."""
    kind = _KINDS.get(cls)
    if kind is None:
        if issubclass(cls, REPLY_TYPES) or cls in _CLIENT_CLASSES:
            kind = REFUSED
        elif issubclass(cls, (*RAW_TEXT, t.BotOutput)):
            kind = GATED
        else:
            kind = OPEN
        _KINDS[cls] = kind
    return kind
