"""The RTVI actor: client requests in, server messages out — the session's only RTVI writer.

It owns the order of everything the client sees: replies, ``bot-ready`` and the observer's
events all leave through it, so ``bot-ready`` always precedes events caused by later
messages. The protocol state (:class:`~rtvi_actors.protocol.RtviProtocol`) is owned by the
session's ``rtvi`` handle, so it survives a restart of this actor.

With ``observer=ObserverParams(...)`` it is also the RTVI observer: the pipeline events it is
subscribed to (``observer.OBSERVED``) become RTVI messages here, in the same step, and with a
``writer`` (``actors.writing.MessageWriter``) it writes the frames itself. That is the
standard voice graph: one hop from a stage's event to the client instead of three (a separate
`~actors.observer.ObserverActor` and message sender remain available for custom graphs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, final

import attrs
import trio

from rtvi_actors import (
    Actor,
    AudioIn,
    BotStartedSpeaking,
    BotStoppedSpeaking,
    Context,
    UserText,
)
from rtvi_actors import protocol as p
from rtvi_actors.session import RtviHandle
from rtvi_actors.voice import (
    ClientFunctionCall,
    ClientRtvi,
    FunctionCallResultIn,
    LlmStarted,
    LlmStopped,
    ObserverConfigure,
    RtviOut,
    ServerEvent,
)

from .content_parts import file_part
from .observer import OBSERVED, ObserverParams, RtviObserver, observe_event, utc_now_iso

__all__ = ["ClientMessageView", "RtviActor", "iso_now"]

iso_now: Final = utc_now_iso
"""The current UTC time in ISO-8601 with milliseconds (message content only)."""

_OBSERVED: Final = frozenset(OBSERVED)
_INLINE: Final = tuple(t for t in OBSERVED if t is not ObserverConfigure)
"""The events written in the sender's step when the actor is idle (`RtviActor.handle_now`)."""
_BUSY: Final[dict[type, dict[str, bool]]] = {
    BotStartedSpeaking: {"speaking": True},
    BotStoppedSpeaking: {"speaking": False},
    LlmStarted: {"generating": True},
    LlmStopped: {"generating": False},
}


@final
@attrs.frozen(kw_only=True)
class ClientMessageView:
    """What ``on_client_message`` handlers get: the request ``id``, its ``type`` (``t``)
    and ``data`` (``d``)."""

    id: str
    type: str
    data: Any


class RtviActor(Actor):
    """Decode client RTVI messages, run the protocol, carry out its effects, send replies
    and the observer's events.

    Args:
        handle: the session's ``rtvi`` handle (application handlers and settings).
        observer: act as the RTVI observer with these parameters (see the module docstring);
            ``None``: events only track whether the bot is busy.
        writer: write frames to the client with it (``actors.writing.MessageWriter``);
            ``None``: emit each envelope as an :class:`RtviOut` for a sender stage.
        drain_grace: after ``disconnect-bot``, how long the bot may finish speaking before the
            session ends.
        debug: send internal error text to the client (never in production).
        now_iso: the clock for message timestamps (tests pass a fixed one).
    """

    accepts = (ClientRtvi, ServerEvent, ClientFunctionCall, *OBSERVED)
    emits = (RtviOut, UserText, FunctionCallResultIn, AudioIn)
    publishes = (ObserverConfigure,)
    inline = _INLINE

    def __init__(
        self,
        handle: RtviHandle,
        *,
        observer: ObserverParams | None = None,
        writer: Any = None,
        drain_grace: float = 10.0,
        debug: bool = False,
        now_iso: Callable[[], str] = iso_now,
    ) -> None:
        self.rtvi = handle
        self.observer = RtviObserver(observer, now_iso=now_iso) if observer is not None else None
        self.writer = writer
        self.drain_grace = drain_grace
        self.debug = debug
        self.now_iso = now_iso
        self._ctx: Context | None = None
        self._speaking = False
        self._generating = False
        self._idle = trio.Event()
        self._idle.set()

    # -- lifecycle ------------------------------------------------------------------------------

    def interrupted(self, epoch: int) -> None:
        if self.observer is not None:
            self.observer.advance(epoch)

    async def started(self, ctx: Context) -> None:
        self._ctx = ctx
        if self.rtvi.state is None:
            opts = self.rtvi.options
            legacy = p.LegacyServices()
            for service in self.rtvi.services:
                legacy.register_service(service)
            for action in self.rtvi.actions:
                legacy.register_action(action)
            self.rtvi.state = p.RtviProtocol(
                legacy=legacy,
                legacy_enabled=opts.get("legacy_enabled", True),
                about=opts.get("about"),
                capabilities=opts.get(
                    "capabilities",
                    p.BotCapabilities(
                        audio_in=True,
                        audio_out=True,
                        video_in=False,
                        video_out=False,
                        screen_in=False,
                        metrics=True,
                    ),
                ),
            )
        self.rtvi.backend = self

    @property
    def protocol(self) -> p.RtviProtocol:
        """The session's protocol state."""
        assert self.rtvi.state is not None
        return self.rtvi.state

    # -- messages -------------------------------------------------------------------------------

    async def handle(self, msg: Any, ctx: Context) -> None:
        kind = type(msg)
        if isinstance(msg, ClientRtvi):
            decoded = p.decode_text(msg.data)
            if isinstance(decoded, p.Ignored):  # not RTVI (another label, not an object)
                self.rtvi.ignored += 1
                return
            await self._run(self.protocol.receive(decoded), ctx)
            return
        if isinstance(msg, ServerEvent):
            await self._send_event(msg.message, ctx)
            return
        busy = _BUSY.get(kind)
        if busy is not None:
            self._set_busy(**busy)
        if kind is ClientFunctionCall and self.protocol.dialect is p.Dialect.LEGACY:
            # 0.x clients execute ``llm-function-call`` (newer ones the observer's
            # ``llm-function-call-in-progress``)
            call = p.LlmFunctionCall(
                function_name=msg.name, tool_call_id=msg.call_id, args=dict(msg.arguments)
            )
            await self._send_event(call, ctx)
        if self.observer is not None and kind in _OBSERVED:
            await self._observe(msg, ctx)

    def handle_now(self, msg: Any, ctx: Context) -> bool:
        """An observed event, handled in the sender's step: its messages are written at once
        when the connection is free, the observer is on and its output transforms (which
        may be ``async``) are off; otherwise False, and `handle` takes it as usual."""
        observer, writer = self.observer, self.writer
        if observer is None or writer is None or observer.params.bot_output_transforms:
            return False
        if not writer.ready_now():
            return False
        busy = _BUSY.get(type(msg))
        if busy is not None:
            self._set_busy(**busy)
        envelopes = self._envelopes(observer.observe(msg))
        if envelopes:
            writer.write_now(envelopes, ctx)
        return True

    async def _observe(self, event: Any, ctx: Context) -> None:
        assert self.observer is not None
        envelopes = self._envelopes(await observe_event(self.observer, event, ctx.log))
        if envelopes:  # the messages of one event leave in one write
            await self._write(envelopes, ctx)

    def _envelopes(self, messages: list[Any]) -> list[dict[str, Any]]:
        """The envelopes of an event's messages that the client's version lets through."""
        return self.protocol.envelopes(messages) if messages else []

    def _set_busy(self, *, speaking: bool | None = None, generating: bool | None = None) -> None:
        if speaking is not None:
            self._speaking = speaking
        if generating is not None:
            self._generating = generating
        if self._speaking or self._generating:
            if self._idle.is_set():
                self._idle = trio.Event()
        else:
            self._idle.set()

    async def _run(self, outputs: list[p.Output], ctx: Context) -> None:
        handshake = False
        for out in outputs:
            if isinstance(out, p.Outgoing):
                await self._send(out, ctx)
            elif isinstance(out, p.Handshake):
                handshake = True
            else:
                await self._effect(out, ctx)
        if handshake:
            ctx.start_soon(self.rtvi.fire, "on_client_ready", self.rtvi)

    async def _effect(self, fx: Any, ctx: Context) -> None:
        match fx:
            case p.UserText():
                await self._send_event(
                    p.UserInput(
                        text=fx.content,
                        input_type="chat",
                        timestamp=self.now_iso(),
                        final=True,
                        msg_id=fx.request_id,
                    ),
                    ctx,
                )
                await ctx.emit(
                    UserText(
                        text=fx.content,
                        run_immediately=fx.run_immediately,
                        audio_response=fx.audio_response,
                        request_id=fx.request_id,
                    )
                )
            case p.UserFile(message=m):
                await ctx.emit(
                    UserText(
                        text=m.content,
                        run_immediately=m.run_immediately,
                        audio_response=m.audio_response,
                        files=(file_part(m.file),),
                        request_id=fx.request_id,
                    )
                )
            case p.DisconnectRequested():
                ctx.start_soon(self._drain, ctx)
            case p.ClientRequest():
                view = ClientMessageView(id=fx.request_id, type=fx.t, data=fx.d)
                if not self.rtvi.has_handlers("on_client_message"):
                    await self._send(
                        self.protocol.respond_error(
                            fx.request_id, f"no handler for client-message type {fx.t!r}"
                        ),
                        ctx,
                    )
                    return
                ctx.start_soon(self._client_message, view)
            case p.FunctionCallResult():
                await ctx.emit(
                    FunctionCallResultIn(
                        call_id=fx.tool_call_id, name=fx.function_name, result=fx.result
                    )
                )
            case p.DtmfPressed():
                ctx.start_soon(self.rtvi.fire, "on_dtmf", self.rtvi, fx.buttons)
            case p.AudioReceived():
                if fx.sample_rate == 16000 and fx.num_channels == 1:
                    await ctx.emit(AudioIn(pcm=fx.audio, sample_rate=16000))
                else:
                    ctx.log.warning("rtvi.raw_audio_format", rate=fx.sample_rate)
            case p.UiMessage():
                ctx.start_soon(self.rtvi.fire, "on_ui_message", self.rtvi, fx.message)
            case p.ApplyConfig():
                await self._apply_config(fx, ctx)
            case p.RunAction():
                await self._run_action(fx, ctx)
            case _:
                ctx.log.warning("rtvi.unhandled_effect", effect=type(fx).__name__)

    async def _client_message(self, view: ClientMessageView) -> None:
        failed = await self.rtvi.fire("on_client_message", self.rtvi, view)
        if failed and self._ctx is not None:
            try:
                out = self.protocol.respond_error(view.id, "the server failed to handle it")
                await self._send(out, self._ctx)
            except p.LocalProtocolError:
                pass

    async def _apply_config(self, fx: p.ApplyConfig, ctx: Context) -> None:
        plan = fx.plan
        try:
            if plan.interrupt:
                try:
                    ctx.interrupt("update-config")
                except PermissionError:
                    ctx.log.warning("rtvi.cannot_interrupt", reason="update-config")
            for step in plan.steps:
                if step.handler is not None:
                    await step.handler(step.service, step.option)
        except Exception as exc:
            await self._run(self.protocol.config_failed(fx, self._safe(exc)), ctx)
            return
        await self._run(self.protocol.config_applied(fx), ctx)

    async def _run_action(self, fx: p.RunAction, ctx: Context) -> None:
        handler = fx.plan.handler
        try:
            result = (
                None
                if handler is None
                else await handler(fx.plan.action.service, fx.plan.arguments)
            )
        except Exception as exc:
            await self._run(self.protocol.action_failed(fx, self._safe(exc)), ctx)
            return
        await self._run(self.protocol.action_completed(fx, result), ctx)

    def _safe(self, exc: BaseException) -> str:
        return f"{type(exc).__name__}: {exc}" if self.debug else type(exc).__name__

    async def _drain(self, ctx: Context) -> None:
        """``disconnect-bot``: let the bot finish speaking (bounded), then end the session."""
        await self.rtvi.fire("on_client_disconnect_requested", self.rtvi)
        with trio.move_on_after(self.drain_grace):
            await self._idle.wait()
        ctx.log.info("rtvi.disconnect_bot", drained=not (self._speaking or self._generating))
        ctx.stop()

    # -- sending --------------------------------------------------------------------------------

    async def _send(self, out: p.Outgoing, ctx: Context) -> None:
        await self._write([out.to_dict()], ctx)

    async def _write(self, envelopes: list[dict[str, Any]], ctx: Context) -> None:
        if self.writer is not None:  # in one write; on failure it ends this actor
            await self.writer.write_soon(envelopes, ctx)
            return
        for envelope in envelopes:
            await ctx.emit(RtviOut(envelope=envelope))

    async def _send_event(self, message: Any, ctx: Context) -> None:
        if envelopes := self.protocol.envelopes([message]):
            await self._write(envelopes, ctx)

    # -- the backend of session.rtvi ------------------------------------------------------------

    def _require_ctx(self) -> Context:
        if self._ctx is None:
            raise RuntimeError("the RTVI actor is not running")
        return self._ctx

    async def set_bot_ready(self) -> None:
        await self._run(self.protocol.bot_ready(), self._require_ctx())

    async def send_server_message(self, data: Any) -> None:
        await self._send_event(p.ServerMessage(data=data), self._require_ctx())

    async def send_server_response(self, request_id: str, data: Any = None) -> None:
        await self._send(self.protocol.respond(request_id, data), self._require_ctx())

    async def send_error_response(self, request_id: str, error: str) -> None:
        await self._send(self.protocol.respond_error(request_id, error), self._require_ctx())

    async def send_error(self, error: str, *, fatal: bool = False) -> None:
        await self._send_event(p.Error(error=error, fatal=fatal), self._require_ctx())

    def interrupt_bot(self) -> None:
        self._require_ctx().interrupt("rtvi.interrupt_bot")

    def configure_observer(self, changes: dict[str, Any]) -> None:
        ctx = self._require_ctx()
        if self.observer is not None:
            try:
                self.observer.configure(**changes)
            except (TypeError, ValueError) as exc:
                ctx.log.error("observer.configure_rejected", error=str(exc))
        ctx.publish(ObserverConfigure(changes=changes))  # for stand-alone observer stages
