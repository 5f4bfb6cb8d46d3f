"""Network engines: OpenAI-compatible LLM, STT and TTS, and a Deepgram-style streaming STT
stage, adapted to the stage interfaces (``generate``, ``transcribe``, ``synthesize``).

Configuration comes from flags and environment variables in the composition root; API keys are
read from the environment only and never logged.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from rtvi_actors import Actor, AudioIn, Context, Metric, Transcript
from rtvi_actors.voice import Generate, SttUsage, VadStarted, VadStopped

from .llm import LlmResult, ToolCall

__all__ = ["DeepgramSttActor", "OpenAILlm", "OpenAIStt", "OpenAITts", "env_key"]


def env_key(*names: str) -> str | None:
    """The first non-empty environment variable among ``names`` (API keys live there)."""
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


class OpenAILlm:
    """An OpenAI-compatible streaming chat model (OpenAI, Groq, Ollama, vLLM, llama.cpp)."""

    name = "OpenAILlm"

    def __init__(self, config: Any) -> None:
        from .providers import OpenAIChatClient

        self.config = config
        self.model: str | None = config.model
        self.client = OpenAIChatClient(config)

    async def generate(
        self, request: Generate, on_text: Callable[[str], Awaitable[None]]
    ) -> LlmResult:
        """Stream one reply; tool calls and usage come back in the result.

        Cancellation: closes the HTTP stream at once (barge-in).
        """
        from .providers import ChatRequest, TextDelta, Usage
        from .providers import ToolCall as ProviderToolCall

        calls: list[ToolCall] = []
        usage = None
        req = ChatRequest(messages=request.messages, tools=request.tools)
        async with self.client.stream(req) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    await on_text(event.text)
                elif isinstance(event, ProviderToolCall):
                    calls.append(
                        ToolCall(call_id=event.id, name=event.name, arguments=event.arguments())
                    )
                elif isinstance(event, Usage):
                    usage = event
        return LlmResult(
            tool_calls=tuple(calls),
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
        )


class OpenAIStt:
    """An OpenAI-compatible ``/audio/transcriptions`` service, one request per utterance."""

    name = "OpenAIStt"

    def __init__(self, config: Any) -> None:
        from .providers import OpenAITranscriber

        self.model: str | None = config.model
        self.client = OpenAITranscriber(config)

    async def transcribe(self, pcm16: bytes) -> str:
        """Transcribe one 16 kHz utterance."""
        result = await self.client.transcribe(pcm16)
        return result.text


class OpenAITts:
    """An OpenAI-compatible ``/audio/speech`` service (PCM16, streamed)."""

    name = "OpenAITts"

    def __init__(self, config: Any) -> None:
        from .providers import OpenAISpeech

        self.model: str | None = config.model
        self.rate = config.sample_rate
        self.client = OpenAISpeech(config)

    async def synthesize(self, text: str, on_audio: Callable[..., Awaitable[None]]) -> None:
        """Stream the speech of ``text``; cancellation closes the HTTP stream."""
        async with self.client.stream(text) as chunks:
            async for pcm in chunks:
                await on_audio(pcm, self.rate)


class DeepgramSttActor(Actor):
    """A streaming STT stage: all audio goes to a Deepgram-style live socket; interim and
    final transcripts come back (its own endpointing ends turns: use ``TurnPolicy(stop=
    "transcription")``). One socket per incarnation; a failure restarts the stage.
    """

    accepts = (AudioIn, VadStarted, VadStopped)
    emits = (Transcript,)
    publishes = (Transcript, SttUsage, Metric)

    def __init__(self, config: Any) -> None:
        self.config = config
        self._live: Any = None
        self._seconds = 0.0

    async def started(self, ctx: Context) -> None:
        ready = trio.Event()
        ctx.start_soon(self._run, ctx, ready)
        await ready.wait()

    async def _run(self, ctx: Context, ready: trio.Event) -> None:
        from .providers import FinalTranscript, InterimTranscript, open_deepgram_live

        async with open_deepgram_live(self.config) as live:
            self._live = live
            ready.set()
            async for event in live.events:
                now = trio.current_time()
                if isinstance(event, InterimTranscript):
                    ctx.publish(Transcript(text=event.text, final=False, at=now))
                elif isinstance(event, FinalTranscript) and event.text.strip():
                    final = Transcript(text=event.text.strip(), final=True, at=now)
                    ctx.publish(final)
                    await ctx.emit(final)

    async def handle(self, msg: Any, ctx: Context) -> None:
        if isinstance(msg, AudioIn) and self._live is not None and msg.pcm:
            await self._live.send_audio(msg.pcm)
            self._seconds += len(msg.pcm) / 2 / 16000
