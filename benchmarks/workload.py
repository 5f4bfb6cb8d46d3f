"""The common workload on rtvi-actors: one voice session = the real actors + instant fakes,
driven by a scripted client over an in-memory connection that carries real wire frames.

Graph (``bench_graph``): ``actors.bots.voice_graph`` with no VAD stage and a VAD-free STT::

    ws_in ──AudioIn──▶ stt (OracleStt) ──Transcript──▶ turn ──Generate──▶ llm ──▶ tts ──▶ ws_audio
    ws_in ──ClientRtvi──▶ rtvi ◀── events;  rtvi (observer + MessageWriter) ──frames──▶ client

Everything but ``OracleStt``, ``FakeLlm`` and ``FakeTts`` is the project's own code: the
transport receiver, the paced ``WsAudioSender``, ``TurnActor`` with the session
``Conversation``, ``LlmActor``, ``TtsActor`` (with its sentence splitter), ``RtviActor``
observing with default ``ObserverParams`` and writing through ``MessageWriter``, run by
``supervisors.bot_session`` exactly as the server runs a connection. The client's frames reach
the receiver through a buffer; the server's frames reach the client's playout device
synchronously after the write's schedule point (``DeviceConnection``).
"""

from __future__ import annotations

import json
import random
import struct
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from actors.bots import VoiceConfig, voice_graph
from actors.llm import LlmResult
from actors.playout import Playout, WsAudioSender
from rtvi_actors import (
    Actor,
    AudioIn,
    Context,
    Graph,
    Transcript,
    UserStartedSpeaking,
    UserStoppedSpeaking,
)
from rtvi_actors.pacer import current_pacer
from rtvi_actors.protocol import wire
from rtvi_actors.session import Session
from rtvi_actors.testing import connection_pair
from rtvi_actors.voice import (
    Generate,
)
from supervisors import bot_session

from .common import BOT_MAGIC, FRAME_S, IN_SILENCE, IN_SPEECH, PARAMS, SR, bot_payload

CLIENT_READY = {
    "label": "rtvi-ai",
    "type": "client-ready",
    "id": "client-ready-1",
    "data": {"version": "2.2.0", "about": {"library": "bench"}},
}


# ------------------------------------------------------------------------------------------
# Fakes (the only non-project code in a session)
# ------------------------------------------------------------------------------------------


class Probe:
    """Per-session hooks the client reads (input consumption, the STT actor)."""

    __slots__ = ("consumed", "on_consumed", "stt")

    def __init__(self) -> None:
        self.consumed = 0
        self.on_consumed: Callable[[], None] | None = None
        self.stt: OracleStt | None = None


class OracleStt(Actor):
    """Instant, VAD-free streaming STT with provider-side turn detection (like Deepgram Flux).

    Reads the oracle flag (byte 0 of each 20 ms frame). 0→1: publishes
    ``UserStartedSpeaking`` (the turn stage interrupts the bot if it is busy). Every 10th speech
    frame after the first: an interim transcript (published for the RTVI observer). 1→0: the final
    transcript (emitted to the turn stage and published), then ``UserStoppedSpeaking``.
    """

    accepts = (AudioIn,)
    emits = (Transcript,)
    publishes = (UserStartedSpeaking, UserStoppedSpeaking, Transcript)

    def __init__(self, probe: Probe | None = None, interim_every: int = 10) -> None:
        self.probe = probe
        self.interim_every = interim_every
        self._speaking = False
        self._n = 0
        self.ctx: Context | None = None

    async def started(self, ctx: Context) -> None:
        self.ctx = ctx
        if self.probe is not None:
            self.probe.stt = self

    async def handle(self, msg: AudioIn, ctx: Context) -> None:
        pcm = msg.pcm
        if pcm and pcm[0] == 1:
            if not self._speaking:
                self._speaking = True
                self._n = 0
                ctx.publish(UserStartedSpeaking(at=trio.current_time()))
            else:
                self._n += 1
                if self._n % self.interim_every == 0:
                    ctx.publish(
                        Transcript(text="hello this is", final=False, at=trio.current_time())
                    )
        elif self._speaking:
            self._speaking = False
            now = trio.current_time()
            final = Transcript(text="hello this is the user speaking", final=True, at=now)
            ctx.publish(final)
            await ctx.emit(final)
            ctx.publish(UserStoppedSpeaking(at=now))
        probe = self.probe
        if probe is not None:
            probe.consumed += 1
            if probe.on_consumed is not None:
                probe.on_consumed()


def llm_tokens(sentences: int) -> list[str]:
    toks: list[str] = []
    for s in range(sentences):
        toks += ["This", " is", " fake", " sentence", " number", f" {s}."]
        if s < sentences - 1:
            toks[-1] += " "
    return toks


class FakeLlm:
    """Instant LLM engine: streams the 18-token reply at once."""

    name = "FakeLlm"
    model: str | None = "fake"

    def __init__(self, sentences: int = 3) -> None:
        self.tokens = llm_tokens(sentences)

    async def generate(self, request: Generate, on_text: Callable[[str], Awaitable[None]]):
        for t in self.tokens:
            await on_text(t)
        return LlmResult()


class FakeTts:
    """Instant HTTP-style TTS engine: each sentence → N stamped 20 ms frames at 16 kHz.

    A reply starts with sentence "... number 0." (the fake LLM's first sentence); the stamp is
    (reply index, frame index within the reply).
    """

    name = "FakeTts"
    model: str | None = "fake"

    def __init__(self, frames_per_sentence: int = 20) -> None:
        self.fps = frames_per_sentence
        self.reply = -1
        self.k = 0

    async def synthesize(self, text: str, on_audio: Callable[..., Awaitable[None]]) -> None:
        if text.endswith("number 0."):
            self.reply += 1
            self.k = 0
        r = self.reply
        for _ in range(self.fps):
            await on_audio(bot_payload(r, self.k), SR)
            self.k += 1


class UnpacedPlayout(Playout):
    """A playout model that never waits (the throughput test's non-pacing sink)."""

    def due(self, now: float, duration: float) -> float:
        return now

    def sent(self, now: float, duration: float) -> float:
        self.play_end = now
        return now


def unpaced_sender(*args: Any, **kwargs: Any) -> WsAudioSender:
    sender = WsAudioSender(*args, **kwargs)
    sender.playout = UnpacedPlayout(lead=sender.playout.lead)
    return sender


unpaced_sender.accepts = WsAudioSender.accepts  # type: ignore[attr-defined]
unpaced_sender.publishes = WsAudioSender.publishes  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------
# The session graph
# ------------------------------------------------------------------------------------------


def bench_graph(
    session: Session,
    probe: Probe,
    *,
    framing: str = "protobuf",
    sentences: int = 3,
    frames_per_sentence: int = 20,
    paced: bool = True,
    lead: float = 0.08,
    enable_rtvi: bool = True,
) -> Graph:
    """The standard voice graph (``actors.bots.voice_graph``) with no VAD stage and the oracle
    STT in place of the STT stage, 16 kHz 20 ms output (no resampling), the RTVI actor
    observing (unless ``enable_rtvi`` is off)."""
    import functools

    from actors.transport import UNLIMITED

    sender = WsAudioSender if paced else unpaced_sender
    config = VoiceConfig(
        framing=framing,
        lead=lead,
        chunk_ms=20,
        enable_rtvi=enable_rtvi,
        # the unpaced throughput test sends audio far faster than real time on purpose: switch
        # off the receiver's inbound rate limit (a real client is limited to 2x real time)
        inbound_limits=None if paced else UNLIMITED,
        max_history=None,
    )

    def bench_stages(g: Graph) -> None:
        g.replace("stt", OracleStt, probe)
        old = g.factory_of("ws_audio")  # partial(WsAudioSender, conn, counters, **options)
        g.replace(
            "ws_audio",
            functools.partial(sender, *old.args, **{**old.keywords, "sample_rate": SR}),  # type: ignore[attr-defined]
        )

    return voice_graph(
        session,
        vad=None,
        stt=None,
        llm=FakeLlm(sentences),
        tts=FakeTts(frames_per_sentence),
        config=config,
        extra=[bench_stages],
    )


# ------------------------------------------------------------------------------------------
# One session: the bot (bot_session on an in-memory connection) and the scripted client
# ------------------------------------------------------------------------------------------


class DeviceConnection:
    """The server's end of the benchmark connection.

    Input: the client's frames, read by the server's receiver task from a buffer (as Pipecat's
    input transport reads its queue). Output: each frame the server writes is handed straight
    to the client's playout device and message handler, synchronously and without a schedule
    point, as the server's real connection writes a frame the socket takes at once
    (``SessionConnection.send_messages``) and as Pipecat's fake output transport is the device
    itself. No client reader task sits between the two, in either framework.
    """

    def __init__(self, conn: Any, on_payload: Callable[[Any, float], None]) -> None:
        self._conn = conn  # the in-memory pair's server end (its input side)
        self._on_payload = on_payload
        self.path = conn.path

    @property
    def closed(self) -> Any:
        return self._conn.closed

    async def get_message(self) -> Any:
        return await self._conn.get_message()

    async def send_message(self, message: Any) -> None:
        self._deliver(message)

    async def send_messages(self, messages: list[Any]) -> None:
        for message in messages:
            self._deliver(message)

    def can_send_now(self) -> bool:
        return True

    def send_messages_now(self, messages: list[Any]) -> int:
        self._check_open()
        now = trio.current_time()  # one write: the frames arrive together
        for message in messages:
            self._on_payload(message, now)
        return 0

    async def finish_send(self) -> None:
        await trio.lowlevel.checkpoint()

    def _deliver(self, message: Any) -> None:
        self._check_open()
        self._on_payload(message, trio.current_time())

    def _check_open(self) -> None:
        if self._conn.close_code is not None:
            from trio_websocket import CloseReason, ConnectionClosed

            raise ConnectionClosed(CloseReason(self._conn.close_code, None))

    async def aclose(self, code: int = 1000, reason: str | None = None) -> None:
        await self._conn.aclose(code, reason)

    def close(self, code: int = 1000) -> None:
        self._conn.close(code)


class _NoRecord(list):
    """Replaces ``FakeConnection.sent`` (a test recorder) so the "network" keeps nothing."""

    def append(self, item: Any) -> None:
        pass


_TYPE_KEY = b'"type":"'


def _msg_type(data: bytes) -> bytes:
    i = data.find(_TYPE_KEY)
    if i < 0:
        return b""
    i += len(_TYPE_KEY)
    return data[i : data.find(b'"', i)]


class BenchSession:
    """One bot session and its scripted client (all in the same trio run).

    ``client_timers``: how the client paces its mic frames, ``"pacer"`` (the run's shared
    pacer with ``client_tick``) or ``"trio"`` (``trio.sleep_until`` per frame); by default
    ``PARAMS["client"]``.
    """

    def __init__(
        self,
        sid: int,
        *,
        mode: str = "paced",
        speech: bytearray | None = None,
        n_frames: int = 0,
        pace_output: bool = True,
        sentences: int = 3,
        frames_per_sentence: int = 20,
        window: int = 32,
        trial_cfg: dict[str, Any] | None = None,
        framing: str = "protobuf",
        lead: float = 0.08,
        client_timers: str | None = None,
        client_tick: float | None = None,
    ) -> None:
        client = PARAMS["client"]
        self.client_timers = client_timers or client["timers"]
        self.client_tick = client["pacer_tick_s"] if client_tick is None else client_tick
        if self.client_timers not in ("pacer", "trio"):
            raise ValueError(f"client_timers: 'pacer' or 'trio', not {self.client_timers!r}")
        self.sid = sid
        self.mode = mode
        self.speech = speech
        self.n_frames = n_frames
        self.pace_output = pace_output
        self.sentences = sentences
        self.fps = frames_per_sentence
        self.window = window
        self.trial_cfg = trial_cfg
        self.framing = framing
        self.lead = lead
        self.probe = Probe()
        self.session: Session | None = None
        # results
        self.t_create = 0.0
        self.t_ready: float | None = None
        self.ready = trio.Event()
        self.go = trio.Event()
        self.t0 = 0.0
        self.deadline: float | None = None
        self.msg_count = 0
        self.msg_types: Counter[bytes] = Counter()
        self.msg_watch: Callable[[bytes, bytes, float], None] | None = None
        self.anchor: dict[int, float] = {}
        self.bot_frames = 0
        self.late: list[float] = []
        self.jitter: list[float] = []
        self._ahead = max(0.0, lead - FRAME_S)  # how far the sender's schedule runs ahead
        self.emit_log: list[tuple[int, int, float]] | None = None
        self.eot_sent: list[float] = []
        self.send_lag: list[float] = []
        self.in_sent = 0
        self.frames_dropped_by_deadline = 0
        self.flushes: list[float] = []
        self.inject_times: list[tuple[int, float]] = []
        self.bot_stopped = 0
        self._bot_stopped_evt = trio.Event()
        self._win_evt = trio.Event()
        self.client_done = trio.Event()
        self.done = trio.Event()
        self._scope: trio.CancelScope | None = None
        # payloads the client sends, framed once
        if framing == "json":
            self._speech, self._silence = IN_SPEECH, IN_SILENCE
            self._ready = json.dumps(CLIENT_READY)
        else:
            self._speech = wire.serialize(
                wire.AudioFrame(audio=IN_SPEECH, sample_rate=SR, num_channels=1)
            )
            self._silence = wire.serialize(
                wire.AudioFrame(audio=IN_SILENCE, sample_rate=SR, num_channels=1)
            )
            self._ready = wire.serialize(wire.RtviText(data=json.dumps(CLIENT_READY)))

    # ---------------------------------------------------------------- the bot side
    def _build(self, session: Session) -> Graph:
        self.session = session
        return bench_graph(
            session,
            self.probe,
            framing=self.framing,
            sentences=self.sentences,
            frames_per_sentence=self.fps,
            paced=self.pace_output,
            lead=self.lead,
        )

    async def _on_connected(self, transport: Any, session: Session) -> None:
        assert session.graph is not None
        session.graph.control.add_listener(self._on_interrupt)

    def _on_interrupt(self, epoch: int, reason: str) -> None:
        # Same scheduler step as the audio sender's ``interrupted`` hook (pending audio dropped).
        self.flushes.append(trio.current_time())

    async def run(self, nursery: trio.Nursery) -> None:
        """Start the bot and the client tasks in ``nursery`` (returns at once)."""
        server_conn, client_conn = connection_pair()
        server_conn.sent = _NoRecord()
        client_conn.sent = _NoRecord()
        self.client_conn = client_conn
        self.t_create = trio.current_time()
        # the client is connected first: client-ready waits in the socket buffer
        await client_conn.send_message(self._ready)
        handler = bot_session(self._build_hooked)
        self._scope = trio.CancelScope()
        nursery.start_soon(self._serve, handler, DeviceConnection(server_conn, self._on_payload))
        if self.mode != "idle":
            nursery.start_soon(self._client)

    def _build_hooked(self, session: Session) -> Graph:
        session.transport.add_event_handler("on_client_connected", self._on_connected)
        return self._build(session)

    async def _serve(self, handler: Any, conn: Any) -> None:
        assert self._scope is not None
        with self._scope:
            try:
                await handler(conn, f"s{self.sid}")
            finally:
                self.done.set()
        self.done.set()

    async def stop(self) -> None:
        if self._scope is not None:
            self._scope.cancel()
        self.client_conn.close()
        await self.done.wait()

    # ---------------------------------------------------------------- the client side
    def _on_payload(self, payload: Any, now: float) -> None:
        """The client's device: one frame written by the server (see DeviceConnection)."""
        if self.framing == "json":
            if isinstance(payload, str):
                self._on_message(payload.encode(), now)
                return
            i = 0 if payload[:4] == BOT_MAGIC else -1
        else:
            i = payload.find(BOT_MAGIC)
            if i < 0:
                self._on_message(payload, now)
                return
        if i >= 0:
            r, k = struct.unpack_from("<II", payload, i + 4)
            self._on_bot_audio(r, k, now)

    def _on_message(self, data: bytes, now: float) -> None:
        self.msg_count += 1
        t = _msg_type(data)
        self.msg_types[t] += 1
        if t == b"bot-stopped-speaking":
            self.bot_stopped += 1
            self._bot_stopped_evt.set()
            self._bot_stopped_evt = trio.Event()
        elif t == b"bot-ready" and self.t_ready is None:
            self.t_ready = now
            self.ready.set()
        if self.msg_watch is not None:
            self.msg_watch(t, data, now)

    def _on_bot_audio(self, r: int, k: int, now: float) -> None:
        """The simulated playout device (1x real time, no re-basing within a reply)."""
        self.bot_frames += 1
        if self.emit_log is not None:
            self.emit_log.append((r, k, now))
        if not self.pace_output:
            return
        anchor = self.anchor.get(r)
        if anchor is None:
            anchor = self.anchor[r] = now - k * FRAME_S
        late = now - (anchor + k * FRAME_S)
        self.late.append(late if late > 0.0 else 0.0)
        # against the sender's own schedule (its lead subtracted): comparable to a device
        # without any buffer, like Pipecat's
        off = k * FRAME_S - self._ahead
        jit = now - (anchor + (off if off > 0.0 else 0.0))
        self.jitter.append(jit if jit > 0.0 else 0.0)

    def _on_consumed(self) -> None:
        if self.in_sent - self.probe.consumed <= self.window // 2:
            self._win_evt.set()

    async def _client(self) -> None:
        await self.go.wait()
        try:
            if self.mode == "paced":
                await self._paced()
            elif self.mode == "window":
                await self._window_mode()
            elif self.mode == "interrupt":
                await self._interrupt()
        finally:
            self.client_done.set()

    def _sleep_until(self) -> Callable[[float], Awaitable[None]]:
        if self.client_timers == "trio":
            return trio.sleep_until
        return current_pacer(self.client_tick).sleep_until

    async def _paced(self) -> None:
        sleep_until = self._sleep_until()
        t0 = self.t0
        speech = self.speech
        assert speech is not None
        prev = 0
        now_ = trio.current_time
        push = self.client_conn.send_nowait  # the pacing sleep is this loop's schedule point
        for seq in range(self.n_frames):
            target = t0 + seq * FRAME_S
            await sleep_until(target)
            now = now_()
            if self.deadline is not None and now > self.deadline:
                self.frames_dropped_by_deadline = self.n_frames - seq
                break
            self.send_lag.append(now - target)
            s = speech[seq]
            if prev and not s:
                self.eot_sent.append(now)
            prev = s
            push(self._speech if s else self._silence)
            self.in_sent += 1

    async def wait_bot_stopped(self, count: int, limit: float = 10.0) -> bool:
        with trio.move_on_after(limit):
            while self.bot_stopped < count:
                await self._bot_stopped_evt.wait()
            return True
        return False

    async def _window_mode(self) -> None:
        speech = self.speech
        assert speech is not None
        prev = 0
        w = self.window
        turns = 0
        probe = self.probe
        probe.on_consumed = self._on_consumed
        send = self.client_conn.send_message
        for seq in range(self.n_frames):
            while self.in_sent - probe.consumed >= w:
                self._win_evt = trio.Event()
                await self._win_evt.wait()
            s = speech[seq]
            if s and not prev:
                if turns > 0:
                    await self.wait_bot_stopped(turns)
                turns += 1
            if prev and not s:
                self.eot_sent.append(trio.current_time())
            prev = s
            await send(self._speech if s else self._silence)
            self.in_sent += 1

    async def wait_all_consumed(self, limit: float = 30.0) -> bool:
        with trio.move_on_after(limit):
            while self.probe.consumed < self.in_sent:  # noqa: ASYNC110 (polls a plain counter)
                await trio.sleep(0.001)
            return True
        return False

    async def _interrupt(self) -> None:
        cfg = self.trial_cfg
        assert cfg is not None
        rng = random.Random(1234)
        t0 = self.t0
        now_ = trio.current_time
        push = self.client_conn.send_nowait
        seq = 0
        speech_left = 0
        start_at = cfg["first_speech_at_frame"]
        reply_expected = 0
        inject_at: float | None = None
        trials = 0
        prev = 0
        stop_seq: int | None = None
        sleep_until = self._sleep_until()
        while True:
            await sleep_until(t0 + seq * FRAME_S)
            now = now_()
            if seq == start_at:
                speech_left = cfg["user_speech_frames"]
            s = 0
            if speech_left > 0:
                s = 1
                speech_left -= 1
            elif trials < cfg["trials"]:
                if inject_at is None and reply_expected in self.anchor:
                    inject_at = (
                        self.anchor[reply_expected]
                        + cfg["inject_after_bot_start_s"]
                        + rng.uniform(0, cfg["inject_jitter_s"])
                    )
                if inject_at is not None and now >= inject_at:
                    s = 1
                    speech_left = cfg["user_speech_frames"] - 1
                    self.inject_times.append((reply_expected, now))
                    trials += 1
                    reply_expected += 1
                    inject_at = None
            elif stop_seq is None:
                stop_seq = seq + 25
            if stop_seq is not None and seq >= stop_seq:
                break
            if prev and not s:
                self.eot_sent.append(now)
            prev = s
            push(self._speech if s else self._silence)
            seq += 1
            if seq > 5000:
                break


async def start_sessions(nursery: trio.Nursery, sessions: list[BenchSession]) -> None:
    for s in sessions:
        await s.run(nursery)


async def warmup_session(nursery: trio.Nursery) -> None:
    """One short unpaced conversation so lazily initialized code paths are warm."""
    from .common import make_speech_flags

    flags = make_speech_flags(60, [2], 10)
    s = BenchSession(-1, mode="window", speech=flags, n_frames=60, pace_output=False)
    await s.run(nursery)
    with trio.fail_after(10):
        await s.ready.wait()
    s.go.set()
    with trio.fail_after(10):
        await s.client_done.wait()
    await s.wait_bot_stopped(1, 5)
    await s.stop()
