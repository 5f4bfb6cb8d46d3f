"""rtvi-actors: a real-time voice AI server speaking RTVI, built as a supervised trio actor system.

The core package holds the typed messages, the actor runtime (mailboxes, cells, graphs, session
control), logging setup and the sans-IO RTVI protocol (:mod:`rtvi_actors.protocol`). Stage
implementations live in the top-level ``actors`` package, supervision in ``supervisors``.
"""

import importlib
from typing import TYPE_CHECKING, Any

_LAZY: dict[str, str] = {
    "Actor": "actor",
    "Context": "actor",
    "ActorCell": "cell",
    "ActorStatistics": "cell",
    "ControlStatistics": "control",
    "SessionControl": "control",
    "SESSION": "graph",
    "SESSION_EVENTS": "graph",
    "Graph": "graph",
    "GraphError": "graph",
    "Mailbox": "mailbox",
    "MailboxFull": "mailbox",
    "MailboxStatistics": "mailbox",
    "Overflow": "mailbox",
    "AudioIn": "messages",
    "AudioOut": "messages",
    "BotSide": "messages",
    "BotStartedSpeaking": "messages",
    "BotStoppedSpeaking": "messages",
    "Interrupted": "messages",
    "Metric": "messages",
    "StageFailed": "messages",
    "StageRestarted": "messages",
    "TextIn": "messages",
    "TextOut": "messages",
    "Transcript": "messages",
    "UserStartedSpeaking": "messages",
    "UserStoppedSpeaking": "messages",
    "UserText": "messages",
    "is_stale": "messages",
    "bot_side": "messages",
    "Pacer": "pacer",
    "PacerStatistics": "pacer",
    "current_pacer": "pacer",
    "GraphStatistics": "session_graph",
    "SessionGraph": "session_graph",
}


def __getattr__(name: str) -> Any:
    # The runtime imports trio; load it on first use so that ``rtvi_actors.protocol`` (sans-IO)
    # stays importable without trio.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'rtvi_actors' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from .actor import Actor, Context
    from .cell import ActorCell, ActorStatistics
    from .control import ControlStatistics, SessionControl
    from .graph import SESSION, SESSION_EVENTS, Graph, GraphError
    from .mailbox import Mailbox, MailboxFull, MailboxStatistics, Overflow
    from .messages import (
        AudioIn,
        AudioOut,
        BotSide,
        BotStartedSpeaking,
        BotStoppedSpeaking,
        Interrupted,
        Metric,
        StageFailed,
        StageRestarted,
        TextIn,
        TextOut,
        Transcript,
        UserStartedSpeaking,
        UserStoppedSpeaking,
        UserText,
        bot_side,
        is_stale,
    )
    from .pacer import Pacer, PacerStatistics, current_pacer
    from .session_graph import GraphStatistics, SessionGraph

__version__ = "0.1.0"

__all__ = [
    "SESSION",
    "SESSION_EVENTS",
    "Actor",
    "ActorCell",
    "ActorStatistics",
    "AudioIn",
    "AudioOut",
    "BotSide",
    "BotStartedSpeaking",
    "BotStoppedSpeaking",
    "Context",
    "ControlStatistics",
    "Graph",
    "GraphError",
    "GraphStatistics",
    "Interrupted",
    "Mailbox",
    "MailboxFull",
    "MailboxStatistics",
    "Metric",
    "Overflow",
    "Pacer",
    "PacerStatistics",
    "SessionControl",
    "SessionGraph",
    "StageFailed",
    "StageRestarted",
    "TextIn",
    "TextOut",
    "Transcript",
    "UserStartedSpeaking",
    "UserStoppedSpeaking",
    "UserText",
    "__version__",
    "bot_side",
    "current_pacer",
    "is_stale",
]
