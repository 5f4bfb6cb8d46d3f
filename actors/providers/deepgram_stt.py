"""A streaming speech-to-text client for Deepgram's live WebSocket API (``/v1/listen``).

PCM16 audio goes out as binary frames; transcripts come back as typed events on a trio channel.
The connection is watched: unanswered audio, a slow send or a slow close become
:class:`ProviderStalled` instead of silence (the failure behind "the bot stopped hearing me").
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, final
from urllib.parse import urlencode

import structlog
import trio
import trio_websocket
from attrs import field, frozen

from ._ws import open_ws, single_exception
from .deepgram_events import DeepgramEvent, decode_message
from .errors import ProviderConnectionError, ProviderError, ProviderStalled

__all__ = ["DeepgramConfig", "DeepgramLive", "build_listen_url", "open_deepgram_live"]

PROVIDER = "deepgram"
log = structlog.get_logger("actors.providers")


@final
@frozen(kw_only=True)
class DeepgramConfig:
    """How to reach Deepgram (or a compatible server) and what to ask for.

    Attributes:
        api_key: Sent as ``Authorization: Token <key>``; never shown in ``repr()``.
        url: The listen endpoint; tests point it at ``ws://127.0.0.1:PORT/v1/listen``.
        model: Model name (``nova-3``), or ``None`` for the server default.
        language: Language code, or ``None``.
        sample_rate: Sample rate of the PCM16 mono audio sent.
        interim_results: Ask for interim transcripts.
        punctuate: Ask for punctuation.
        smart_format: Ask for numbers, dates... formatting.
        endpointing_ms: Silence (ms) that ends an utterance (``speech_final``), or ``None``.
        utterance_end_ms: Word gap (ms) that triggers ``UtteranceEnd``, or ``None``.
        vad_events: Ask for ``SpeechStarted`` events.
        extra_params: More query parameters (``keyterm``, ``diarize``...).
        connect_deadline: Seconds to open the WebSocket (TCP, TLS and handshake).
        keepalive_interval: Send ``KeepAlive`` after this many seconds without audio (Deepgram
            closes an idle stream after about 10 s).
        stall_deadline: Audio sent but no message back for this long means a stalled stream.
        send_deadline: Seconds one audio send may block (a peer that stopped reading).
        close_deadline: Seconds for the server to flush and close after :meth:`DeepgramLive.finish`.
        event_buffer: Capacity of the events channel (the reader waits when it is full).
    """

    api_key: str = field(repr=False)
    url: str = "wss://api.deepgram.com/v1/listen"
    model: str | None = "nova-3"
    language: str | None = "en"
    sample_rate: int = 16000
    interim_results: bool = True
    punctuate: bool = True
    smart_format: bool = False
    endpointing_ms: int | None = 300
    utterance_end_ms: int | None = 1000
    vad_events: bool = True
    extra_params: Mapping[str, str] = field(factory=dict)
    connect_deadline: float = 5.0
    keepalive_interval: float = 4.0
    stall_deadline: float = 5.0
    send_deadline: float = 2.0
    close_deadline: float = 3.0
    event_buffer: int = 64


def build_listen_url(config: DeepgramConfig) -> str:
    """Return the listen URL with the query parameters for ``config`` (no credentials)."""
    params: dict[str, Any] = {
        "encoding": "linear16",
        "sample_rate": config.sample_rate,
        "channels": 1,
        "interim_results": str(config.interim_results).lower(),
        "punctuate": str(config.punctuate).lower(),
    }
    if config.model:
        params["model"] = config.model
    if config.language:
        params["language"] = config.language
    if config.smart_format:
        params["smart_format"] = "true"
    params["endpointing"] = "false" if config.endpointing_ms is None else config.endpointing_ms
    if config.utterance_end_ms is not None:
        params["utterance_end_ms"] = config.utterance_end_ms
    if config.vad_events:
        params["vad_events"] = "true"
    params.update(config.extra_params)
    return f"{config.url}?{urlencode(params)}"


class DeepgramLive:
    """One open live-transcription stream; made by :func:`open_deepgram_live`.

    Attributes:
        events: Receive channel of :data:`DeepgramEvent` values; it ends (EOF) after the server
            closes the stream cleanly following :meth:`finish`.
        audio_bytes_sent: Total audio bytes sent so far.
    """

    def __init__(self, ws: trio_websocket.WebSocketConnection, config: DeepgramConfig) -> None:
        self._ws = ws
        self._config = config
        self._send_events, self.events = trio.open_memory_channel[DeepgramEvent](
            config.event_buffer
        )
        self._last_sent = trio.current_time()
        self._unanswered_since: float | None = None  # First audio sent since the last reply.
        self._closing_since: float | None = None
        self._wake = trio.Event()
        self.audio_bytes_sent = 0

    def __repr__(self) -> str:
        return f"DeepgramLive(url={self._config.url!r}, sent={self.audio_bytes_sent})"

    async def send_audio(self, pcm: bytes) -> None:
        """Send PCM16 mono audio at the configured sample rate (any size; empty is ignored).

        Raises:
            ProviderStalled: The send blocked for longer than ``send_deadline``.
            ProviderConnectionError: The stream is closed or :meth:`finish` was called.

        Cancellation: safe to cancel, but a cancelled send may leave a partial frame, so the
        stream should be closed afterwards.
        """
        if self._closing_since is not None:
            raise ProviderConnectionError("audio sent after finish()", provider=PROVIDER)
        if not pcm:
            return
        await self._send(bytes(pcm))
        self.audio_bytes_sent += len(pcm)
        if self._unanswered_since is None:
            self._unanswered_since = trio.current_time()
            self._wake.set()

    async def finalize(self) -> None:
        """Ask the server to flush the current segment now (``{"type": "Finalize"}``); a final
        result with ``from_finalize`` follows. Raises like :meth:`send_audio`."""
        await self._send(json.dumps({"type": "Finalize"}))

    async def finish(self) -> None:
        """Send ``{"type": "CloseStream"}``: the server transcribes what it has, sends the last
        results and ``Metadata``, then closes. Keep reading :attr:`events` until it ends.

        Raises:
            ProviderStalled: (from the stream, later) the server did not close within
                ``close_deadline``.
            ProviderConnectionError: The connection was already gone.

        Idempotent.
        """
        if self._closing_since is not None:
            return
        await self._send(json.dumps({"type": "CloseStream"}))
        self._closing_since = trio.current_time()
        self._wake.set()

    async def _send(self, message: bytes | str) -> None:
        deadline = self._config.send_deadline
        with trio.move_on_after(deadline) as scope:
            try:
                await self._ws.send_message(message)
            except trio_websocket.ConnectionClosed as exc:
                raise _closed_error(exc.reason) from None
        if scope.cancelled_caught:
            raise ProviderStalled(
                f"a send blocked for {deadline:g}s",
                phase="send",
                deadline=deadline,
                provider=PROVIDER,
            )
        self._last_sent = trio.current_time()

    async def _read(self) -> None:
        with self._send_events:
            while True:
                try:
                    message = await self._ws.get_message()
                except trio_websocket.ConnectionClosed as exc:
                    code = exc.reason.code if exc.reason else None
                    if self._closing_since is not None and code in (1000, 1005):
                        return  # The clean end after CloseStream: the events channel ends.
                    raise _closed_error(exc.reason) from None
                self._unanswered_since = None
                if isinstance(message, bytes):
                    continue  # Deepgram sends no binary messages; ignore rather than fail.
                event = decode_message(message)
                if event is not None:
                    await self._send_events.send(event)

    async def _keepalive(self) -> None:
        interval = self._config.keepalive_interval
        while True:
            due = self._last_sent + interval
            if trio.current_time() >= due:
                if self._closing_since is not None:
                    return
                await self._send(json.dumps({"type": "KeepAlive"}))
            else:
                await trio.sleep_until(due)

    async def _watchdog(self) -> None:
        config = self._config
        while True:
            if self._closing_since is not None:
                await trio.sleep_until(self._closing_since + config.close_deadline)
                raise ProviderStalled(
                    f"server did not close within {config.close_deadline:g}s",
                    phase="close",
                    deadline=config.close_deadline,
                    provider=PROVIDER,
                )
            since = self._unanswered_since
            if since is None:
                self._wake = trio.Event()
                await self._wake.wait()
                continue
            due = since + config.stall_deadline
            if trio.current_time() >= due:
                log.warning("provider.stalled", provider=PROVIDER, phase="results")
                raise ProviderStalled(
                    f"no results for {config.stall_deadline:g}s of sent audio",
                    phase="results",
                    deadline=config.stall_deadline,
                    provider=PROVIDER,
                )
            with trio.move_on_at(due):
                self._wake = trio.Event()
                await self._wake.wait()  # Woken early by finish().


@asynccontextmanager
async def open_deepgram_live(config: DeepgramConfig) -> AsyncIterator[DeepgramLive]:
    """Open a live-transcription stream.

    Usage::

        async with open_deepgram_live(config) as live:
            nursery.start_soon(feed_microphone, live)    # await live.send_audio(pcm) ...
            async for event in live.events:
                match event:
                    case InterimTranscript(text=t): ...
                    case FinalTranscript(text=t, speech_final=end): ...
                    case UtteranceEnd(): ...

    On leaving the block the WebSocket is closed (code 1000, bounded); call
    :meth:`DeepgramLive.finish` first and drain :attr:`~DeepgramLive.events` to keep the tail of
    the transcript. Background tasks (reader, keepalive, watchdog) live inside the block.

    Args:
        config: The connection configuration.

    Yields:
        The :class:`DeepgramLive` stream.

    Raises:
        ProviderStalled: Connecting took longer than ``connect_deadline``; sent audio got no
            reply within ``stall_deadline``; or the close took longer than ``close_deadline``.
        ProviderAuthError, ProviderRateLimited, ProviderError: The handshake was rejected
            (mapped by HTTP status), the server reported an error, or closed unexpectedly.
        ProviderConnectionError: The network failed.

        A single error from the body or a background task is raised as itself, not wrapped in
        an ``ExceptionGroup``.

    Cancellation: cancelling the surrounding scope stops the background tasks and closes the
    WebSocket (shielded, at most about one second).
    """
    headers = [(b"Authorization", f"Token {config.api_key}".encode())]
    try:
        async with (
            open_ws(
                build_listen_url(config),
                headers=headers,
                connect_deadline=config.connect_deadline,
                provider=PROVIDER,
                secret=config.api_key,
            ) as ws,
            trio.open_nursery() as tasks,
        ):
            live = DeepgramLive(ws, config)
            tasks.start_soon(live._read)
            tasks.start_soon(live._keepalive)
            tasks.start_soon(live._watchdog)
            yield live
            tasks.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        single = single_exception(group)
        if single is None:
            raise
        raise single from None


def _closed_error(reason: trio_websocket.CloseReason | None) -> ProviderError:
    code = reason.code if reason else None
    detail = (reason.reason or reason.name) if reason else "unknown reason"
    # 1008 (policy: bad audio or parameters) will fail again; 1011 (NET-0001: no audio) and
    # abnormal closes may not.
    return ProviderConnectionError(
        f"stream closed by server: {detail}", status=code, retryable=code != 1008, provider=PROVIDER
    )
