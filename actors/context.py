"""The conversation context: what the LLM sees, recording what the user actually heard.

When a reply is requested, an assistant slot is reserved right after the user message that
caused it; the slot is filled later with the text the user heard (the audio sender reports it)
or, for text-only replies, the generated text. However events and later transcripts
interleave, the history stays in conversational order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

__all__ = ["Conversation"]


@attrs.define
class _Slot:
    epoch: int
    text: str = ""
    filled: bool = False
    interrupted: bool = False


class Conversation:
    """A session's LLM context in OpenAI chat format. Owned by the session, so it survives
    restarts of the stage that edits it.

    Args:
        system: the system prompt, if any.
        tools: OpenAI function-tool schemas offered to the LLM.
        max_messages: keep at most this many messages besides the system prompt; the oldest
            turns go first (trimmed when a user message is added).
    """

    def __init__(
        self,
        system: str | None = None,
        tools: Iterable[Mapping[str, Any]] = (),
        *,
        max_messages: int | None = None,
    ) -> None:
        self._items: list[dict[str, Any] | _Slot] = []
        self._system = 0
        if system:
            self._items.append({"role": "system", "content": system})
            self._system = 1
        self.tools: tuple[Mapping[str, Any], ...] = tuple(tools)
        self.max_messages = max_messages
        self.trimmed = 0

    def _trim(self) -> None:
        """Drop the oldest turns beyond ``max_messages`` (the system prompt stays), starting at
        a user message so no tool result is left without its call."""
        if self.max_messages is None:
            return
        excess = len(self._items) - self._system - self.max_messages
        if excess <= 0:
            return
        cut = self._system + excess
        while cut < len(self._items):
            item = self._items[cut]
            if isinstance(item, dict) and item.get("role") == "user":
                break
            cut += 1
        self.trimmed += cut - self._system
        del self._items[self._system : cut]

    def add(self, message: Mapping[str, Any]) -> None:
        """Append any message (``{"role": ..., "content": ...}``)."""
        self._items.append(dict(message))

    def add_user(self, text: str, files: Iterable[Any] = ()) -> None:
        """Append a user message; files become extra content parts."""
        parts = list(files)
        if parts:
            content: Any = [{"type": "text", "text": text}, *parts]
        else:
            content = text
        self._items.append({"role": "user", "content": content})
        self._trim()

    def reserve(self, epoch: int) -> None:
        """Reserve the assistant reply of ``epoch`` at the current end of the history."""
        self._items.append(_Slot(epoch))

    def fill(self, epoch: int, text: str, *, interrupted: bool = False) -> bool:
        """Record the reply of ``epoch`` (the first unfilled slot of that epoch).

        Returns:
            False when no slot of that epoch waits (already filled, or never reserved).
        """
        for item in self._items:
            if isinstance(item, _Slot) and item.epoch == epoch and not item.filled:
                item.text, item.filled, item.interrupted = text, True, interrupted
                return True
        return False

    def add_tool_call(self, epoch: int, call_id: str, name: str, arguments: Any) -> None:
        """Record that the reply of ``epoch`` called a tool (before its result)."""
        call = {
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments)},
        }
        last = self._items[-1] if self._items else None
        if isinstance(last, dict) and last.get("role") == "assistant" and "tool_calls" in last:
            last["tool_calls"].append(call)
            return
        self._items.append({"role": "assistant", "content": None, "tool_calls": [call]})

    def add_tool_result(self, call_id: str, result: Any) -> None:
        """Record a tool's result (any JSON value)."""
        content = result if isinstance(result, str) else json.dumps(result)
        self._items.append({"role": "tool", "tool_call_id": call_id, "content": content})

    def messages(self) -> tuple[dict[str, Any], ...]:
        """The history in OpenAI format. Unfilled and empty assistant slots are left out."""
        out: list[dict[str, Any]] = []
        for item in self._items:
            if isinstance(item, _Slot):
                if item.filled and item.text:
                    out.append({"role": "assistant", "content": item.text})
            else:
                out.append(dict(item))
        return tuple(out)

    def last_user_text(self) -> str:
        """The text of the most recent user message ("" when none)."""
        for item in reversed(self._items):
            if isinstance(item, dict) and item.get("role") == "user":
                content = item["content"]
                if isinstance(content, str):
                    return content
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        return ""
