"""A bot that speaks first: when the client is ready, queue a context message and run the LLM.

Run:  python examples/greet_first.py   (uses the model-free scripted engines)
"""

from __future__ import annotations

import trio

from actors.bots import VoiceConfig, voice_graph
from actors.fakes import FakeStt, ToneTts, energy_vad
from actors.local import DemoResponder
from actors.turn import RunLlm
from rtvi_actors import Graph
from rtvi_actors.logs import configure_logging
from rtvi_actors.session import Session
from supervisors import Server, bot_session


def build(session: Session) -> Graph:
    """The bot: a standard voice graph plus an ``on_client_ready`` greeting."""

    @session.rtvi.event_handler("on_client_ready")
    async def greet(rtvi) -> None:
        # bot-ready has been sent; now make the bot talk before the user does
        session.queue(
            "turn",
            RunLlm(messages=({"role": "system", "content": "Greet the user warmly."},)),
        )

    @session.transport.event_handler("on_client_disconnected")
    async def bye(transport, session: Session) -> None:
        session.cancel()

    return voice_graph(
        session,
        vad=energy_vad(),
        stt=FakeStt("hello"),
        llm=DemoResponder(),
        tts=ToneTts(),
        config=VoiceConfig(system_prompt="You are a friendly assistant."),
    )


async def main(port: int = 7862) -> None:
    """Serve the bot until cancelled (Ctrl-C)."""
    await Server(bot_session(build)).serve("127.0.0.1", port)


if __name__ == "__main__":
    configure_logging()
    trio.run(main)
