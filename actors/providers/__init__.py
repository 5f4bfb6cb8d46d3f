"""Network provider clients: OpenAI-compatible LLM/STT/TTS over HTTP and Deepgram live STT.

Names are imported lazily, so ``import actors.providers`` does not import httpx or open anything
until a client is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "ChatEvent",
    "ChatRequest",
    "ChatResult",
    "DeepgramConfig",
    "DeepgramEvent",
    "DeepgramLive",
    "Done",
    "FinalTranscript",
    "InterimTranscript",
    "OpenAIChatClient",
    "OpenAIChatConfig",
    "OpenAISpeech",
    "OpenAISpeechConfig",
    "OpenAITranscriber",
    "OpenAITranscriberConfig",
    "ProviderAuthError",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderRateLimited",
    "ProviderStalled",
    "SpeechStarted",
    "SseEvent",
    "SseParser",
    "StreamMetadata",
    "TextDelta",
    "ToolCall",
    "Transcription",
    "Usage",
    "UtteranceEnd",
    "open_deepgram_live",
    "pcm16_wav",
    "redact",
]

_LOCATIONS = {
    "ChatEvent": "chat_stream",
    "ChatRequest": "openai_llm",
    "ChatResult": "openai_llm",
    "DeepgramConfig": "deepgram_stt",
    "DeepgramEvent": "deepgram_events",
    "DeepgramLive": "deepgram_stt",
    "Done": "chat_stream",
    "FinalTranscript": "deepgram_events",
    "InterimTranscript": "deepgram_events",
    "OpenAIChatClient": "openai_llm",
    "OpenAIChatConfig": "openai_llm",
    "OpenAISpeech": "openai_tts",
    "OpenAISpeechConfig": "openai_tts",
    "OpenAITranscriber": "openai_stt",
    "OpenAITranscriberConfig": "openai_stt",
    "ProviderAuthError": "errors",
    "ProviderConnectionError": "errors",
    "ProviderError": "errors",
    "ProviderRateLimited": "errors",
    "ProviderStalled": "errors",
    "SpeechStarted": "deepgram_events",
    "SseEvent": "sse",
    "SseParser": "sse",
    "StreamMetadata": "deepgram_events",
    "TextDelta": "chat_stream",
    "ToolCall": "chat_stream",
    "Transcription": "openai_stt",
    "Usage": "chat_stream",
    "UtteranceEnd": "deepgram_events",
    "open_deepgram_live": "deepgram_stt",
    "pcm16_wav": "wav",
    "redact": "errors",
}


def __getattr__(name: str) -> Any:
    module = _LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from .chat_stream import ChatEvent, Done, TextDelta, ToolCall, Usage
    from .deepgram_events import (
        DeepgramEvent,
        FinalTranscript,
        InterimTranscript,
        SpeechStarted,
        StreamMetadata,
        UtteranceEnd,
    )
    from .deepgram_stt import DeepgramConfig, DeepgramLive, open_deepgram_live
    from .errors import (
        ProviderAuthError,
        ProviderConnectionError,
        ProviderError,
        ProviderRateLimited,
        ProviderStalled,
        redact,
    )
    from .openai_llm import ChatRequest, ChatResult, OpenAIChatClient, OpenAIChatConfig
    from .openai_stt import OpenAITranscriber, OpenAITranscriberConfig, Transcription
    from .openai_tts import OpenAISpeech, OpenAISpeechConfig
    from .sse import SseEvent, SseParser
    from .wav import pcm16_wav
