"""Chat-completion stream events and the sans-IO assembler that produces them.

The assembler consumes decoded ``chat.completion.chunk`` objects (OpenAI's streaming format, also
spoken by Groq, Ollama, vLLM and llama.cpp's server) and turns them into typed events: text as it
arrives, tool calls only once complete (their ``arguments`` arrive as JSON fragments split
anywhere, keyed by ``index``), the token usage, and a final :class:`Done`. No I/O and no trio.
"""

from __future__ import annotations

import json
from typing import Any, TypeAlias, final

from attrs import field, frozen

from .errors import ProviderError

__all__ = [
    "ChatEvent",
    "ChatStreamAssembler",
    "Done",
    "TextDelta",
    "ToolCall",
    "Usage",
]


@final
@frozen(kw_only=True)
class TextDelta:
    """A piece of the assistant's reply text, in order."""

    text: str


@final
@frozen(kw_only=True)
class ToolCall:
    """A complete function call requested by the model.

    Attributes:
        id: The provider's call id (echo it back in the ``tool`` message); synthesised as
            ``call_<index>`` when a server omits it.
        name: The function name.
        arguments_json: The raw JSON arguments exactly as streamed (may be invalid JSON if the
            model misbehaved; see :meth:`arguments`).
        index: The call's position in this response.
    """

    id: str
    name: str
    arguments_json: str
    index: int = 0

    def arguments(self) -> dict[str, Any]:
        """Decode :attr:`arguments_json` (an empty string means no arguments).

        Raises:
            ProviderError: The JSON is invalid or not an object (not retryable as such; the
                caller may feed the error back to the model).
        """
        if not self.arguments_json.strip():
            return {}
        try:
            value = json.loads(self.arguments_json)
        except ValueError:
            raise ProviderError(f"tool call {self.name!r} has invalid JSON arguments") from None
        if not isinstance(value, dict):
            raise ProviderError(f"tool call {self.name!r} arguments are not a JSON object")
        return value


@final
@frozen(kw_only=True)
class Usage:
    """Token accounting for the whole request (sent once, just before :class:`Done`)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


@final
@frozen(kw_only=True)
class Done:
    """The stream ended normally.

    Attributes:
        finish_reason: ``"stop"``, ``"length"``, ``"tool_calls"``, ``"content_filter"``... or
            ``None`` if the server never said.
    """

    finish_reason: str | None


ChatEvent: TypeAlias = TextDelta | ToolCall | Usage | Done


@frozen(kw_only=True)
class _PendingCall:
    index: int
    id: list[str] = field(factory=list)
    name: list[str] = field(factory=list)
    arguments: list[str] = field(factory=list)


class ChatStreamAssembler:
    """Turns chat-completion chunks into :data:`ChatEvent` values.

    Call :meth:`feed` for each decoded chunk and :meth:`finish` at the end of the stream
    (``[DONE]`` or EOF). Only choice 0 is followed.
    """

    def __init__(self) -> None:
        self._calls: dict[int, _PendingCall] = {}
        self._last_index: int | None = None
        self._finish_reason: str | None = None
        self._usage: Usage | None = None
        self.done = False

    @property
    def finish_reason(self) -> str | None:
        """The finish reason seen so far, if any."""
        return self._finish_reason

    def feed(self, chunk: Any) -> list[ChatEvent]:
        """Consume one decoded chunk.

        Args:
            chunk: The JSON object from one ``data:`` line.

        Returns:
            The text deltas it carried, plus every completed tool call if it carried a finish
            reason.

        Raises:
            ProviderError: The chunk is not a JSON object.
        """
        if not isinstance(chunk, dict):
            raise ProviderError("malformed stream chunk (not a JSON object)", retryable=True)
        self._take_usage(chunk)
        events: list[ChatEvent] = []
        for choice in chunk.get("choices") or ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if isinstance(text, str) and text:
                events.append(TextDelta(text=text))
            for call in delta.get("tool_calls") or ():
                if isinstance(call, dict):
                    self._take_call(call)
            reason = choice.get("finish_reason")
            if reason:
                self._finish_reason = str(reason)
                events.extend(self._flush_calls())
        return events

    def finish(self) -> list[ChatEvent]:
        """End the stream: emit tool calls still pending, the usage, then :class:`Done`.

        Returns:
            The closing events; calling it again returns nothing.
        """
        if self.done:
            return []
        self.done = True
        events: list[ChatEvent] = list(self._flush_calls())
        if self._usage is not None:
            events.append(self._usage)
        events.append(Done(finish_reason=self._finish_reason))
        return events

    def _take_usage(self, chunk: dict[str, Any]) -> None:
        usage = chunk.get("usage")
        if not isinstance(usage, dict):  # Groq reports it under "x_groq".
            extra = chunk.get("x_groq")
            usage = extra.get("usage") if isinstance(extra, dict) else None
        if isinstance(usage, dict):
            prompt = int(usage.get("prompt_tokens") or 0)
            completion = int(usage.get("completion_tokens") or 0)
            total = int(usage.get("total_tokens") or prompt + completion)
            self._usage = Usage(
                prompt_tokens=prompt, completion_tokens=completion, total_tokens=total
            )

    def _take_call(self, call: dict[str, Any]) -> None:
        index = call.get("index")
        call_id = call.get("id") or ""
        if not isinstance(index, int):
            # Some servers omit "index": a new id starts a new call, otherwise continue the last.
            known = {"".join(p.id) for p in self._calls.values()}
            if self._last_index is None or (call_id and call_id not in known):
                index = len(self._calls)
            else:
                index = self._last_index
        pending = self._calls.get(index)
        if pending is None:
            pending = self._calls[index] = _PendingCall(index=index)
        self._last_index = index
        if call_id and not pending.id:
            pending.id.append(call_id)
        function = call.get("function") or {}
        name = function.get("name")
        if name and "".join(pending.name) != name:
            pending.name.append(name)
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            pending.arguments.append(arguments)
        elif arguments is not None:  # A few servers send an object instead of a JSON string.
            pending.arguments.append(json.dumps(arguments))

    def _flush_calls(self) -> list[ToolCall]:
        calls = [
            ToolCall(
                id="".join(p.id) or f"call_{p.index}",
                name="".join(p.name),
                arguments_json="".join(p.arguments),
                index=p.index,
            )
            for _, p in sorted(self._calls.items())
        ]
        self._calls.clear()
        self._last_index = None
        return calls
