"""Slow, stalled and greedy clients: bounded time, bounded memory, per-session rate limits,
and the per-address connection cap."""

from __future__ import annotations

from typing import Any

import pytest
import trio
import trio.testing
from trio_websocket import ConnectionRejected, open_websocket_url

from actors.bots import VoiceConfig, voice_graph
from actors.engines.audio import silence
from actors.fakes import FakeStt, ScriptedLlm, ToneTts, energy_vad
from actors.transport import InboundLimits, TokenBucket
from reliability.common import Target, with_limits
from reliability.storm import _read_head, _upgrade
from rtvi_actors.client import RtviClient
from rtvi_actors.session import Session
from rtvi_actors.testing import FakeConnection, connection_pair
from supervisors import Server, bot_session


def test_token_bucket_arithmetic() -> None:
    b = TokenBucket(rate=10.0, burst=5.0)
    assert [b.take(0.0) for _ in range(6)] == [True] * 5 + [False]
    assert b.take(0.1) and not b.take(0.1)  # 0.1 s refills one token
    assert b.take(10.0, cost=5.0) and not b.take(10.0, cost=0.5)  # never above the burst
    assert not TokenBucket(rate=1.0, burst=2.0).take(0.0, cost=3.0)  # larger than the bucket


class Stalled(FakeConnection):
    """A server-side connection whose peer stops reading after ``after`` messages: sends block
    forever, as on a full TCP buffer."""

    after = 5

    async def send_message(self, message: Any) -> None:
        if len(self.sent) >= self.after:
            await trio.sleep_forever()
        await super().send_message(message)


def stalled_pair() -> tuple[FakeConnection, FakeConnection]:
    server, client = connection_pair()
    server.__class__ = Stalled
    return server, client


def build(session: Session, limits: InboundLimits | None = None) -> Any:
    return voice_graph(
        session,
        vad=energy_vad(),
        stt=FakeStt(),
        llm=ScriptedLlm(),
        tts=ToneTts(),
        config=VoiceConfig(),
        extra=[with_limits(limits)] if limits else [],
    )


async def test_a_client_that_never_reads_is_dropped_in_bounded_time(autojump_clock) -> None:
    server = Server(bot_session(build))
    server_conn, client_conn = stalled_pair()
    client = RtviClient(client_conn)
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(client.run)
            done = trio.Event()

            async def serve() -> None:
                await server.run_connection(server_conn)
                done.set()

            nursery.start_soon(serve)
            await client.ready()
            await client.send("send-text", {"content": "a long answer " * 20})
            t0 = trio.current_time()
            await done.wait()
            # the write deadline (5 s) of the first send that blocks, plus the close timeout
            assert trio.current_time() - t0 <= 5.0 + server.close_timeout + 1.0
            assert server.statistics().live == 0
            nursery.cancel_scope.cancel()


async def test_a_message_flood_is_rate_limited_per_session(autojump_clock) -> None:
    limits = InboundLimits(messages_per_second=50, message_burst=100)
    sessions: list[Session] = []

    def track(session: Session) -> Any:
        sessions.append(session)
        return build(session, limits)

    server_conn, client_conn = connection_pair()
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(bot_session(track), server_conn, "flood")
            c = RtviClient(client_conn)
            nursery.start_soon(c.run)
            await c.ready()  # 1 token
            for i in range(1000):  # all at once (virtual time does not move)
                await c.send("client-message", {"t": "x"}, id_=f"m{i}")
            await trio.sleep(2.0)
            answered = [m for m in c.of("error-response") if m["id"].startswith("m")]
            counters = sessions[0].data["transport"]
            assert len(answered) == 99  # the burst, less the handshake's token
            assert counters.rate_limited == 901
            # the bucket refills: the session is alive and answers again
            await c.send("client-message", {"t": "x"}, id_="later")
            await c.wait_for("error-response", lambda m: m["id"] == "later")
            client_conn.close()


async def test_audio_beyond_real_time_is_dropped_and_counted(autojump_clock) -> None:
    sessions: list[Session] = []

    def track(session: Session) -> Any:
        sessions.append(session)
        return build(session, InboundLimits(audio_realtime_factor=2.0, audio_burst=10.0))

    server_conn, client_conn = connection_pair()
    with trio.fail_after(120):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(bot_session(track), server_conn, "audio")
            c = RtviClient(client_conn)
            nursery.start_soon(c.run)
            await c.ready()
            await c.stream_audio(silence(60.0), chunk=640, realtime=False)  # 60 s at once
            await trio.testing.wait_all_tasks_blocked()
            counters = sessions[0].data["transport"]
            # 10 s of burst passed (20 ms frames): the other 50 s were dropped and counted
            assert counters.audio_frames_in == 500
            assert counters.audio_dropped == 2500
            await c.stream_audio(silence(2.0), chunk=640)  # real time is always fine
            await trio.testing.wait_all_tasks_blocked()
            assert counters.audio_frames_in >= 599  # the first may find the bucket empty
            client_conn.close()


@pytest.mark.slow
async def test_the_per_address_cap_answers_429_and_frees_slots() -> None:
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            target = Target(server_options={"max_connections_per_ip": 2})
            url = await target.start(nursery)
            assert target.server is not None
            async with open_websocket_url(url), open_websocket_url(url):
                with pytest.raises(ConnectionRejected) as refused:
                    async with open_websocket_url(url):
                        pass
                assert refused.value.status_code == 429
                # another address is not affected
                stream = await trio.open_tcp_stream(
                    "127.0.0.1", target.port, local_address="127.0.0.9"
                )
                async with stream:
                    await stream.send_all(_upgrade(target.port))
                    assert b" 101 " in await _read_head(stream)
            with trio.move_on_after(5):
                while target.server.connections_from("127.0.0.1"):  # noqa: ASYNC110
                    await trio.sleep(0.01)
            async with open_websocket_url(url):
                pass  # the slots are free again
            assert target.server.statistics().too_many == 1
            nursery.cancel_scope.cancel()


@pytest.mark.slow
async def test_a_stalled_peer_is_found_by_the_ping() -> None:
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            target = Target(server_options={"ping_interval": 0.2, "ping_timeout": 0.3})
            await target.start(nursery)
            assert target.server is not None
            stream = await trio.open_tcp_stream("127.0.0.1", target.port)
            async with stream:
                await stream.send_all(_upgrade(target.port))
                await _read_head(stream)
                t0 = trio.current_time()
                while not target.server.statistics().timed_out:  # noqa: ASYNC110
                    await trio.sleep(0.02)
                assert trio.current_time() - t0 < 2.0
            nursery.cancel_scope.cancel()
