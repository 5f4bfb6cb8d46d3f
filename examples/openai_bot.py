"""A voice bot on OpenAI-compatible services: any chat-completions server for the LLM (OpenAI,
Groq, Ollama, vLLM, the llama.cpp server), ``/audio/transcriptions`` for STT and
``/audio/speech`` for TTS. Keys come from the environment.

Run:  OPENAI_API_KEY=... python examples/openai_bot.py
      # or a local server:  LLM_BASE_URL=http://127.0.0.1:11434/v1 LLM_MODEL=llama3.2 ...

The same thing from the command line:
      python -m rtvi_actors --llm openai --llm-model gpt-4o-mini --stt openai --tts openai
"""

from __future__ import annotations

import os
from pathlib import Path

import trio

from actors.bots import VoiceConfig
from actors.local import EngineChoice, local_bot, make_engines
from rtvi_actors.logs import configure_logging
from rtvi_actors.web import WebApp
from supervisors import Server, bot_session

STATIC = Path(__file__).resolve().parent.parent / "rtvi_actors" / "static"


def choice_from_env() -> EngineChoice:
    """Engines from environment variables (the keys are read by the engines themselves)."""
    api = os.environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1")
    return EngineChoice(
        vad="silero" if os.environ.get("VAD", "silero") == "silero" else "energy",
        llm="openai",
        llm_base_url=os.environ.get("LLM_BASE_URL", api),
        llm_model=os.environ.get("LLM_MODEL", "gpt-4o-mini"),
        stt="openai",
        stt_base_url=os.environ.get("STT_BASE_URL", api),
        stt_model=os.environ.get("STT_MODEL", "whisper-1"),
        tts="openai",
        tts_base_url=os.environ.get("TTS_BASE_URL", api),
        tts_model=os.environ.get("TTS_MODEL", "tts-1"),
        tts_voice=os.environ.get("TTS_VOICE", "alloy"),
    )


async def main(port: int = 7864) -> None:
    """Serve the bot until cancelled (Ctrl-C)."""
    engines = make_engines(choice_from_env())  # one set of HTTP clients for every session
    config = VoiceConfig(system_prompt="You are a helpful voice assistant. Be brief.")
    server = Server(
        bot_session(lambda session: local_bot(session, config, engines=engines)),
        http=WebApp(STATIC),
    )
    await server.serve("127.0.0.1", port)


if __name__ == "__main__":
    configure_logging()
    trio.run(main)
