"""Effects: what `state.RtviProtocol.receive` asks the trio actor to do.

Server messages to send are `state.Outgoing`; everything else the protocol cannot do itself
(run the LLM, play audio, call async handlers) is one of these frozen values.
"""

from typing import Any, TypeAlias, final

import attrs

from rtvi_actors.protocol.client_messages import ClientAbout, SendFile
from rtvi_actors.protocol.converter import JsonObject
from rtvi_actors.protocol.legacy import ActionPlan, ConfigPlan
from rtvi_actors.protocol.ui import UiCancelJobGroup, UiEvent, UiSnapshot
from rtvi_actors.protocol.versions import Negotiation

__all__ = [
    "ApplyConfig",
    "AudioReceived",
    "ClientRequest",
    "ContextAppend",
    "DisconnectRequested",
    "DtmfPressed",
    "Effect",
    "FunctionCallResult",
    "Handshake",
    "RunAction",
    "UiMessage",
    "UserFile",
    "UserText",
]


@final
@attrs.frozen(kw_only=True)
class Handshake:
    """The handshake happened (first ``client-ready`` only): start the conversation."""

    request_id: str
    negotiation: Negotiation
    about: ClientAbout | None = None


@final
@attrs.frozen(kw_only=True)
class UserText:
    """``send-text``: interrupt if ``run_immediately``, append, run the LLM if asked.

    Acknowledge with a chat ``user-input`` (``msg_id=request_id``, server timestamp).
    """

    request_id: str
    content: str
    run_immediately: bool = True
    audio_response: bool = True


@final
@attrs.frozen(kw_only=True)
class UserFile:
    """``send-file``: a file or image for the LLM context (no ack)."""

    request_id: str
    message: SendFile


@final
@attrs.frozen(kw_only=True)
class DisconnectRequested:
    """``disconnect-bot``: flush queued output, then close the socket. No reply."""

    request_id: str


@final
@attrs.frozen(kw_only=True)
class ClientRequest:
    """``client-message``: the app must answer (`RtviProtocol.respond` / ``respond_error``)."""

    request_id: str
    t: str
    d: Any = None


@final
@attrs.frozen(kw_only=True)
class FunctionCallResult:
    """``llm-function-call-result``: finish the pending client-executed call."""

    request_id: str
    function_name: str
    tool_call_id: str
    arguments: JsonObject
    result: JsonObject | str


@final
@attrs.frozen(kw_only=True)
class DtmfPressed:
    """``dtmf``: keypad keys, in order."""

    request_id: str
    buttons: tuple[str, ...]


@final
@attrs.frozen(kw_only=True)
class AudioReceived:
    """PCM16 audio from ``raw-audio`` / ``raw-audio-batch`` (one effect per chunk)."""

    audio: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")
    sample_rate: int
    num_channels: int


@final
@attrs.frozen(kw_only=True)
class UiMessage:
    """``ui-event`` / ``ui-snapshot`` / ``ui-cancel-job-group`` for the UI workers."""

    request_id: str
    message: UiEvent | UiSnapshot | UiCancelJobGroup


@final
@attrs.frozen(kw_only=True)
class ContextAppend:
    """``append-to-context`` (only when enabled): append a message with any role."""

    request_id: str
    role: str
    content: Any
    run_immediately: bool = False


@final
@attrs.frozen(kw_only=True)
class ApplyConfig:
    """Legacy: interrupt if ``plan.interrupt``, then await each step's handler in order.

    Report with `RtviProtocol.config_applied` or ``config_failed``. ``request_id`` is
    ``None`` for the initial config of a legacy handshake (``bot-ready`` follows it).
    """

    plan: ConfigPlan
    request_id: str | None = None


@final
@attrs.frozen(kw_only=True)
class RunAction:
    """Legacy: await the action handler; report with ``action_completed``/``action_failed``."""

    request_id: str
    plan: ActionPlan


Effect: TypeAlias = (
    Handshake
    | UserText
    | UserFile
    | DisconnectRequested
    | ClientRequest
    | FunctionCallResult
    | DtmfPressed
    | AudioReceived
    | UiMessage
    | ContextAppend
    | ApplyConfig
    | RunAction
)
"""Anything `RtviProtocol.receive` may ask the actor to do."""
