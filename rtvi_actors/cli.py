"""The command line and composition root: ``python -m rtvi_actors``.

This is the one module of the core allowed to import ``actors`` and ``supervisors``; it does so
lazily, inside :func:`serve`, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import attrs
import structlog
import trio

from .logs import configure_logging

__all__ = ["BOTS", "main", "parse_args", "serve"]

BOTS: dict[str, str] = {
    "echo": "text echo over WebSocket text frames (runtime smoke test)",
    "scripted": "deterministic voice bot with fakes, no models",
    "local": "offline voice bot: Silero VAD, Whisper tiny.en, a demo responder, Piper",
}
AVAILABLE_BOTS = ("echo", "scripted", "local")
STATIC_DIR = Path(__file__).resolve().parent / "static"
"""The demo page served at ``/``."""
DEFAULT_BOT = "local"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    p = argparse.ArgumentParser(
        prog="python -m rtvi_actors",
        description="Serve real-time voice AI bots over the RTVI protocol (WebSocket at /ws).",
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=7860, help="TCP port (default 7860; 0 = any)")
    p.add_argument(
        "--bot",
        choices=sorted(BOTS),
        default=DEFAULT_BOT,
        help="; ".join(f"{k}: {v}" for k, v in BOTS.items()) + f" (default {DEFAULT_BOT})",
    )
    engines = p.add_argument_group(
        "engines of the local bot",
        "API keys come from the environment only: RTVI_LLM_API_KEY, RTVI_STT_API_KEY, "
        "RTVI_TTS_API_KEY (falling back to OPENAI_API_KEY / DEEPGRAM_API_KEY)",
    )
    engines.add_argument(
        "--llm",
        choices=("demo", "openai"),
        default="demo",
        help="demo: the offline demo responder; openai: any OpenAI-compatible chat server",
    )
    engines.add_argument("--llm-base-url", default="https://api.openai.com/v1")
    engines.add_argument("--llm-model", default="gpt-4o-mini")
    engines.add_argument(
        "--stt",
        choices=("whisper", "openai", "deepgram"),
        default="whisper",
        help="whisper: offline tiny.en; openai: /audio/transcriptions; deepgram: live streaming",
    )
    engines.add_argument(
        "--stt-base-url", default=None, help="default: OpenAI's API, or Deepgram's listen URL"
    )
    engines.add_argument("--stt-model", default="whisper-1")
    engines.add_argument(
        "--tts",
        choices=("piper", "espeak", "openai"),
        default="piper",
        help="piper or espeak: offline; openai: /audio/speech",
    )
    engines.add_argument("--tts-base-url", default="https://api.openai.com/v1")
    engines.add_argument("--tts-model", default="tts-1")
    engines.add_argument("--tts-voice", default="alloy")
    engines.add_argument("--system-prompt", default="You are a helpful, concise voice assistant.")
    p.add_argument(
        "--log-format",
        choices=("console", "json"),
        default="console",
        help="console lines for development, JSON lines for production",
    )
    p.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    p.add_argument(
        "--token",
        default=os.environ.get("RTVI_TOKEN"),
        help="require clients to present this token (?token=...; default: $RTVI_TOKEN, "
        "unset = no auth)",
    )
    p.add_argument(
        "--allowed-origin",
        action="append",
        dest="allowed_origins",
        metavar="ORIGIN",
        help="accept WebSocket handshakes only from this Origin (repeatable)",
    )
    p.add_argument(
        "--max-connections-per-ip",
        type=int,
        default=32,
        help="refuse more simultaneous connections from one address (HTTP 429; default 32)",
    )
    p.add_argument(
        "--ping-interval",
        type=float,
        default=20.0,
        help="ping idle clients this often (seconds); one that does not answer is closed",
    )
    p.add_argument(
        "--drain-grace",
        type=float,
        default=10.0,
        help="on SIGTERM, let a bot finish its current utterance for at most this long "
        "(seconds) before closing with 1001",
    )
    p.add_argument(
        "--debug",
        action="store_true",
        help="send internal error details to clients (never in production)",
    )
    return p.parse_args(argv)


def _session_handler(args: argparse.Namespace) -> Callable[[Any, str], Any]:
    bot, debug = args.bot, args.debug
    from actors.echo import build_echo_graph  # composition root: lazy imports
    from supervisors import bot_session, graph_session

    if bot == "echo":
        return graph_session(build_echo_graph, debug=debug)
    if bot == "scripted":
        from actors.bots import VoiceConfig, scripted_bot

        config = VoiceConfig(debug=debug)
        return bot_session(lambda session: scripted_bot(session, config), debug=debug)
    if bot == "local":
        from actors.bots import VoiceConfig
        from actors.local import EngineChoice, local_bot, make_engines, preload
        from actors.turn_policy import TurnPolicy

        choice = EngineChoice(
            stt=args.stt,
            llm=args.llm,
            tts=args.tts,
            llm_base_url=args.llm_base_url,
            llm_model=args.llm_model,
            stt_base_url=args.stt_base_url
            or (
                "wss://api.deepgram.com/v1/listen"
                if args.stt == "deepgram"
                else "https://api.openai.com/v1"
            ),
            stt_model=args.stt_model,
            tts_base_url=args.tts_base_url,
            tts_model=args.tts_model,
            tts_voice=args.tts_voice,
        )
        preload(choice)  # load the models once, before listening; fails early if missing
        engines = make_engines(choice)
        policy = TurnPolicy(stop="transcription" if args.stt == "deepgram" else "vad")
        config = VoiceConfig(debug=debug, system_prompt=args.system_prompt, turn_policy=policy)
        return bot_session(lambda session: local_bot(session, config, engines=engines), debug=debug)
    raise SystemExit(
        f"bot {bot!r} is not available in this version; available: {', '.join(AVAILABLE_BOTS)}"
    )


async def serve(args: argparse.Namespace) -> None:
    """Run the server until SIGINT or SIGTERM.

    The first signal starts a graceful shutdown: new connections are refused and live sessions
    close with code 1001; a second signal stops at once.

    Cancellation: cancelling stops the server at once (sessions are still sent 1001).
    """
    from supervisors import Server

    log = structlog.get_logger("rtvi_actors")
    from .web import WebApp

    try:
        handler = _session_handler(args)
    except ImportError as exc:  # actors.engines.EngineUnavailable: a missing extra
        log.error("engine.unavailable", error=str(exc))
        raise SystemExit(2) from None
    server = Server(
        handler,
        http=WebApp(STATIC_DIR, token=args.token),
        token=args.token,
        allowed_origins=args.allowed_origins,
        max_connections_per_ip=args.max_connections_per_ip,
        ping_interval=args.ping_interval,
        drain_grace=args.drain_grace,
    )
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:

            async def run_server(task_status: trio.TaskStatus[int]) -> None:
                await server.serve(args.host, args.port, task_status=task_status)
                nursery.cancel_scope.cancel()  # served out: stop waiting for signals

            port = await nursery.start(run_server)
            tune_gc()
            host = f"[{args.host}]" if ":" in args.host else args.host
            log.info("server.listening", url=f"ws://{host}:{port}/ws", bot=args.bot)
            async for signum in signals:
                name = signal.Signals(signum).name
                if server.closing:
                    log.info("server.stopping", signal=name, graceful=False)
                    nursery.cancel_scope.cancel()
                    break
                log.info("server.stopping", signal=name, graceful=True)
                server.close()
    log.info("server.stopped", **attrs.asdict(server.statistics()))


GC_THRESHOLDS: Final = (50_000, 20, 100)
"""The collector's thresholds for a real-time server (CPython's defaults: 700, 10, 10)."""


def tune_gc() -> None:
    """Set the garbage collector up for real-time audio, once startup is done.

    Everything alive now (modules, classes, loaded models) is frozen out of the collector's
    sight (``gc.freeze``), and collections run less often (:data:`GC_THRESHOLDS`): reference
    counting frees almost everything a session allocates, so frequent cyclic collections only
    add pauses. Measured with 150 paced sessions in one process (benchmarks): output lateness
    p99 618 ms with the defaults, 0 ms tuned, with 17 % less CPU and the same peak memory.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse arguments, configure logging, serve. Returns the exit status."""
    args = parse_args(argv)
    configure_logging(args.log_format, level=args.log_level)
    if args.bot not in AVAILABLE_BOTS:
        structlog.get_logger("rtvi_actors").error(
            "bot.unavailable", bot=args.bot, available=list(AVAILABLE_BOTS)
        )
        return 2
    trio.run(serve, args)
    return 0
