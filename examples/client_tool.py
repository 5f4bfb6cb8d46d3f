"""A client-executed tool: the LLM asks for ``get_location``; the browser answers it.

On the client (``@pipecat-ai/client-js``)::

    pcClient.registerFunctionCallHandler("get_location", async ({ arguments }) => {
      return { city: "Lisbon" };        // sent back as llm-function-call-result
    });

The observer must report the function name (report level ``name`` or ``full``) for the client
to run its handler. A call the client never answers is cancelled after ``timeout`` seconds,
and a barge-in cancels it too; both are reported with ``llm-function-call-stopped``.

Run:  python examples/client_tool.py   (a scripted LLM stands in for a real one)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import trio

from actors.bots import VoiceConfig, voice_graph
from actors.fakes import FakeStt, ToneTts, energy_vad
from actors.llm import LlmResult, ToolCall
from actors.observer import ObserverParams
from actors.turn import Function
from rtvi_actors import Graph
from rtvi_actors.logs import configure_logging
from rtvi_actors.session import Session
from rtvi_actors.voice import Generate
from supervisors import Server, bot_session

TOOLS = (
    {
        "type": "function",
        "function": {
            "name": "get_location",
            "description": "Where the user is.",
            "parameters": {"type": "object", "properties": {}},
        },
    },
)


class LocationLlm:
    """A stand-in LLM: asks for the tool, then answers with its result."""

    name = "LocationLlm"
    model = "scripted"

    async def generate(
        self, request: Generate, on_text: Callable[[str], Awaitable[None]]
    ) -> LlmResult:
        last = request.messages[-1]
        if last.get("role") == "tool":
            await on_text(f"You are in {last['content']}.")
            return LlmResult()
        return LlmResult(
            tool_calls=(ToolCall(call_id="call-1", name="get_location", arguments={}),)
        )


def build(session: Session) -> Graph:
    """The bot: ``get_location`` runs on the client (``handler=None``)."""
    config = VoiceConfig(
        tools=TOOLS,
        functions={"get_location": Function(handler=None, timeout=10.0)},
        observer_params=ObserverParams(function_call_report_level={"get_location": "name"}),
    )
    return voice_graph(
        session,
        vad=energy_vad(),
        stt=FakeStt("where am I"),
        llm=LocationLlm(),
        tts=ToneTts(),
        config=config,
    )


async def main(port: int = 7863) -> None:
    """Serve the bot until cancelled (Ctrl-C)."""
    await Server(bot_session(build)).serve("127.0.0.1", port)


if __name__ == "__main__":
    configure_logging()
    trio.run(main)
