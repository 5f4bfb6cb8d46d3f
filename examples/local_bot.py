"""The default offline voice bot, composed by hand: Silero VAD → Whisper tiny.en → the demo
responder → Piper. Same as ``python -m rtvi_actors``, as a starting point for your own.

Run:  pip install -e ".[local,local-tts]" && python examples/local_bot.py
Then open http://127.0.0.1:7860/ (the demo page) and talk.
"""

from __future__ import annotations

from pathlib import Path

import trio

from actors.bots import VoiceConfig
from actors.local import EngineChoice, local_bot, preload
from rtvi_actors.logs import configure_logging
from rtvi_actors.web import WebApp
from supervisors import Server, bot_session

STATIC = Path(__file__).resolve().parent.parent / "rtvi_actors" / "static"


async def main(port: int = 7860) -> None:
    choice = EngineChoice(tts="piper")
    preload(choice)  # load the models once per process, before the first session
    config = VoiceConfig(system_prompt="You are a helpful voice assistant.")
    server = Server(
        bot_session(lambda session: local_bot(session, config, choice)), http=WebApp(STATIC)
    )
    await server.serve("127.0.0.1", port)


if __name__ == "__main__":
    configure_logging()
    trio.run(main)
