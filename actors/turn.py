"""The turn stage: decides when the user's turn ends, when a barge-in interrupts the bot, and
runs the function calls the LLM asks for. It edits the session's :class:`Conversation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import trio

from rtvi_actors import (
    Actor,
    BotStartedSpeaking,
    BotStoppedSpeaking,
    Context,
    Interrupted,
    Transcript,
    UserStartedSpeaking,
    UserStoppedSpeaking,
    UserText,
)
from rtvi_actors.voice import (
    BotSpoke,
    ClientFunctionCall,
    FunctionCallCancelled,
    FunctionCallFinished,
    FunctionCallRequested,
    FunctionCallResultIn,
    Generate,
    LlmStarted,
    LlmStopped,
    PlayoutPause,
    PlayoutResume,
    Ttfa,
    UserMuteStarted,
    UserMuteStopped,
    UserTurn,
)

from .context import Conversation
from .functions import Function, RunLlm, _Call
from .turn_policy import Barge, BargeIn, TurnPolicy

__all__ = ["TURN_EVENTS", "Function", "RunLlm", "TurnActor", "TurnPolicy"]

TURN_EVENTS: Final = (
    UserStartedSpeaking,
    UserStoppedSpeaking,
    BotStartedSpeaking,
    BotStoppedSpeaking,
    BotSpoke,
    LlmStarted,
    LlmStopped,
    FunctionCallRequested,
    Interrupted,
)
"""The published events the turn stage takes (the standard graph subscribes it to them)."""


class TurnActor(Actor):
    """Turn taking, interruption and function calling over a session's conversation."""

    accepts = (Transcript, UserText, FunctionCallResultIn, RunLlm, *TURN_EVENTS)
    emits = (Generate,)
    publishes = (
        UserTurn,
        FunctionCallFinished,
        FunctionCallCancelled,
        Ttfa,
        UserMuteStarted,
        UserMuteStopped,
        PlayoutPause,
        PlayoutResume,
        ClientFunctionCall,
    )

    def __init__(
        self,
        conversation: Conversation,
        policy: TurnPolicy | None = None,
        functions: Mapping[str, Function] | None = None,
        gate: Any = None,
    ) -> None:
        self.conversation = conversation
        self.policy = policy or TurnPolicy()
        self.functions = dict(functions or {})
        self._user_speaking = False
        self._pending: list[str] = []
        self._bot_speaking = False
        self._generating = False
        self._awaiting_audio = False  # a spoken reply was generated but has not started playing
        self._audio = True  # does the current reply speak?
        self._calls: dict[str, _Call] = {}
        self.late_results = 0
        self._speech_end: float | None = None  # when the user's last turn ended
        self._requested: float | None = None  # when its reply was requested
        self.barge = BargeIn(self.policy)
        self.gate = gate  # the session's PlayoutGate, if pausing is used
        self._wake = trio.Event()
        self._muted = False
        self._first_reply_done = False
        self._idle_at: float | None = None
        self._idle_prompts = 0

    async def started(self, ctx: Context) -> None:
        ctx.start_soon(self._timers, ctx)

    async def _timers(self, ctx: Context) -> None:
        """Fire the barge-in deadline and the idle re-prompt at their virtual times."""
        while True:
            deadlines = [d for d in (self.barge.deadline(), self._idle_at) if d is not None]
            wake = self._wake
            if deadlines:
                with trio.move_on_at(min(deadlines)):
                    await wake.wait()
            else:
                await wake.wait()
            if wake.is_set():
                self._wake = trio.Event()
            now = trio.current_time()
            deadline = self.barge.deadline()
            if deadline is not None and now >= deadline:
                self._apply(self.barge.tick(now, self.bot_busy), ctx)
            if self._idle_at is not None and now >= self._idle_at:
                self._idle_at = None
                await self._reprompt(ctx)

    def _poke(self) -> None:
        self._wake.set()

    def _apply(self, action: Barge, ctx: Context) -> None:
        now = trio.current_time()
        if action is Barge.INTERRUPT:
            ctx.interrupt("barge-in")
            if self.gate is not None:
                self.gate.resume()
        elif action is Barge.PAUSE:
            if self.gate is not None:
                self.gate.pause()
            ctx.publish(PlayoutPause(epoch=ctx.epoch, at=now))
        elif action is Barge.RESUME:
            if self.gate is not None:
                self.gate.resume()
            ctx.publish(PlayoutResume(epoch=ctx.epoch, at=now))
        self._poke()

    def _update_mute(self, ctx: Context) -> None:
        mute = self.policy.mute
        muted = (
            ("bot_speaking" in mute and self._bot_speaking)
            or ("first_speech" in mute and self._bot_speaking and not self._first_reply_done)
            or ("function_call" in mute and any(not c.done for c in self._calls.values()))
        )
        if muted != self._muted:
            self._muted = muted
            event = UserMuteStarted if muted else UserMuteStopped
            ctx.publish(event(at=trio.current_time()))

    async def _reprompt(self, ctx: Context) -> None:
        if self._idle_prompts >= self.policy.idle_prompts or self.bot_busy:
            return
        self._idle_prompts += 1
        self.conversation.add({"role": "system", "content": self.policy.idle_message})
        await self._generate(ctx, None, audio=True)

    def _user_active(self) -> None:
        self._idle_at = None
        self._idle_prompts = 0

    @property
    def bot_busy(self) -> bool:
        """The bot is generating, has a reply on its way to the speaker, or is speaking."""
        return self._generating or self._awaiting_audio or self._bot_speaking

    async def handle(self, msg: Any, ctx: Context) -> None:
        now = trio.current_time()
        match msg:
            case UserStartedSpeaking():
                if self._muted:
                    return
                self._user_speaking = True
                self._user_active()
                self._apply(self.barge.speech_started(now, self.bot_busy), ctx)
            case UserStoppedSpeaking(at=at):
                if self._muted and not self._user_speaking:
                    return
                self._user_speaking = False
                self._speech_end = at
                self._apply(self.barge.speech_stopped(now), ctx)
                if self._pending:
                    await self._commit(ctx)
            case Transcript(final=True, text=text):
                if self._muted:
                    ctx.log.info("turn.muted_transcript_ignored", chars=len(text))
                    return
                self._user_active()
                self._pending.append(text)
                words = len(" ".join(self._pending).split())
                self._apply(self.barge.words(words, now, self.bot_busy), ctx)
                if not self._user_speaking or self.policy.stop == "transcription":
                    await self._commit(ctx)
            case UserText():
                self._user_active()
                if msg.run_immediately and self.bot_busy:
                    ctx.interrupt("send-text")
                self.conversation.add_user(msg.text, msg.files)
                if msg.run_immediately:
                    await self._generate(ctx, msg.text, audio=msg.audio_response)
            case RunLlm(messages=messages):
                for m in messages:
                    self.conversation.add(m)
                await self._generate(ctx, None, audio=True)
            case BotStartedSpeaking(at=at):
                self._bot_speaking = True
                self._awaiting_audio = False
                self._idle_at = None
                self._update_mute(ctx)
                if self._speech_end is not None and self._requested is not None:
                    ctx.publish(
                        Ttfa(
                            processor="turn",
                            model=None,
                            ttfa=max(0.0, at - self._speech_end),
                            ttfb=max(0.0, self._requested - self._speech_end),
                            leading_silence=0.0,
                            at=trio.current_time(),
                        )
                    )
                self._speech_end = self._requested = None
            case BotStoppedSpeaking(at=at):
                self._bot_speaking = False
                self._awaiting_audio = False
                self._first_reply_done = True
                self.barge.reset()
                self._update_mute(ctx)
                if self.policy.idle_timeout is not None and not self._user_speaking:
                    self._idle_at = at + self.policy.idle_timeout
                    self._poke()
            case BotSpoke(epoch=epoch, text=text, complete=complete):
                self.conversation.fill(epoch, text, interrupted=not complete)
            case LlmStarted():
                self._generating = True
            case LlmStopped(epoch=epoch, text=text, interrupted=interrupted):
                self._generating = False
                self._awaiting_audio = self._audio and bool(text.strip()) and not interrupted
                if interrupted:
                    pass  # the audio sender reports what was heard, if anything played
                elif not self._audio or not text.strip():
                    # nothing will be played: record the text now (closing an empty slot
                    # keeps a later reply of the same epoch after its tool calls)
                    self.conversation.fill(epoch, text)
            case FunctionCallRequested():
                self._start_call(msg, ctx)
                self._update_mute(ctx)
            case FunctionCallResultIn():
                self._finish_client_call(msg, ctx)
                self._update_mute(ctx)
            case Interrupted():
                self._generating = False
                self._awaiting_audio = False
                self.barge.reset()
                if self.gate is not None:
                    self.gate.resume()
                self._cancel_calls("interrupted", ctx)
                self._update_mute(ctx)

    async def _commit(self, ctx: Context) -> None:
        text = " ".join(self._pending).strip()
        self._pending.clear()
        if not text:
            return
        if self.bot_busy and len(text.split()) < self.policy.min_words:
            ctx.log.info("turn.backchannel_ignored", words=len(text.split()))
            return
        if self.bot_busy:
            if not self.policy.allow_interruptions:
                ctx.log.info("turn.dropped_while_bot_busy", text_len=len(text))
                return
            ctx.interrupt("new-turn")
        self.conversation.add_user(text)
        await self._generate(ctx, text, audio=True)

    async def _generate(self, ctx: Context, user_text: str | None, *, audio: bool) -> None:
        now = trio.current_time()
        if user_text is not None:
            ctx.publish(UserTurn(text=user_text, at=now))
            if self._speech_end is None:
                self._speech_end = now  # a typed turn ends when it arrives
            self._requested = now
        self._audio = audio
        self._generating = True
        self.conversation.reserve(ctx.epoch)
        await ctx.emit(
            Generate(
                epoch=ctx.epoch,
                messages=self.conversation.messages(),
                tools=self.conversation.tools,
                audio_response=audio,
            )
        )

    # -- function calls -----------------------------------------------------------------------

    def _start_call(self, req: FunctionCallRequested, ctx: Context) -> None:
        self.conversation.add_tool_call(req.epoch, req.call_id, req.name, dict(req.arguments))
        fn = self.functions.get(req.name)
        scope = trio.CancelScope()
        call = self._calls[req.call_id] = _Call(req.epoch, req.call_id, req.name, scope)
        if fn is None:
            self._record(call, {"error": f"unknown function {req.name}"}, ctx)
            return
        ctx.start_soon(self._run_call, call, fn, dict(req.arguments), ctx)

    async def _run_call(
        self, call: _Call, fn: Function, args: dict[str, Any], ctx: Context
    ) -> None:
        with call.scope:
            with trio.move_on_after(fn.timeout) as timer:
                if fn.handler is not None:
                    result = await fn.handler(args)
                    self._record(call, result, ctx)
                    await self._maybe_continue(call.epoch, ctx)
                    return
                ctx.publish(
                    ClientFunctionCall(
                        epoch=call.epoch, call_id=call.call_id, name=call.name, arguments=args
                    )
                )
                await trio.sleep_forever()  # a client tool: _finish_client_call ends it
            if timer.cancelled_caught and not call.done:
                self._cancel(call, "timeout", ctx)
                await self._maybe_continue(call.epoch, ctx)

    def _finish_client_call(self, res: FunctionCallResultIn, ctx: Context) -> None:
        call = self._calls.get(res.call_id)
        if call is None or call.done:
            self.late_results += 1
            ctx.log.warning("turn.function_result_ignored", call_id=res.call_id, late=True)
            return
        self._record(call, res.result, ctx)
        call.scope.cancel()
        ctx.start_soon(self._maybe_continue, call.epoch, ctx)

    def _record(self, call: _Call, result: Any, ctx: Context) -> None:
        call.done = True
        self.conversation.add_tool_result(call.call_id, result)
        ctx.publish(
            FunctionCallFinished(
                epoch=call.epoch, call_id=call.call_id, name=call.name, result=result
            )
        )

    def _cancel(self, call: _Call, reason: str, ctx: Context) -> None:
        call.done = True
        call.scope.cancel()
        self.conversation.add_tool_result(call.call_id, {"error": f"cancelled ({reason})"})
        ctx.publish(
            FunctionCallCancelled(
                epoch=call.epoch, call_id=call.call_id, name=call.name, reason=reason
            )
        )

    def _cancel_calls(self, reason: str, ctx: Context) -> None:
        for call in list(self._calls.values()):
            fn = self.functions.get(call.name)
            if not call.done and (fn is None or fn.cancel_on_interruption):
                self._cancel(call, reason, ctx)
        self._calls = {k: c for k, c in self._calls.items() if not c.done}

    async def _maybe_continue(self, epoch: int, ctx: Context) -> None:
        """When every call of ``epoch`` has its result, run the LLM again on them."""
        if epoch != ctx.epoch:
            return
        if any(c.epoch == epoch and not c.done for c in self._calls.values()):
            return
        self._calls = {k: c for k, c in self._calls.items() if not c.done}
        await self._generate(ctx, None, audio=self._audio)
