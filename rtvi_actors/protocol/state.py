"""`RtviProtocol`: the per-session handshake/version state machine (sans-IO, h11-shaped).

Feed it decoded client messages with `RtviProtocol.receive`; it returns a list of outputs,
in order: `Outgoing` server messages to encode and send, and `effects` for the actor to carry
out. Server-initiated messages go through `send` (which applies the version gates),
`respond` / `respond_error` (request replies) and `bot_ready` (manual handshake mode).

Rules (from Pipecat 1.14, with the improvements noted):

- Nothing is gated on ``client-ready``: requests before it are handled normally. Before the
  handshake the session counts as modern, so legacy requests get "Unsupported type".
- ``client-ready`` always ends with ``bot-ready`` (same id), after an ``error-response``
  when the version is incompatible or malformed (see `versions`). A repeated ``client-ready``
  gets another ``bot-ready`` but no second `effects.Handshake`; the dialect stays.
- After ``disconnect-bot`` every further message is ignored.
"""

import enum
from collections import OrderedDict
from typing import Any, Final

from rtvi_actors.protocol import client_messages as c
from rtvi_actors.protocol import effects as fx
from rtvi_actors.protocol import legacy_messages as lm
from rtvi_actors.protocol import server_messages as s
from rtvi_actors.protocol import ui
from rtvi_actors.protocol.catalog import ServerToClient
from rtvi_actors.protocol.codec import (
    ClientEnvelope,
    Decoded,
    Ignored,
    Invalid,
    decode_text,
    encode,
)
from rtvi_actors.protocol.converter import JsonObject
from rtvi_actors.protocol.errors import LocalProtocolError
from rtvi_actors.protocol.legacy import LegacyServices
from rtvi_actors.protocol.legacy_session import legacy_request
from rtvi_actors.protocol.outputs import Outgoing, Output
from rtvi_actors.protocol.sendable import GATED, REFUSED, permitted, send_kind
from rtvi_actors.protocol.versions import Dialect, Negotiation, negotiate

__all__ = ["DEFAULT_ABOUT", "RtviProtocol", "SessionState"]

DEFAULT_ABOUT: Final[JsonObject] = {"library": "rtvi-actors", "library_version": "0.1.0"}
"""``bot-ready.data.about`` unless the application gives its own."""

_LEGACY_REQUESTS: Final = (
    lm.DescribeConfig,
    lm.DescribeActions,
    lm.GetConfig,
    lm.UpdateConfig,
    lm.Action,
)


class SessionState(enum.Enum):
    """Where the handshake stands."""

    AWAITING_CLIENT_READY = "awaiting-client-ready"
    AWAITING_BOT_READY = "awaiting-bot-ready"
    READY = "ready"
    DISCONNECTING = "disconnecting"


class RtviProtocol:
    """One RTVI session's protocol state. Pure: no I/O, no clock, no trio."""

    def __init__(
        self,
        *,
        legacy: LegacyServices | None = None,
        legacy_enabled: bool = True,
        about: JsonObject | None = None,
        capabilities: s.BotCapabilities | None = None,
        auto_bot_ready: bool = True,
        accept_append_to_context: bool = False,
        max_pending_requests: int = 256,
    ) -> None:
        """Create the state machine.

        Args:
            legacy: The 0.x layer (services, actions, initial config). When ``None`` and
                ``legacy_enabled``, an empty layer is used.
            legacy_enabled: False disables the 0.x layer (Pipecat ≥ 1.0 behaviour: version
                warnings for 0.x / missing versions, "Unsupported type" for legacy requests).
            about: ``bot-ready.data.about``; defaults to `DEFAULT_ABOUT`.
            capabilities: ``bot-ready.data.capabilities`` (sent to non-legacy clients).
            auto_bot_ready: Send ``bot-ready`` right after ``client-ready``. When False the
                actor calls `bot_ready` itself after `effects.Handshake`.
            accept_append_to_context: Turn ``append-to-context`` into `effects.ContextAppend`
                instead of rejecting it like Pipecat ≥ 1.0.
            max_pending_requests: How many unanswered ``client-message`` ids to remember.
        """
        if legacy is None and legacy_enabled:
            legacy = LegacyServices()
        self.legacy = legacy if legacy_enabled else None
        self._about = dict(DEFAULT_ABOUT if about is None else about)
        self._capabilities = capabilities
        self._auto = auto_bot_ready
        self._append = accept_append_to_context
        self._max_pending = max_pending_requests
        self._pending: OrderedDict[str, str] = OrderedDict()
        self.state = SessionState.AWAITING_CLIENT_READY
        self.negotiation: Negotiation | None = None
        self.client_ready_id: str | None = None

    @property
    def dialect(self) -> Dialect:
        """Return the session dialect (``V2`` until ``client-ready`` says otherwise)."""
        return Dialect.V2 if self.negotiation is None else self.negotiation.dialect

    def receive_text(self, payload: str | bytes) -> list[Output]:
        """Decode one JSON message and handle it. Never raises on client input.

        Args:
            payload: The RTVI JSON text.

        Returns:
            The outputs, in order.
        """
        return self.receive(decode_text(payload))

    def receive(self, item: Decoded) -> list[Output]:
        """Handle one decoded client message. Never raises on client input.

        Args:
            item: What `codec.decode` returned.

        Returns:
            Outgoing messages and effects, in the order they must happen.
        """
        if self.state is SessionState.DISCONNECTING or isinstance(item, Ignored):
            return []
        if isinstance(item, Invalid):
            message, reply_id = item.reply()
            return [Outgoing(message=message, id=reply_id)]
        return self._dispatch(item)

    def _dispatch(self, env: ClientEnvelope) -> list[Output]:
        msg, rid = env.message, env.id
        match msg:
            case c.ClientReady():
                return self._client_ready(rid, msg)
            case c.DisconnectBot():
                self.state = SessionState.DISCONNECTING
                return [fx.DisconnectRequested(request_id=rid)]
            case c.ClientMessage(t=tag, d=data):
                self._remember(rid, tag)
                return [fx.ClientRequest(request_id=rid, t=tag, d=data)]
            case c.SendText():
                return [
                    fx.UserText(
                        request_id=rid,
                        content=msg.content,
                        run_immediately=msg.run_immediately,
                        audio_response=msg.audio_response,
                    )
                ]
            case c.SendFile():
                return [fx.UserFile(request_id=rid, message=msg)]
            case c.LlmFunctionCallResult():
                return [
                    fx.FunctionCallResult(
                        request_id=rid,
                        function_name=msg.function_name,
                        tool_call_id=msg.tool_call_id,
                        arguments=msg.arguments,
                        result=msg.result,
                    )
                ]
            case c.Dtmf(buttons=buttons):
                return [fx.DtmfPressed(request_id=rid, buttons=buttons)]
            case c.RawAudio() | c.RawAudioBatch():
                chunks = (msg.audio,) if isinstance(msg, c.RawAudio) else msg.audio
                rate, channels = msg.sample_rate, msg.num_channels
                return [
                    fx.AudioReceived(audio=a, sample_rate=rate, num_channels=channels)
                    for a in chunks
                ]
            case ui.UiEvent() | ui.UiSnapshot() | ui.UiCancelJobGroup():
                return [fx.UiMessage(request_id=rid, message=msg)]
            case c.AppendToContext() if self._append:
                return [
                    fx.ContextAppend(
                        request_id=rid,
                        role=msg.role,
                        content=msg.content,
                        run_immediately=msg.run_immediately,
                    )
                ]
            case _ if isinstance(msg, _LEGACY_REQUESTS) and self._legacy_session():
                assert self.legacy is not None  # checked by _legacy_session
                return legacy_request(self.legacy, rid, msg)
        return [self._unsupported(rid, type(msg).TYPE)]

    @staticmethod
    def _unsupported(rid: str, wire_type: str) -> Outgoing:
        return Outgoing(message=s.ErrorResponse(error=f"Unsupported type {wire_type}"), id=rid)

    def _legacy_session(self) -> bool:
        return self.legacy is not None and self.dialect is Dialect.LEGACY

    def _client_ready(self, rid: str, msg: c.ClientReady) -> list[Output]:
        if self.negotiation is not None:
            self.client_ready_id = rid
            if self.state is SessionState.AWAITING_BOT_READY:
                return []
            return [Outgoing(message=self._bot_ready_message(), id=rid)]
        negotiation = negotiate(msg.version, legacy_enabled=self.legacy is not None)
        self.negotiation, self.client_ready_id = negotiation, rid
        self.state = SessionState.AWAITING_BOT_READY
        out: list[Output] = []
        if negotiation.warning is not None:
            out.append(Outgoing(message=s.ErrorResponse(error=negotiation.warning), id=rid))
        out.append(fx.Handshake(request_id=rid, negotiation=negotiation, about=msg.about))
        if not self._auto:
            return out
        plan = self.legacy.initial_plan() if self._legacy_session() else None
        if plan is not None:
            out.append(fx.ApplyConfig(plan=plan))
            return out
        return out + self.bot_ready()

    def _bot_ready_message(self) -> s.BotReady:
        negotiation = self.negotiation
        if negotiation is None:
            raise LocalProtocolError("bot-ready before client-ready")
        if negotiation.dialect is Dialect.LEGACY and self.legacy is not None:
            return s.BotReady(
                version=negotiation.bot_version,
                about=self._about,
                config=self.legacy.stored_config,
            )
        return s.BotReady(
            version=negotiation.bot_version, about=self._about, capabilities=self._capabilities
        )

    def bot_ready(self) -> list[Output]:
        """Send ``bot-ready`` for the pending ``client-ready`` (manual mode, or internally).

        Returns:
            The ``bot-ready`` message, with the ``client-ready`` id.

        Raises:
            LocalProtocolError: No ``client-ready`` yet, or ``bot-ready`` was already sent.
        """
        if self.state is not SessionState.AWAITING_BOT_READY:
            raise LocalProtocolError(f"cannot send bot-ready in state {self.state.value}")
        self.state = SessionState.READY
        return [Outgoing(message=self._bot_ready_message(), id=self.client_ready_id)]

    def _remember(self, rid: str, tag: str) -> None:
        self._pending[rid] = tag
        self._pending.move_to_end(rid)
        while len(self._pending) > self._max_pending:
            self._pending.popitem(last=False)

    def respond(self, request_id: str, d: Any = None) -> Outgoing:
        """Answer a ``client-message`` with ``server-response`` (``t`` echoed).

        Args:
            request_id: The ``client-message`` id.
            d: The response payload.

        Returns:
            The message to send.

        Raises:
            LocalProtocolError: No unanswered ``client-message`` has this id.
        """
        tag = self._pending.pop(request_id, None)
        if tag is None:
            raise LocalProtocolError(f"no pending client-message with id {request_id!r}")
        return Outgoing(message=s.ServerResponse(t=tag, d=d), id=request_id)

    def respond_error(self, request_id: str, error: str) -> Outgoing:
        """Answer any request with ``error-response``.

        Args:
            request_id: The request's id.
            error: Text for the client (keep internal details out).

        Returns:
            The message to send.
        """
        self._pending.pop(request_id, None)
        return Outgoing(message=s.ErrorResponse(error=error), id=request_id)

    def permits(self, message: ServerToClient) -> bool:
        """Tell whether a server event may go to this client: the version gates of
        `sendable.permitted` for the session's dialect."""
        at_least_2_2 = self.negotiation is not None and self.negotiation.at_least_2_2
        return permitted(message, self.dialect, at_least_2_2)

    def send(self, message: ServerToClient) -> list[Outgoing]:
        """Prepare a server-initiated event (empty list when a version gate drops it).

        Args:
            message: Any server message that carries no request id.

        Returns:
            Zero or one `Outgoing`.

        Raises:
            LocalProtocolError: A request reply (use `respond`, `respond_error`, `bot_ready`)
                or a client → server message.
        """
        return [Outgoing(message=message)] if self._admits(message) else []

    def envelopes(self, messages: list[ServerToClient]) -> list[dict[str, Any]]:
        """The JSON envelopes of server-initiated events, in order, without the ones a
        version gate holds back: `send` for many, without `Outgoing` wrappers (the path of
        every observed pipeline event).

        Raises:
            LocalProtocolError: As `send` (nothing is returned then).
        """
        return [encode(message) for message in messages if self._admits(message)]

    def _admits(self, message: ServerToClient) -> bool:
        """Whether `send` lets ``message`` through (its version gate); raises for replies."""
        kind = send_kind(type(message))
        if kind is REFUSED:
            raise LocalProtocolError(f"{type(message).__name__} cannot be sent with send()")
        return kind is not GATED or self.permits(message)

    def config_applied(self, effect: fx.ApplyConfig) -> list[Output]:
        """Report that every handler of an `effects.ApplyConfig` succeeded.

        Args:
            effect: The effect that was carried out.

        Returns:
            ``config`` for an ``update-config``; ``bot-ready`` for the initial config.
        """
        layer = self._require_legacy()
        reply = layer.commit(effect.plan)
        if effect.request_id is None:
            return self.bot_ready()
        return [Outgoing(message=reply, id=effect.request_id)]

    def config_failed(self, effect: fx.ApplyConfig, error: str) -> list[Output]:
        """Report that a handler of an `effects.ApplyConfig` raised (nothing is stored).

        Args:
            effect: The effect that was carried out.
            error: What went wrong (sent to the client).

        Returns:
            ``error-response`` for an ``update-config``; for the initial config, ``bot-ready``
            followed by a non-fatal ``error`` (so the client is not stuck connecting).
        """
        self._require_legacy()
        text = f"Exception processing message: {error}"
        if effect.request_id is None:
            return [*self.bot_ready(), Outgoing(message=s.Error(error=text, fatal=False))]
        return [Outgoing(message=s.ErrorResponse(error=text), id=effect.request_id)]

    def action_completed(self, effect: fx.RunAction, result: Any) -> list[Output]:
        """Report an action handler's result.

        Args:
            effect: The effect that was carried out.
            result: The handler's return value (``None`` becomes ``true``).

        Returns:
            The ``action-response``.
        """
        layer = self._require_legacy()
        return [Outgoing(message=layer.action_response(result), id=effect.request_id)]

    def action_failed(self, effect: fx.RunAction, error: str) -> list[Output]:
        """Report that an action handler raised; later actions keep working.

        Args:
            effect: The effect that was carried out.
            error: What went wrong (sent to the client).

        Returns:
            The ``error-response``.
        """
        self._require_legacy()
        text = f"Exception processing message: {error}"
        return [Outgoing(message=s.ErrorResponse(error=text), id=effect.request_id)]

    def _require_legacy(self) -> LegacyServices:
        if self.legacy is None:
            raise LocalProtocolError("the legacy layer is disabled")
        return self.legacy
