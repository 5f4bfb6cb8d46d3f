"""structlog setup: JSON lines carry the session id bound once per session."""

from __future__ import annotations

import io
import json

import structlog
import trio

from rtvi_actors import Actor, Context, Graph, TextIn
from rtvi_actors.logs import configure_logging
from rtvi_actors.testing import Feeder, run_graph


class Chatty(Actor):
    accepts = (TextIn,)

    async def handle(self, msg: TextIn, ctx: Context) -> None:
        ctx.log.info("chatty.got", text=msg.text)


async def _session(session_id: str) -> None:
    structlog.contextvars.bind_contextvars(session_id=session_id)
    g = Graph()
    g.add("feeder", Feeder, [TextIn(text=session_id)], emits=(TextIn,))
    g.add("chatty", Chatty)
    g.route(TextIn, "feeder", "chatty")
    await run_graph(g, session_id=session_id)


async def test_every_line_of_a_session_carries_its_id() -> None:
    saved = structlog.get_config()
    buf = io.StringIO()
    try:
        configure_logging("json", level="info", stream=buf)
        async with trio.open_nursery() as nursery:
            for sid in ("s-one", "s-two"):
                nursery.start_soon(_session, sid)
    finally:
        structlog.configure(**saved)
    lines = [json.loads(line) for line in buf.getvalue().splitlines()]
    got = [(line["session_id"], line["text"], line["actor"]) for line in lines]
    assert sorted(got) == [("s-one", "s-one", "chatty"), ("s-two", "s-two", "chatty")]
    assert all(line["level"] == "info" and "timestamp" in line for line in lines)


def test_console_format_is_human_readable() -> None:
    saved = structlog.get_config()
    buf = io.StringIO()
    try:
        configure_logging("console", level="warning", stream=buf)
        log = structlog.get_logger("t")
        log.info("hidden")
        log.warning("shown", key="value")
    finally:
        structlog.configure(**saved)
    out = buf.getvalue()
    assert "hidden" not in out
    assert "shown" in out and "key=value" in out


def test_production_logs_redact_secrets(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789abcdef")
    saved = structlog.get_config()
    buf = io.StringIO()
    try:
        configure_logging("json", level="info", stream=buf)
        log = structlog.get_logger("t")
        log.info("calling", url="https://x/v1?token=abcdefgh12345", api_key="sk-anything-else")
        try:
            raise RuntimeError("failed with key sk-test-0123456789abcdef")
        except RuntimeError:
            log.exception("boom")
    finally:
        structlog.configure(**saved)
    out = buf.getvalue()
    assert "sk-test-0123456789abcdef" not in out
    assert "abcdefgh12345" not in out
    assert "sk-anything-else" not in out
    assert "RuntimeError" in out  # the traceback is kept, only the secret is gone
