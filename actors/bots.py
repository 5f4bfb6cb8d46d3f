"""Bot graphs: the standard voice session graph, and the ready-made bots.

A bot is a function ``build(session) -> Graph``. :func:`voice_graph` wires the standard
stages around any engines; :func:`scripted_bot` is the deterministic, model-free bot
(``python -m rtvi_actors --bot scripted``).

The standard graph::

    ws_in ──AudioIn──▶ vad ──AudioIn, VadStarted/Stopped──▶ stt ──Transcript──▶ turn
      │                 ▲                                                      │ Generate
      │ ClientRtvi      │ AudioIn (raw-audio)                                  ▼
      ▼                 │                                                     llm
    rtvi ──UserText, FunctionCallResultIn──▶ turn              LlmText, LlmDone │
      ▲                                                                        ▼
    rtvi ◀── events (speaking, transcripts, LLM/TTS, metrics, errors)         tts
    rtvi ──RTVI frames──▶ client                      AudioOut, SpeechDone ──▶ ws_audio
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, final

import attrs

from rtvi_actors import (
    AudioIn,
    AudioOut,
    BotStartedSpeaking,
    BotStoppedSpeaking,
    Graph,
    Interrupted,
    Mailbox,
    Metric,
    Overflow,
    StageFailed,
    StageRestarted,
    Transcript,
    UserStartedSpeaking,
    UserStoppedSpeaking,
    UserText,
)
from rtvi_actors.session import Session
from rtvi_actors.voice import (
    AudioLevel,
    BotSegment,
    ClientFunctionCall,
    ClientRtvi,
    FunctionCallCancelled,
    FunctionCallFinished,
    FunctionCallRequested,
    FunctionCallResultIn,
    Generate,
    LlmDone,
    LlmStarted,
    LlmStopped,
    LlmText,
    LlmUsage,
    ObserverConfigure,
    RtviOut,
    SpeechDone,
    SttUsage,
    Ttfa,
    TtsStarted,
    TtsStopped,
    TtsUsage,
    UserMuteStarted,
    UserMuteStopped,
    UserTurn,
    VadStarted,
    VadStopped,
)

from .context import Conversation
from .llm import LlmActor
from .playout import PlayoutGate, WsAudioSender
from .rtvi import RtviActor
from .stt import SttActor
from .transport import TransportCounters, WsReceiver
from .tts import TtsActor
from .turn import TURN_EVENTS, Function, RunLlm, TurnActor
from .turn_policy import TurnPolicy
from .vad import VadActor
from .writing import MessageWriter

__all__ = ["OBSERVED_EVENTS", "VoiceConfig", "scripted_bot", "voice_graph"]

OBSERVED_EVENTS: tuple[type, ...] = (
    UserStartedSpeaking,
    UserStoppedSpeaking,
    VadStarted,
    VadStopped,
    Transcript,
    UserTurn,
    LlmStarted,
    LlmText,
    LlmStopped,
    TtsStarted,
    TtsStopped,
    BotStartedSpeaking,
    BotStoppedSpeaking,
    BotSegment,
    Interrupted,
    FunctionCallRequested,
    FunctionCallFinished,
    FunctionCallCancelled,
    AudioLevel,
    Metric,
    LlmUsage,
    TtsUsage,
    SttUsage,
    Ttfa,
    UserMuteStarted,
    UserMuteStopped,
    StageRestarted,
    StageFailed,
    ObserverConfigure,
)
"""The events the standard graph's stages publish for the observer (``observer.OBSERVED``)."""


@final
@attrs.frozen(kw_only=True)
class VoiceConfig:
    """Options of the standard voice graph.

    Args:
        framing: ``"protobuf"`` (the official web client) or ``"json"``; ``None`` takes the
            connection's ``?framing=`` query parameter, else protobuf.
        lead: how far audio may run ahead of real time at the client (the barge-in tail).
        chunk_ms: audio chunk length sent to the client.
        pacing_tick: the audio senders' shared pacing grid (see ``WsAudioSender``; ``None``:
            10 ms, or ``lead - chunk`` when smaller).
        system_prompt: the LLM's system message.
        tools: OpenAI function-tool schemas offered to the LLM.
        functions: how each tool runs (server handler, or client-executed).
        turn_policy: barge-in rules.
        vad_params: VAD thresholds (``actors.engines.VadParams``).
        vad_blocking: run the VAD engine in a worker thread (model-based engines).
        enable_rtvi: speak RTVI (the RTVI actor, which observes the pipeline and writes
            its messages to the client).
        observer_params: an ``ObserverParams`` for the RTVI actor's observer.
        drain_grace: how long ``disconnect-bot`` lets the bot finish speaking.
        inbound_limits: the receiver's ``InboundLimits`` (rate limits per session; default:
            ``actors.transport.DEFAULT_INBOUND_LIMITS``).
        max_history: keep at most this many messages of conversation (the system prompt is
            always kept), so long calls stay flat in memory; ``None``: unbounded.
        debug: internal error text goes to clients (never in production).
    """

    framing: str | None = None
    lead: float = 0.08
    chunk_ms: int = 40
    pacing_tick: float | None = None
    system_prompt: str | None = None
    tools: tuple[Mapping[str, Any], ...] = ()
    functions: Mapping[str, Function] = attrs.field(factory=dict)
    turn_policy: TurnPolicy = attrs.field(factory=TurnPolicy)
    vad_params: Any = None
    vad_blocking: bool = False
    enable_rtvi: bool = True
    observer_params: Any = None
    drain_grace: float = 10.0
    inbound_limits: Any = None
    max_history: int | None = 200
    debug: bool = False


def voice_graph(
    session: Session,
    *,
    vad: Callable[[], Any] | None,
    stt: Any,
    llm: Any,
    tts: Any,
    config: VoiceConfig | None = None,
    extra: Iterable[Callable[[Graph], None]] = (),
) -> Graph:
    """The standard voice session graph around the given engines.

    Args:
        session: the session (its connection, ``rtvi`` handle and data).
        vad: a factory of VAD engines, or ``None`` for no VAD stage (the user's audio goes
            straight to the STT stage: a streaming STT with its own turn detection, replaced
            with ``graph.replace("stt", ...)`` in ``extra``); ``stt``, ``llm``, ``tts``:
            engines.
        config: options (see :class:`VoiceConfig`).
        extra: callables ``fn(graph)`` that add, replace (``graph.replace``) or rewire stages
            before validation.

    The conversation and transport counters are kept in ``session.data``.
    """
    cfg = config or VoiceConfig()
    framing = cfg.framing or session.params.get("framing", "protobuf")
    if framing not in ("protobuf", "json"):
        framing = "protobuf"
    cfg = attrs.evolve(cfg, framing=framing)
    conn = session.conn
    counters = session.data.setdefault("transport", TransportCounters())
    conversation = session.data.setdefault(
        "conversation", Conversation(cfg.system_prompt, cfg.tools, max_messages=cfg.max_history)
    )
    gate = session.data.setdefault("playout_gate", PlayoutGate())
    g = Graph()
    receiver_options: dict[str, Any] = {"framing": cfg.framing}
    if cfg.inbound_limits is not None:
        receiver_options["limits"] = cfg.inbound_limits
    g.add("ws_in", _partial(WsReceiver, conn, counters, **receiver_options), significant=True)
    if vad is not None:
        g.add(
            "vad",
            _partial(VadActor, vad, cfg.vad_params, blocking=cfg.vad_blocking),
            mailbox=Mailbox(64, Overflow.DROP_NEWEST),
        )
    user_audio = "vad" if vad is not None else "stt"  # where the user's audio goes first
    stt_mailbox = Mailbox(256) if vad is not None else Mailbox(256, Overflow.DROP_NEWEST)
    g.add("stt", SttActor, stt, mailbox=stt_mailbox)
    g.add(
        "turn",
        _partial(TurnActor, conversation, cfg.turn_policy, cfg.functions, gate=gate),
        can_interrupt=True,
        mailbox=Mailbox(256),
    )
    g.add(
        "llm",
        _partial(LlmActor, llm, debug=cfg.debug),
        interrupt_on_restart=True,
        mailbox=Mailbox(4),
    )
    g.add("tts", TtsActor, tts, interrupt_on_restart=True, mailbox=Mailbox(64))
    g.add(
        "ws_audio",
        _partial(
            WsAudioSender,
            conn,
            counters,
            framing=cfg.framing,
            lead=cfg.lead,
            chunk_ms=cfg.chunk_ms,
            gate=gate,
            pacing_tick=cfg.pacing_tick,
        ),
        significant=True,
        interrupt_on_restart=True,
        mailbox=Mailbox(16),
    )
    g.route(AudioIn, "ws_in", user_audio)
    if vad is not None:
        g.route(AudioIn, "vad", "stt")
        g.route(VadStarted, "vad", "stt").route(VadStopped, "vad", "stt")
    g.route(Transcript, "stt", "turn")
    g.route(Generate, "turn", "llm")
    g.route(LlmText, "llm", "tts").route(LlmDone, "llm", "tts")
    g.route(AudioOut, "tts", "ws_audio").route(SpeechDone, "tts", "ws_audio")
    subscriptions: dict[str, tuple[type, ...]] = {"turn": TURN_EVENTS}
    g.inlet("turn", RunLlm, UserText)
    if cfg.enable_rtvi:
        from .observer import ObserverParams

        writer = MessageWriter(conn, counters, framing=cfg.framing)
        g.add(
            "rtvi",
            _partial(
                RtviActor,
                session.rtvi,
                observer=cfg.observer_params or ObserverParams(),
                writer=writer,
                drain_grace=cfg.drain_grace,
                debug=cfg.debug,
            ),
            significant=True,
            can_interrupt=True,
            mailbox=Mailbox(1024),
        )
        g.route(ClientRtvi, "ws_in", "rtvi")
        g.route(UserText, "rtvi", "turn").route(FunctionCallResultIn, "rtvi", "turn")
        g.route(AudioIn, "rtvi", user_audio)
        g.discard(RtviOut, "rtvi")  # it writes to the client itself
        # the RTVI actor observes the pipeline (its own configure_observer applies at once)
        subscriptions["rtvi"] = (
            *(t for t in OBSERVED_EVENTS if t is not ObserverConfigure),
            ClientFunctionCall,
        )
    else:
        g.discard(ClientRtvi, "ws_in")
    for fn in extra:
        fn(g)
    # subscribe to what this graph's stages publish (a graph without a VAD stage has no VAD
    # events, a custom stage may publish more): decided after the extras ran
    published = g.published()
    for dst, types in subscriptions.items():
        g.subscribe(dst, *(t for t in types if t in published))
    return g


def _partial(cls: Any, *args: Any, **kwargs: Any) -> Any:
    import functools

    return functools.partial(cls, *args, **kwargs)


def scripted_bot(session: Session, config: VoiceConfig | None = None) -> Graph:
    """The deterministic, model-free voice bot.

    An energy VAD; an STT that hears every utterance as "hello"; an LLM that streams
    ``You said: <user text>.`` word by word; a TTS that voices each word as a 24 kHz tone of
    250 ms. Every other stage (turn taking, interruption, context, RTVI, observer, pacing) is
    the real one.
    """
    from .fakes import FakeStt, ScriptedLlm, ToneTts, energy_vad

    return voice_graph(
        session,
        vad=energy_vad(),
        stt=FakeStt("hello"),
        llm=ScriptedLlm(),
        tts=ToneTts(),
        config=config,
    )
