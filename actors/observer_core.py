"""`RtviObserver`: pipeline events in, RTVI server messages out (pure: no trio, no clock).

Each event is published once at one known point, so there is no per-hop deduplication: one
event gives zero or more messages, in a fixed order. Version gates (raw text and backchannel
only for clients >= 2.2.0, no ``word``/``token`` ``bot-output`` for 2.x, no progress for 1.x)
are not applied here: the RTVI actor applies them with `RtviProtocol.send`.

Choices where Pipecat is ambiguous or weak (rtvi-protocol.md §5, §9; 2.2 delta §4-§6):

- **Epochs.** A bot-side event older than the newest epoch seen (from `Interrupted` or any
  event) belongs to a cut response and is dropped. On `Interrupted` the observer sends
  ``bot-interrupted`` (gated by ``bot_speaking_enabled``, for every interruption, as Pipecat
  does), then closes what the cut response left open: ``bot-stopped-speaking``,
  ``bot-tts-stopped``, ``bot-llm-stopped`` (each under its own flag), so every *-started has
  its *-stopped even when the stale stop events never arrive (the runtime drops them).
- **bot-output.** One integer ``segment_id`` per segment, the same for "new" and
  "completed". A "new" segment waits until ``bot-started-speaking`` of its epoch and is sent
  right after it. The speaking state is tracked whatever ``bot_speaking_enabled`` says (2.2),
  so disabling that message never stalls output. The queue is also released by the
  segment's own "completed" (its audio played, so speech did start), by
  ``bot-stopped-speaking`` of its epoch, and dropped by any newer epoch: nothing waits forever.
  "unspoken" text goes out at once (``will_be_spoken: false``, ``spoken_status: "new"``),
  unless spoken text of its epoch is still queued, which it then follows in order.
  "completed" also gives ``tts-raw-text`` and ``bot-tts-text`` (one per segment). Skip types
  drop all three; transforms run once per segment, when it is first sent.
- **Function calls.** `FunctionCallRequested` gives ``llm-function-call-started`` then
  ``-in-progress``; finished/cancelled give ``-stopped``. Report levels per function. They
  are never dropped as stale: a call of a cut response still reports how it ended.
- ``bot_llm_marker_enabled`` is accepted but has no source
  event yet; ``user-input`` for chat (``send-text``) is the RTVI actor's, which knows the id.
- **bot-transcription** (deprecated) accumulates LLM text up to a sentence end; the rest is
  sent at the end of the response, and the buffer is cleared on interruption.
- **metrics.** ``Metric`` names ``ttfb`` and ``processing`` map to those keys; other names
  have no single-value RTVI key (``ttfa`` needs ttfb and leading silence) and are not sent.
  Empty ``metrics {}`` is never sent.
- **Audio levels** are sent when at least ``audio_level_period_secs`` passed (event ``at``
  times) since the last one in that direction; values are clamped to 0..1.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar, Final

from rtvi_actors import messages as m
from rtvi_actors import voice as v
from rtvi_actors.protocol import (
    BotAudioLevel,
    BotInterrupted,
    BotLlmStarted,
    BotLlmStopped,
    BotLlmText,
    BotStartedSpeaking,
    BotStoppedSpeaking,
    BotTranscription,
    BotTtsStarted,
    BotTtsStopped,
    Error,
    LlmRawText,
    SttRawText,
    SystemLog,
    UserAudioLevel,
    UserInput,
    UserLlmText,
    UserMuteStarted,
    UserMuteStopped,
    UserStartedSpeaking,
    UserStoppedSpeaking,
    UserTranscription,
    VadUserStartedSpeaking,
    VadUserStoppedSpeaking,
    function_call_in_progress,
    function_call_started,
    function_call_stopped,
)

from .observer_metrics import metrics_message
from .observer_output import Render, SegmentOutput
from .observer_params import ObserverParams, utc_now_iso

__all__ = ["OBSERVED", "RtviObserver"]

_GATED: Final[dict[type, tuple[str, type]]] = {
    m.UserStartedSpeaking: ("user_speaking_enabled", UserStartedSpeaking),
    m.UserStoppedSpeaking: ("user_speaking_enabled", UserStoppedSpeaking),
    v.VadStarted: ("vad_user_speaking_enabled", VadUserStartedSpeaking),
    v.VadStopped: ("vad_user_speaking_enabled", VadUserStoppedSpeaking),
    v.UserMuteStarted: ("user_mute_enabled", UserMuteStarted),
    v.UserMuteStopped: ("user_mute_enabled", UserMuteStopped),
}
_HANDLERS: Final[dict[type, str]] = {
    m.Transcript: "_transcript",
    v.UserTurn: "_user_turn",
    v.LlmStarted: "_llm_started",
    v.LlmText: "_llm_chunk",
    v.LlmStopped: "_llm_stopped",
    v.TtsStarted: "_tts_started",
    v.TtsStopped: "_tts_stopped",
    m.BotStartedSpeaking: "_bot_started",
    m.BotStoppedSpeaking: "_bot_stopped",
    m.Interrupted: "_interrupted",
    v.BotSegment: "_segment",
    v.FunctionCallRequested: "_call_requested",
    v.FunctionCallFinished: "_call_stopped",
    v.FunctionCallCancelled: "_call_stopped",
    v.AudioLevel: "_audio_level",
    m.Metric: "_metric",
    v.LlmUsage: "_usage",
    v.Ttfa: "_ttfa",
    v.TtsUsage: "_usage",
    v.SttUsage: "_usage",
    m.StageRestarted: "_error",
    m.StageFailed: "_error",
    v.ObserverConfigure: "_configure_event",
}
OBSERVED: Final[tuple[type, ...]] = (*_GATED, *_HANDLERS)
"""Every event type `RtviObserver.observe` takes."""

_SENTENCE_END: Final = re.compile("[.!?\u2026\u3002\uff01\uff1f]+[\"'\u201d\u2019)\\]]*\\s*$")
_EPSILON: Final = 1e-9


class RtviObserver:
    """Turns pipeline events into RTVI server message objects (see the module docstring).

    Args:
        params: what to send (default `ObserverParams()`).
        now_iso: returns the current time as an ISO-8601 string (``user-input`` and
            ``user-transcription`` timestamps); the observer never reads a clock itself.
    """

    _dispatch: ClassVar[dict[type, Callable[[Any, Any], list[Any]]]]
    """Each observed event type's handler, looked up once per class (not per event)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._dispatch = _dispatch_table(cls)

    def __init__(
        self, params: ObserverParams | None = None, *, now_iso: Callable[[], str] = utc_now_iso
    ) -> None:
        self.params = params if params is not None else ObserverParams()
        self._now_iso = now_iso
        self._epoch = 0
        self._speaking: int | None = None  # epoch whose audio is playing
        self._llm: int | None = None  # epoch of the open LLM response
        self._tts: int | None = None  # epoch of the open TTS run
        self._output = SegmentOutput()
        self._llm_text = ""
        self._last_level: dict[str, float] = {}

    # -- public API ----------------------------------------------------------------------------

    def configure(self, **changes: Any) -> None:
        """Change parameters at run time; a ``None`` value leaves that parameter alone.

        Raises:
            TypeError: an unknown parameter name or a wrongly typed value (nothing changes).
            ValueError: a bad value, e.g. an unknown report level (nothing changes).
        """
        self.params = self.params.evolve(**changes)

    def observe(self, event: Any) -> list[Any]:
        """Return the RTVI messages for one event, in send order.

        Raises:
            TypeError: an event type the observer does not know, or an ``async`` output
                transform (use `aobserve`).
        """
        out: list[Any] = []
        p = self.params
        for item in self._collect(event):
            if not isinstance(item, Render):
                out.append(item)
            elif SegmentOutput.wanted(item, p):
                if item.seg.rendered is None:
                    item.seg.rendered = SegmentOutput.transform(item.seg, p.bot_output_transforms)
                out += SegmentOutput.build(item, p)
        return out

    async def aobserve(self, event: Any) -> list[Any]:
        """Like `observe`, awaiting ``async`` output transforms (no event loop is assumed)."""
        out: list[Any] = []
        p = self.params
        for item in self._collect(event):
            if not isinstance(item, Render):
                out.append(item)
            elif SegmentOutput.wanted(item, p):
                if item.seg.rendered is None:
                    transforms = p.bot_output_transforms
                    item.seg.rendered = await SegmentOutput.atransform(item.seg, transforms)
                out += SegmentOutput.build(item, p)
        return out

    def observe_log(self, level: str, text: str) -> list[Any]:
        """Return ``system-log`` for one server log line when ``system_logs_enabled``."""
        if not self.params.system_logs_enabled:
            return []
        return [SystemLog(text=f"{level.upper()} | {text}")]

    def advance(self, epoch: int) -> None:
        """Note that the session moved to ``epoch`` before its `Interrupted` event arrives
        (the actor's sync ``interrupted`` hook): events of older epochs still queued, such
        as the cut response's own ``BotStoppedSpeaking``, are then dropped and the stops
        are sent after ``bot-interrupted``, in the catalog's barge-in order."""
        self._epoch = max(self._epoch, epoch)

    @property
    def queued(self) -> int:
        """How many segment messages wait for ``bot-started-speaking``."""
        return len(self._output)

    # -- dispatch ------------------------------------------------------------------------------

    def _collect(self, event: Any) -> list[Any]:
        gated = _GATED.get(type(event))
        if gated is not None:
            return [gated[1]()] if getattr(self.params, gated[0]) else []
        handler = self._dispatch.get(type(event))
        if handler is None:
            raise TypeError(f"RtviObserver does not observe {type(event).__name__} events")
        return handler(self, event)

    def _error(self, e: m.StageRestarted | m.StageFailed) -> list[Any]:
        return [Error(error=e.error, fatal=getattr(e, "fatal", False))]

    def _user_turn(self, e: v.UserTurn) -> list[Any]:
        return self._if(self.params.user_llm_enabled, UserLlmText(text=e.text))

    @staticmethod
    def _if(flag: bool, message: Any) -> list[Any]:
        return [message] if flag else []

    def _current(self, epoch: int) -> bool:
        """False for an event of a cut response; otherwise note the epoch (they only grow)."""
        if epoch < self._epoch:
            return False
        self._epoch = epoch
        return True

    def _configure_event(self, event: v.ObserverConfigure) -> list[Any]:
        self.configure(**event.changes)
        return []

    # -- user side -----------------------------------------------------------------------------

    def _transcript(self, e: m.Transcript) -> list[Any]:
        p = self.params
        if not (p.user_input_enabled or p.stt_raw_text_enabled or p.user_transcription_enabled):
            return []
        ts = self._now_iso()
        out: list[Any] = []
        if p.user_input_enabled:
            out.append(
                UserInput(
                    text=e.text,
                    input_type="transcription",
                    timestamp=ts,
                    final=e.final,
                    user_id=e.user_id,
                )
            )
        text, user_id, final = e.text, e.user_id, e.final
        if p.stt_raw_text_enabled:
            out.append(SttRawText(text=text, user_id=user_id, timestamp=ts, final=final))
        if p.user_transcription_enabled:
            out.append(UserTranscription(text=text, user_id=user_id, timestamp=ts, final=final))
        return out

    # -- LLM and TTS ---------------------------------------------------------------------------

    def _llm_started(self, e: v.LlmStarted) -> list[Any]:
        if not self._current(e.epoch):
            return []
        self._llm, self._llm_text = e.epoch, ""
        return self._if(self.params.bot_llm_enabled, BotLlmStarted())

    def _llm_chunk(self, e: v.LlmText) -> list[Any]:
        if not self._current(e.epoch):
            return []
        p = self.params
        out: list[Any] = self._if(p.llm_raw_text_enabled, LlmRawText(text=e.text))
        if p.bot_llm_enabled:
            out.append(BotLlmText(text=e.text))
        self._llm_text += e.text
        if _SENTENCE_END.search(self._llm_text):
            sentence, self._llm_text = self._llm_text.strip(), ""
            if p.bot_llm_enabled and sentence:
                out.append(BotTranscription(text=sentence))
        return out

    def _llm_stopped(self, e: v.LlmStopped) -> list[Any]:
        if not self._current(e.epoch):
            return []
        rest, self._llm, self._llm_text = self._llm_text.strip(), None, ""
        if not self.params.bot_llm_enabled:
            return []
        return [BotTranscription(text=rest), BotLlmStopped()] if rest else [BotLlmStopped()]

    def _tts_started(self, e: v.TtsStarted) -> list[Any]:
        if not self._current(e.epoch):
            return []
        self._tts = e.epoch
        return self._if(self.params.bot_tts_enabled, BotTtsStarted())

    def _tts_stopped(self, e: v.TtsStopped) -> list[Any]:
        if not self._current(e.epoch):
            return []
        self._tts = None
        return self._if(self.params.bot_tts_enabled, BotTtsStopped())

    # -- speaking, interruption and bot-output --------------------------------------------------

    def _bot_started(self, e: m.BotStartedSpeaking) -> list[Any]:
        if not self._current(e.epoch):
            return []
        self._speaking = e.epoch
        out: list[Any] = self._if(self.params.bot_speaking_enabled, BotStartedSpeaking())
        return out + self._output.release(e.epoch, floor=self._epoch)

    def _bot_stopped(self, e: m.BotStoppedSpeaking) -> list[Any]:
        if not self._current(e.epoch):
            return []
        self._speaking = None
        out: list[Any] = self._output.release(e.epoch, floor=self._epoch)  # if start was missed
        return out + self._if(self.params.bot_speaking_enabled, BotStoppedSpeaking())

    def _interrupted(self, e: m.Interrupted) -> list[Any]:
        p = self.params
        self._epoch = max(self._epoch, e.new_epoch)
        out: list[Any] = self._if(p.bot_speaking_enabled, BotInterrupted())
        if self._speaking is not None and self._speaking < self._epoch:
            self._speaking = None
            out += self._if(p.bot_speaking_enabled, BotStoppedSpeaking())
        if self._tts is not None and self._tts < self._epoch:
            self._tts = None
            out += self._if(p.bot_tts_enabled, BotTtsStopped())
        if self._llm is not None and self._llm < self._epoch:
            self._llm = None
            out += self._if(p.bot_llm_enabled, BotLlmStopped())
        self._llm_text = ""
        self._output.interrupted(self._epoch)
        return out

    def _segment(self, e: v.BotSegment) -> list[Any]:
        if not self._current(e.epoch):
            return []
        return list(self._output.segment(e, speaking=self._speaking, floor=self._epoch))

    # -- function calls, audio levels, metrics -------------------------------------------------

    def _call_requested(self, e: v.FunctionCallRequested) -> list[Any]:
        levels = self.params.report_levels
        started = function_call_started(levels, e.name)
        running = function_call_in_progress(levels, e.name, e.call_id, dict(e.arguments))
        return [msg for msg in (started, running) if msg is not None]

    def _call_stopped(self, e: v.FunctionCallFinished | v.FunctionCallCancelled) -> list[Any]:
        cancelled = isinstance(e, v.FunctionCallCancelled)
        result = getattr(e, "result", None)
        msg = function_call_stopped(
            self.params.report_levels, e.name, e.call_id, cancelled=cancelled, result=result
        )
        return [msg] if msg is not None else []

    def _audio_level(self, e: v.AudioLevel) -> list[Any]:
        p = self.params
        if e.source == "user":
            enabled, cls = p.user_audio_level_enabled, UserAudioLevel
        elif e.source == "bot":
            enabled, cls = p.bot_audio_level_enabled, BotAudioLevel
        else:
            return []
        last = self._last_level.get(e.source)
        if not enabled or (last is not None and e.at - last < p.audio_level_period_secs - _EPSILON):
            return []
        self._last_level[e.source] = e.at
        return [cls(value=min(1.0, max(0.0, float(e.level))))]

    def _metric(self, e: Any) -> list[Any]:
        return metrics_message(e) if self.params.metrics_enabled else []

    _ttfa = _usage = _metric


def _dispatch_table(cls: type) -> dict[type, Callable[[Any, Any], list[Any]]]:
    return {kind: getattr(cls, name) for kind, name in _HANDLERS.items()}


RtviObserver._dispatch = _dispatch_table(RtviObserver)
