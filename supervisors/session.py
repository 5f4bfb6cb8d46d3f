"""The session supervisor: runs one session's graph with one supervised child per actor."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import trio

from rtvi_actors import Graph, SessionGraph, StageFailed, StageRestarted
from rtvi_actors.session import Session

from .policy import ChildSpec, Restart, RestartBudget, Strategy
from .supervisor import RestartIntensityExceeded, Supervisor

__all__ = ["DEFAULT_SESSION_BUDGET", "bot_session", "graph_session", "run_session", "safe_error"]

DEFAULT_SESSION_BUDGET = RestartBudget(max_restarts=3, period=30.0)
"""A burst of 3 stage restarts within 30 s is survivable; a fourth ends the session."""


def safe_error(exc: BaseException | None, *, debug: bool = False) -> str:
    """A message about ``exc`` safe to show a client: the type only, unless ``debug``."""
    if exc is None:
        return "stage ended"
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]  # a nursery's group around one error: name the error
    if debug:
        return f"{type(exc).__name__}: {exc}"
    return f"internal error in stage ({type(exc).__name__})"


async def run_session(
    graph: SessionGraph,
    *,
    strategy: Strategy = Strategy.ONE_FOR_ONE,
    budget: RestartBudget = DEFAULT_SESSION_BUDGET,
    debug: bool = False,
) -> None:
    """Run every actor of ``graph`` under one supervisor until the session ends.

    * An actor that ends for good closes its edges, so end-of-input flows downstream.
    * A crashed actor is restarted (per its restart type and ``strategy``) with a fresh
      instance on the same mailbox; :class:`~rtvi_actors.StageRestarted` is published, and
      when a restarted actor was added with ``interrupt_on_restart`` the session is
      interrupted first, so the new incarnation never mixes with half an old response.
    * A significant actor (a transport) ending ends the session normally.

    Raises:
        RestartIntensityExceeded: the budget was spent; :class:`~rtvi_actors.StageFailed`
            (fatal) was published before every actor was stopped.

    Cancellation: cancelling stops every actor and restarts nothing. The graph's channels are
    closed in every case.
    """

    def on_ended(name: str, exc: Exception | None) -> None:
        graph.producer_finished(name)

    def on_restart(names: tuple[str, ...], name: str, exc: Exception | None) -> None:
        now = trio.current_time()
        if any(graph.nodes[n].interrupt_on_restart for n in names):
            graph.interrupt(f"restart:{name}")
        graph.publish(StageRestarted(stage=name, error=safe_error(exc, debug=debug), at=now))

    def on_escalate(name: str, exc: Exception | None) -> None:
        graph.publish(
            StageFailed(
                stage=name, error=safe_error(exc, debug=debug), fatal=True, at=trio.current_time()
            )
        )

    sup = Supervisor(
        strategy=strategy,
        budget=budget,
        on_ended=on_ended,
        on_restart=on_restart,
        on_escalate=on_escalate,
        name=f"session:{graph.session_id}",
    )
    for name, node in graph.nodes.items():
        spec = ChildSpec(
            name=name,
            restart=Restart(node.restart),
            significant=node.significant,
            backoff=node.backoff,
            interrupt_on_restart=node.interrupt_on_restart,
        )
        sup.add(spec, graph.cells[name].run)
    graph.supervisor = sup
    try:
        await sup.run()
    finally:
        graph.close()


def graph_session(
    build_graph: Callable[[Any], Graph],
    *,
    strategy: Strategy = Strategy.ONE_FOR_ONE,
    budget: RestartBudget = DEFAULT_SESSION_BUDGET,
    debug: bool = False,
) -> Callable[[Any, str], Awaitable[None]]:
    """Turn a graph builder into a server session handler.

    ``build_graph(conn)`` describes a session's graph for one connection; the handler builds it
    with the session id and runs it under :func:`run_session`.
    """

    async def handler(conn: Any, session_id: str) -> None:
        graph = build_graph(conn).build(session_id=session_id)
        await run_session(graph, strategy=strategy, budget=budget, debug=debug)

    return handler


def _query(path: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(path.split("?", 1)[1])) if "?" in path else {}


async def _send_fatal(conn: Any, session: Session, error: str) -> None:
    """Tell the client the session failed (RTVI ``error``, fatal), in its framing."""
    from rtvi_actors.protocol import Error, RtviText, encode_text, serialize

    text = encode_text(Error(error=error, fatal=True))
    payload: bytes | str = text
    if session.params.get("framing", "protobuf") != "json":
        payload = serialize(RtviText(data=text))
    with trio.move_on_after(1.0):
        try:
            await conn.send_message(payload)
        except Exception:  # the peer may be gone already: nothing more to tell
            pass


def bot_session(
    build: Callable[[Session], Graph],
    *,
    strategy: Strategy = Strategy.ONE_FOR_ONE,
    budget: RestartBudget = DEFAULT_SESSION_BUDGET,
    debug: bool = False,
) -> Callable[[Any, str], Awaitable[None]]:
    """Turn a bot (``build(session) -> Graph``) into a server session handler.

    The handler creates the :class:`~rtvi_actors.session.Session`, builds and runs its graph
    under :func:`run_session`, and fires the transport hooks ``on_client_connected`` and
    ``on_client_disconnected`` around it. ``session.cancel()`` ends the session normally.
    When the restart budget is spent, the client is sent a fatal RTVI ``error`` before the
    server closes the connection with 1011.
    """

    async def handler(conn: Any, session_id: str) -> None:
        session = Session(session_id, conn, _query(getattr(conn, "path", "") or ""))
        graph = build(session).build(session_id=session_id)
        session.graph = graph
        with session.cancel_scope:
            await session.transport.fire("on_client_connected", session.transport, session)
            try:
                await run_session(graph, strategy=strategy, budget=budget, debug=debug)
            except RestartIntensityExceeded as exc:
                await _send_fatal(conn, session, safe_error(exc.__cause__, debug=debug))
                raise
            finally:
                with trio.move_on_after(2.0, shield=True):
                    await session.transport.fire(
                        "on_client_disconnected", session.transport, session
                    )

    return handler
