"""Which server messages `RtviProtocol.send` takes, and which the version gates may hold back.

Decided once per message class (``send`` is on the path of every RTVI event).
"""

from __future__ import annotations

from typing import Final

from rtvi_actors.protocol import legacy_messages as lm
from rtvi_actors.protocol import server_messages as s
from rtvi_actors.protocol import text_messages as t
from rtvi_actors.protocol.catalog import CLIENT_TYPES, ServerToClient
from rtvi_actors.protocol.versions import Dialect

__all__ = ["GATED", "OPEN", "RAW_TEXT", "REFUSED", "permitted", "send_kind"]

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


def permitted(message: ServerToClient, dialect: Dialect, at_least_2_2: bool) -> bool:
    """Whether a server event may go to a client of ``dialect`` (``at_least_2_2``: its
    version is 2.2.0 or later).

    Returns:
        False for raw-text messages and backchannel ``bot-output`` to clients below 2.2.0,
        ``word``/``token`` ``bot-output`` to 2.x clients, and progress (``in-progress``)
        ``bot-output`` to 1.x clients; True otherwise.
    """
    if isinstance(message, RAW_TEXT):
        return at_least_2_2
    if isinstance(message, t.BotOutput):
        if message.output_type == "backchannel" and not at_least_2_2:
            return False
        if dialect is Dialect.V2 and message.output_type in ("word", "token"):
            return False
        if dialect is Dialect.V1 and message.spoken_status == "in-progress":
            return False
    return True
