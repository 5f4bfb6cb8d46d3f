"""Supervision for rtvi-actors: pure OTP-style policy, a trio driver, sessions and the server."""

from .policy import (
    Action,
    Backoff,
    ChildSpec,
    EndSession,
    Escalate,
    Ignore,
    Restart,
    RestartBudget,
    RestartChildren,
    Strategy,
    decide,
)
from .server import (
    CLOSE_GOING_AWAY,
    CLOSE_INTERNAL_ERROR,
    CLOSE_NORMAL,
    Server,
    ServerStatistics,
    SessionHandler,
)
from .session import (
    DEFAULT_SESSION_BUDGET,
    bot_session,
    graph_session,
    run_session,
    safe_error,
)
from .supervisor import RestartIntensityExceeded, Supervisor, SupervisorStatistics

__all__ = [
    "CLOSE_GOING_AWAY",
    "CLOSE_INTERNAL_ERROR",
    "CLOSE_NORMAL",
    "DEFAULT_SESSION_BUDGET",
    "Action",
    "Backoff",
    "ChildSpec",
    "EndSession",
    "Escalate",
    "Ignore",
    "Restart",
    "RestartBudget",
    "RestartChildren",
    "RestartIntensityExceeded",
    "Server",
    "ServerStatistics",
    "SessionHandler",
    "Strategy",
    "Supervisor",
    "SupervisorStatistics",
    "bot_session",
    "decide",
    "graph_session",
    "run_session",
    "safe_error",
]
