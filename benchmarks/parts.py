"""The six measurements on rtvi-actors (each runs in its own process; see ``bench_rtvi_actors``).

Definitions follow the Pipecat baseline README; differences are stated in each docstring.
"""

from __future__ import annotations

import gc
import json
import math
import time
from typing import Any

import trio
import trio.testing

from reliability.common import task_count
from rtvi_actors import Actor, AudioIn, Context, Graph, Interrupted, Mailbox, Transcript
from rtvi_actors.cli import tune_gc
from rtvi_actors.voice import LlmText

from .common import (
    FRAME_S,
    IN_SILENCE,
    MB,
    PARAMS,
    cpu,
    make_speech_flags,
    pct,
    peak_rss_bytes,
    rss_bytes,
    slope,
    summ,
)
from .workload import BenchSession, llm_tokens, start_sessions, warmup_session

# ------------------------------------------------------------------------------------------
# 1. Hop latency
# ------------------------------------------------------------------------------------------


class PassThrough(Actor):
    """Forwards every message unchanged."""

    accepts = (LlmText, AudioIn)
    emits = (LlmText, AudioIn)

    async def handle(self, msg: Any, ctx: Context) -> None:
        await ctx.emit(msg)


class LastPassThrough(Actor):
    """The K-th pass-through; the tail probe runs inline in it (no mailbox, no task), like
    Pipecat's direct-mode probe after P_K."""

    accepts = (LlmText, AudioIn)

    def __init__(self, probe: dict[str, Any]) -> None:
        self.probe = probe

    async def handle(self, msg: Any, ctx: Context) -> None:
        p = self.probe
        p["t"] = time.perf_counter_ns()
        p["evt"].set()


async def part_hop() -> dict[str, Any]:
    """K actors in a chain; the driver puts a message into P1's mailbox (``inject``, the
    session inlet) and waits for the tail. One message in flight. A hop = one bounded mailbox
    (the runtime's own queue) + one actor task."""
    from supervisors import run_session

    from .workload import bench_graph  # noqa: F401  (imports the actor modules)

    cfg = PARAMS["hop"]
    out: dict[str, Any] = {}
    for config in ("bare", "default"):
        out[config] = {}
        for ftype in ("data", "system"):
            out[config][ftype] = {}
            for K in cfg["K"]:
                probe: dict[str, Any] = {"t": 0, "evt": trio.Event()}
                g = Graph()
                for i in range(K - 1):
                    g.add(f"p{i}", PassThrough, mailbox=Mailbox(16))
                g.add(f"p{K - 1}", LastPassThrough, probe, mailbox=Mailbox(16))
                typ = LlmText if ftype == "data" else AudioIn
                for i in range(K - 1):
                    g.route(typ, f"p{i}", f"p{i + 1}")
                    g.discard(LlmText if typ is AudioIn else AudioIn, f"p{i}")
                g.inlet("p0", typ)
                if config == "default":
                    _add_rtvi_side(g)
                sg = g.build(session_id="hop")
                async with trio.open_nursery() as nursery:
                    if config == "bare":
                        nursery.start_soon(sg.run)
                    else:
                        nursery.start_soon(run_session, sg)
                    await trio.sleep(0.05)
                    tune_gc()  # as the server does once it listens (and the other parts)
                    lat = []
                    c0 = cpu()
                    for i in range(cfg["warmup"] + cfg["samples"]):
                        msg = (
                            LlmText(epoch=0, text="x")
                            if typ is LlmText
                            else AudioIn(pcm=IN_SILENCE, sample_rate=16000)
                        )
                        probe["evt"] = evt = trio.Event()
                        t0 = time.perf_counter_ns()
                        sg.inject("p0", msg)
                        await evt.wait()
                        if i >= cfg["warmup"]:
                            lat.append((probe["t"] - t0) / 1000.0)
                    c1 = cpu()
                    nursery.cancel_scope.cancel()
                r = summ(lat, 1.0, 1)
                r["cpu_us_per_frame"] = round((c1 - c0) / (cfg["warmup"] + cfg["samples"]) * 1e6, 1)
                out[config][ftype][f"K={K}"] = r
            ks = cfg["K"]
            ys = [out[config][ftype][f"K={k}"]["p50"] for k in ks]
            out[config][ftype]["per_hop_us_p50_slope"] = round(slope(ks, ys), 2)
    return out


def _add_rtvi_side(g: Graph) -> None:
    """The RTVI actor (observer and frame writer in one, idle here), as in a session."""
    import functools

    from actors.observer import ObserverParams
    from actors.rtvi import RtviActor
    from actors.writing import MessageWriter
    from rtvi_actors import UserText
    from rtvi_actors.session import RtviHandle
    from rtvi_actors.testing import connection_pair
    from rtvi_actors.voice import FunctionCallResultIn, RtviOut

    conn, _peer = connection_pair()
    rtvi = functools.partial(
        RtviActor, RtviHandle(), observer=ObserverParams(), writer=MessageWriter(conn)
    )
    g.add("rtvi", rtvi, mailbox=Mailbox(1024))
    g.discard(UserText, "rtvi").discard(FunctionCallResultIn, "rtvi").discard(AudioIn, "rtvi")
    g.discard(RtviOut, "rtvi")
    g.subscribe("rtvi", Interrupted)
    g._keep_peer = _peer  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------
# 2. Throughput
# ------------------------------------------------------------------------------------------


async def part_throughput(framing: str = "protobuf") -> dict[str, Any]:
    """3000 input frames as fast as possible (≤ 32 in flight: sent but not yet consumed by the
    STT, the stage that consumes input audio here), turn-synchronized; output not paced
    (``UnpacedPlayout``). CPU from the first frame sent until all frames are consumed and the
    last ``bot-stopped-speaking`` arrived."""
    cfg = PARAMS["throughput"]
    conv = PARAMS["conversation"]
    res: dict[str, Any] = {"framing": framing}
    async with trio.open_nursery() as nursery:
        await warmup_session(nursery)
        tune_gc()  # as the server does once it listens
        for variant in ("conversation", "silence_only"):
            reps = []
            for rep in range(cfg["reps"]):
                n = cfg["frames"]
                starts = (
                    list(
                        range(
                            cfg["speech_start_in_cycle"],
                            n - conv["user_speech_frames"] - 1,
                            cfg["cycle_frames"],
                        )
                    )
                    if variant == "conversation"
                    else []
                )
                flags = make_speech_flags(n, starts, conv["user_speech_frames"])
                s = BenchSession(
                    rep,
                    mode="window",
                    speech=flags,
                    n_frames=n,
                    pace_output=False,
                    window=cfg["window_frames"],
                    framing=framing,
                )
                await s.run(nursery)
                with trio.fail_after(10):
                    await s.ready.wait()
                gc.collect()
                c0, w0 = cpu(), time.monotonic()
                s.go.set()
                await s.client_done.wait()
                await s.wait_all_consumed(30)
                await s.wait_bot_stopped(len(starts), 30)
                c1, w1 = cpu(), time.monotonic()
                msgs = s.msg_count
                await s.stop()
                cpu_s, wall_s = c1 - c0, w1 - w0
                reps.append(
                    {
                        "frames": n,
                        "turns": len(starts),
                        "bot_frames": s.bot_frames,
                        "bot_frames_expected": len(starts) * conv["bot_reply_frames"],
                        "rtvi_messages": msgs,
                        "rtvi_messages_per_turn": round((msgs - 1) / len(starts), 1)
                        if starts
                        else None,
                        "cpu_s": round(cpu_s, 4),
                        "wall_s": round(wall_s, 4),
                        "frames_per_cpu_s": round(n / cpu_s, 1),
                        "frames_per_wall_s": round(n / wall_s, 1),
                        "cpu_ms_per_realtime_s": round(cpu_s / (n * FRAME_S) * 1000, 3),
                        "realtime_sessions_per_core": round((n * FRAME_S) / cpu_s, 1),
                    }
                )
            best = sorted(reps, key=lambda r: r["cpu_s"])[len(reps) // 2]
            res[variant] = {"median_rep": best, "reps": reps}
    return res


# ------------------------------------------------------------------------------------------
# 3. Concurrent real-time sessions
# ------------------------------------------------------------------------------------------


async def part_concurrency(N: int) -> dict[str, Any]:
    cfg = PARAMS["concurrency"]
    conv = PARAMS["conversation"]
    async with trio.open_nursery() as nursery:
        await warmup_session(nursery)
        tune_gc()  # as the server does once it listens
        gc.collect()
        await trio.sleep(0.1)
        rss0 = rss_bytes()
        tasks0 = task_count()
        n_frames = round(cfg["conversation_s"] / FRAME_S)
        sessions = []
        c_start0, w_start0 = cpu(), time.monotonic()
        for i in range(N):
            off = 0.1 * (i % 10)
            starts = [round((t + off) / FRAME_S) for t in cfg["turn_starts_s"]]
            flags = make_speech_flags(n_frames, starts, conv["user_speech_frames"])
            s = BenchSession(i, mode="paced", speech=flags, n_frames=n_frames)
            s.n_turns = len(starts)  # type: ignore[attr-defined]
            sessions.append(s)
        await start_sessions(nursery, sessions)
        with trio.fail_after(300):
            for s in sessions:
                await s.ready.wait()
        c_start1, w_start1 = cpu(), time.monotonic()
        startup_lat = [s.t_ready - s.t_create for s in sessions]
        await trio.sleep(0.5)
        gc.collect()
        rss_idle = rss_bytes()
        n_tasks_idle = task_count()

        T0 = trio.current_time() + 0.2
        for i, s in enumerate(sessions):
            s.t0 = T0 + i * FRAME_S / N
            s.deadline = s.t0 + cfg["conversation_s"] + 0.001
            s.go.set()
        peak_sampled = rss_idle
        stop = trio.Event()

        async def sampler() -> None:
            nonlocal peak_sampled
            while not stop.is_set():
                peak_sampled = max(peak_sampled, rss_bytes())
                with trio.move_on_after(cfg["rss_sample_period_s"]):
                    await stop.wait()

        nursery.start_soon(sampler)
        await trio.sleep_until(T0)
        c0, w0 = cpu(), time.monotonic()
        await trio.sleep_until(T0 + cfg["conversation_s"])
        c1, w1 = cpu(), time.monotonic()
        t_lim = time.monotonic() + cfg["grace_s"]
        while time.monotonic() < t_lim:
            if all(s.client_done.is_set() for s in sessions) and all(
                s.bot_frames >= len(s.eot_sent) * conv["bot_reply_frames"] for s in sessions
            ):
                break
            await trio.sleep(0.05)
        w2 = time.monotonic()
        stop.set()
        rss_end = rss_bytes()
        peak = max(peak_rss_bytes(), peak_sampled)

        late, jit, lag, resp = [], [], [], []
        bot = bot_exp = in_sent = dropped = msgs = 0
        for s in sessions:
            late += s.late
            jit += s.jitter
            lag += s.send_lag
            bot += s.bot_frames
            bot_exp += s.n_turns * conv["bot_reply_frames"]  # type: ignore[attr-defined]
            in_sent += s.in_sent
            dropped += s.frames_dropped_by_deadline
            msgs += s.msg_count
            for j, te in enumerate(s.eot_sent):
                if j in s.anchor:
                    resp.append(s.anchor[j] - te)
        c_t0 = cpu()
        for s in sessions:
            if s._scope is not None:
                s._scope.cancel()
            s.client_conn.close()
        for s in sessions:
            await s.done.wait()
        c_t1 = cpu()
        nursery.cancel_scope.cancel()
    cpu_s, wall_s = c1 - c0, w1 - w0
    frac = bot / bot_exp if bot_exp else 0.0
    lag99 = pct(lag, 99) or 0.0
    return {
        "N": N,
        "client_timers": dict(PARAMS["client"]),
        "overloaded": int(frac < 0.98 or lag99 > 0.1),
        "startup": {
            "wall_s_all": round(w_start1 - w_start0, 3),
            "cpu_s_all": round(c_start1 - c_start0, 3),
            "cpu_ms_per_session": round((c_start1 - c_start0) / N * 1000, 2),
            "time_to_bot_ready_ms": summ(startup_lat, 1e3, 1),
        },
        "cpu_pct_of_one_core": round(cpu_s / wall_s * 100, 1),
        "cpu_ms_per_session_realtime_s": round(cpu_s / (N * wall_s) * 1000, 3),
        "window_s": round(wall_s, 3),
        "grace_used_s": round(w2 - w1, 3),
        "rss_baseline_mb": round(rss0 / MB, 1),
        "rss_idle_mb": round(rss_idle / MB, 1),
        "rss_peak_mb": round(peak / MB, 1),
        "rss_end_mb": round(rss_end / MB, 1),
        "rss_per_session_idle_kb": round((rss_idle - rss0) / N / 1024, 1),
        "rss_per_session_peak_kb": round((peak - rss0) / N / 1024, 1),
        "trio_tasks_per_idle_session": round((n_tasks_idle - tasks0) / N, 1),
        "in_frames_sent": in_sent,
        "in_frames_dropped_at_deadline": dropped,
        "bot_frames_out": bot,
        "bot_frames_expected": bot_exp,
        "bot_frames_out_frac": round(frac, 4),
        "rtvi_messages": msgs,
        "output_lateness_ms": summ(late, 1e3, 2),
        "send_jitter_ms": summ(jit, 1e3, 2),
        "client_send_lag_ms": summ(lag, 1e3, 2),
        "response_latency_ms": summ(resp, 1e3, 2),
        "teardown_cpu_s": round(c_t1 - c_t0, 3),
    }


# ------------------------------------------------------------------------------------------
# 4. Interruption
# ------------------------------------------------------------------------------------------


async def part_interruption() -> dict[str, Any]:
    """10 s replies (2 x 250 frames), barge-in 0.5 s + U(0, 20 ms) after the reply's first
    frame arrived. "Output flushed" = the interruption's scheduler step (the epoch listener
    runs in the same step as the audio sender's ``interrupted`` hook that drops its audio).
    "Emitted" = arrived at the client."""
    cfg = PARAMS["interruption"]
    async with trio.open_nursery() as nursery:
        await warmup_session(nursery)
        tune_gc()  # as the server does once it listens
        s = BenchSession(
            0,
            mode="interrupt",
            sentences=cfg["reply_sentences"],
            frames_per_sentence=cfg["tts_frames_per_sentence"],
            trial_cfg=cfg,
            # exact timers: on the shared pacer's grid the barge-in frame would leave on the
            # same tick the server's audio senders wake on, which no real client does (the
            # barge-in time is randomized by U(0, 20 ms) precisely to avoid such alignment)
            client_timers="trio",
        )
        s.emit_log = []
        msg_log: list[tuple[bytes, float]] = []
        s.msg_watch = lambda t, d, now: msg_log.append((t, now))
        await s.run(nursery)
        with trio.fail_after(10):
            await s.ready.wait()
        s.t0 = trio.current_time() + 0.05
        s.go.set()
        with trio.fail_after(180):
            await s.client_done.wait()
        await trio.sleep(0.2)
        await s.stop()
        nursery.cancel_scope.cancel()
    total = cfg["reply_sentences"] * cfg["tts_frames_per_sentence"]
    trials = []
    for r, t_inj in s.inject_times:
        frames_r = [(k, t) for (rr, k, t) in s.emit_log if rr == r]
        before = [t for k, t in frames_r if t <= t_inj]
        leaked = [t for k, t in frames_r if t > t_inj]
        flush = next((t for t in s.flushes if t >= t_inj), None)
        bi = next((t for (ty, t) in msg_log if ty == b"bot-interrupted" and t >= t_inj), None)
        us = next((t for (ty, t) in msg_log if ty == b"user-started-speaking" and t >= t_inj), None)
        last = max(t for k, t in frames_r) if frames_r else None
        trials.append(
            {
                "reply": r,
                "frames_emitted_before_inject": len(before),
                "leaked_frames": len(leaked),
                "frames_dropped": total - len(frames_r),
                "inject_to_output_flush_ms": round((flush - t_inj) * 1e3, 3) if flush else None,
                "inject_to_last_bot_frame_ms": round(max(0.0, last - t_inj) * 1e3, 3)
                if last
                else None,
                "inject_to_rtvi_bot_interrupted_ms": round((bi - t_inj) * 1e3, 3) if bi else None,
                "inject_to_rtvi_user_started_ms": round((us - t_inj) * 1e3, 3) if us else None,
            }
        )

    def col(key: str) -> list[float]:
        return [t[key] for t in trials if t[key] is not None]

    return {
        "trials": len(trials),
        "inject_to_output_flush_ms": summ(col("inject_to_output_flush_ms"), 1, 3),
        "inject_to_last_bot_frame_ms": summ(col("inject_to_last_bot_frame_ms"), 1, 3),
        "leaked_frames": summ(col("leaked_frames"), 1, 2),
        "inject_to_rtvi_bot_interrupted_ms": summ(col("inject_to_rtvi_bot_interrupted_ms"), 1, 3),
        "inject_to_rtvi_user_started_ms": summ(col("inject_to_rtvi_user_started_ms"), 1, 3),
        "queued_frames_at_inject_p50": pct(
            [total - t["frames_emitted_before_inject"] for t in trials], 50
        ),
        "note": "queued = not yet sent; the sender holds at most its 16-message mailbox, the "
        "rest waits in the TTS (backpressure)",
        "per_trial": trials,
    }


# ------------------------------------------------------------------------------------------
# 5. RTVI message cost
# ------------------------------------------------------------------------------------------


async def part_rtvi() -> dict[str, Any]:
    from actors.observer import RtviObserver
    from actors.writing import encode_message
    from rtvi_actors import BotStartedSpeaking, BotStoppedSpeaking, UserStartedSpeaking
    from rtvi_actors import protocol as p
    from rtvi_actors.voice import TtsStarted

    cfg = PARAMS["rtvi"]
    res: dict[str, Any] = {"isolated": {}, "in_pipeline": {}}

    # (a) isolated: RtviObserver.observe -> RtviProtocol.send (version gate) -> envelope dict
    #     -> json.dumps (the JSON framing's serializer; protobuf framing reported apart)
    proto = p.RtviProtocol()
    proto.receive_text(
        json.dumps(
            {
                "label": "rtvi-ai",
                "type": "client-ready",
                "id": "x",
                "data": {"version": "2.2.0", "about": {}},
            }
        )
    )
    obs = RtviObserver()
    toks = llm_tokens(3)
    events = {
        "user-started-speaking": lambda i: UserStartedSpeaking(at=0.0),
        "user-transcription+user-input": lambda i: Transcript(
            text="hello this is the user speaking", final=True, at=0.0
        ),
        "bot-llm-text(+bot-transcription per sentence)": lambda i: LlmText(
            epoch=0, text=toks[i % len(toks)]
        ),
        "bot-tts-started": lambda i: TtsStarted(epoch=0, at=0.0),
        "bot-started-speaking": lambda i: BotStartedSpeaking(epoch=0, at=0.0),
        "bot-stopped-speaking": lambda i: BotStoppedSpeaking(epoch=0, at=0.0),
    }
    for framing in ("json", "protobuf"):
        tot_cpu, tot_msgs, tot_bytes = 0.0, 0, 0
        sect: dict[str, Any] = {}
        for name, mk in events.items():
            n = cfg["isolated_iters_per_event"]
            evs = [mk(i) for i in range(n)]
            msgs = nbytes = 0
            c0 = cpu()
            for ev in evs:
                for message in obs.observe(ev):
                    for out in proto.send(message):
                        data = encode_message(out.to_dict(), framing)
                        msgs += 1
                        nbytes += len(data)
            c1 = cpu()
            tot_cpu += c1 - c0
            tot_msgs += msgs
            tot_bytes += nbytes
            sect[name] = {
                "messages_per_event": round(msgs / n, 3),
                "cpu_us_per_message": round((c1 - c0) / msgs * 1e6, 2),
                "bytes_per_message": round(nbytes / msgs, 1),
            }
        sect["all_types_cpu_us_per_message"] = round(tot_cpu / tot_msgs * 1e6, 2)
        res["isolated" if framing == "json" else "isolated_protobuf"] = sect

    # (b) in the session: the STT publishes an interim transcript (t0) -> the RTVI actor
    #     (observer + writer) -> protobuf frames at the client (t1). (c) delivery only:
    #     session.rtvi.send_server_message -> server-message at the client.
    async with trio.open_nursery() as nursery:
        await warmup_session(nursery)
        tune_gc()  # as the server does once it listens
        s = BenchSession(0, mode="idle")
        await s.run(nursery)
        with trio.fail_after(10):
            await s.ready.wait()
        await trio.sleep(0.2)
        marker: dict[str, Any] = {"kind": None, "needle": b"", "t": 0, "evt": trio.Event()}

        def watch(t: bytes, data: bytes, now: float) -> None:
            if t == marker["kind"] and marker["needle"] in data:
                marker["t"] = time.perf_counter_ns()
                marker["evt"].set()

        s.msg_watch = watch
        stt = s.probe.stt
        assert stt is not None and stt.ctx is not None and s.session is not None
        rtvi = s.session.rtvi

        async def measure(kind: str, *, yield_each: bool) -> tuple[list[float], float, float]:
            # one hang guard for the whole loop: a trio deadline per event would add its
            # own registration (~12 µs here) to every measured event
            with trio.fail_after(60):
                return await measure_in(kind, yield_each)

        async def measure_in(kind: str, yield_each: bool) -> tuple[list[float], float, float]:
            lat = []
            total = cfg["pipeline_warmup"] + cfg["pipeline_events"]
            c0 = m0 = 0.0
            for i in range(total):
                if i == cfg["pipeline_warmup"]:
                    c0, m0 = cpu(), s.msg_count
                marker["evt"] = evt = trio.Event()
                t0 = time.perf_counter_ns()
                if kind == "event":
                    text = f"probe {i}"
                    marker["kind"], marker["needle"] = b"user-transcription", text.encode()
                    stt.ctx.publish(Transcript(text=text, final=False, at=trio.current_time()))
                else:
                    marker["kind"], marker["needle"] = b"server-message", f'"i":{i}}}'.encode()
                    await rtvi.send_server_message({"i": i})
                # The driver waits only for a frame that has not arrived yet, as an asyncio
                # driver's ``await event.wait()`` does (Pipecat's); a trio Event.wait() on a
                # set event is still a schedule point, which ``yield_each`` keeps (the
                # figure of earlier rounds, reported beside it).
                if yield_each or not evt.is_set():
                    await evt.wait()
                if i >= cfg["pipeline_warmup"]:
                    lat.append((marker["t"] - t0) / 1000.0)
            # whatever the events left to other tasks (a write the socket only partly took,
            # say) runs and is counted before the window closes
            await trio.testing.wait_all_tasks_blocked()
            c1 = cpu()
            n = cfg["pipeline_events"]
            return lat, (c1 - c0) / n * 1e6, (s.msg_count - m0) / n

        lat, cpu_ev, mpe = await measure("event", yield_each=False)
        lat_s, cpu_s, _ = await measure("server", yield_each=False)
        cpu_ev_y = cpu_s_y = math.nan
        if cfg["driver_yield_variant"]:
            _, cpu_ev_y, _ = await measure("event", yield_each=True)
            _, cpu_s_y, _ = await measure("server", yield_each=True)
        await s.stop()
        nursery.cancel_scope.cancel()
    res["in_pipeline"] = {
        "event": "interim Transcript published by the STT actor -> RtviActor (observer + "
        "writer) -> user-input + user-transcription protobuf frames at the client",
        "event_to_json_us": summ(lat, 1.0, 1),
        "messages_per_event": round(mpe, 2),
        "cpu_us_per_event": round(cpu_ev, 1),
        "cpu_us_per_message": round(cpu_ev / mpe, 1),
        "delivery": "session.rtvi.send_server_message() -> server-message frame at the client",
        "delivery_latency_us": summ(lat_s, 1.0, 1),
        "delivery_cpu_us_per_message": round(cpu_s, 1),
        "driver_schedule_point_each_event": {
            "cpu_us_per_message": round(cpu_ev_y / mpe, 1),
            "delivery_cpu_us_per_message": round(cpu_s_y, 1),
        },
    }
    return res


# ------------------------------------------------------------------------------------------
# 6. Startup and idle memory
# ------------------------------------------------------------------------------------------


async def part_startup() -> dict[str, Any]:
    """t0 before the session (Session, graph, supervisor) is created; t1 = ``bot-ready`` at
    the client (its ``client-ready`` waits in the connection buffer from the start)."""
    cfg = PARAMS["startup"]
    res: dict[str, Any] = {}
    async with trio.open_nursery() as nursery:
        s = BenchSession(0, mode="idle")
        c0 = cpu()
        await s.run(nursery)
        with trio.fail_after(10):
            await s.ready.wait()
        res["cold_first_session_ms"] = round((s.t_ready - s.t_create) * 1e3, 2)
        res["cold_first_session_cpu_ms"] = round((cpu() - c0) * 1e3, 2)
        await s.stop()
        for _ in range(cfg["warmup_sessions"]):
            s = BenchSession(0, mode="idle")
            await s.run(nursery)
            await s.ready.wait()
            await s.stop()
        lat, cpus, td = [], [], []
        for i in range(cfg["sequential_sessions"]):
            s = BenchSession(i, mode="idle")
            c0 = cpu()
            await s.run(nursery)
            with trio.fail_after(10):
                await s.ready.wait()
            c1 = cpu()
            lat.append(s.t_ready - s.t_create)
            cpus.append(c1 - c0)
            t0 = time.monotonic()
            await s.stop()
            td.append(time.monotonic() - t0)
        res["create_to_bot_ready_ms"] = summ(lat, 1e3, 2)
        res["cpu_ms_per_startup"] = summ(cpus, 1e3, 2)
        res["teardown_ms"] = summ(td, 1e3, 2)

        N = cfg["idle_sessions"]
        gc.collect()
        await trio.sleep(0.2)
        rss0 = rss_bytes()
        tasks0 = task_count()
        sessions = [BenchSession(i, mode="idle") for i in range(N)]
        await start_sessions(nursery, sessions)
        with trio.fail_after(60):
            for s in sessions:
                await s.ready.wait()
        await trio.sleep(0.5)
        gc.collect()
        rss1 = rss_bytes()
        tasks1 = task_count()
        c0, w0 = cpu(), time.monotonic()
        await trio.sleep(cfg["idle_measure_s"])
        c1, w1 = cpu(), time.monotonic()
        for s in sessions:
            await s.stop()
        nursery.cancel_scope.cancel()
    res["idle"] = {
        "sessions": N,
        "rss_per_idle_session_kb": round((rss1 - rss0) / N / 1024, 1),
        "trio_tasks_per_idle_session": round((tasks1 - tasks0) / N, 1),
        "idle_cpu_pct_per_session": round((c1 - c0) / (w1 - w0) / N * 100, 4),
    }
    return res


async def run_part(part: str) -> dict[str, Any]:
    if part == "hop":
        return await part_hop()
    if part == "throughput":
        return await part_throughput()
    if part == "throughput_json":
        return await part_throughput("json")
    if part.startswith("concurrency:"):
        return await part_concurrency(int(part.split(":")[1]))
    if part == "interruption":
        return await part_interruption()
    if part == "rtvi":
        return await part_rtvi()
    if part == "startup":
        return await part_startup()
    raise SystemExit(f"unknown part {part}")
