"""rtvi-actors: a real-time voice AI server speaking RTVI, built as a supervised trio actor system.

The core package holds the typed messages, the actor runtime (mailboxes, cells, graphs, session
control), logging setup and the sans-IO RTVI protocol (:mod:`rtvi_actors.protocol`). Stage
implementations live in the top-level ``actors`` package, supervision in ``supervisors``.
"""

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
    is_stale,
)
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
    "is_stale",
]
