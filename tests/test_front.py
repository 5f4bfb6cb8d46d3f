"""One port for the page, ``POST /start`` and the WebSocket; auth and origins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trio
from trio_websocket import ConnectionClosed, HandshakeError, open_websocket_url

from actors.echo import build_echo_graph
from rtvi_actors.web import WebApp
from supervisors import Server, graph_session

pytestmark = pytest.mark.slow


async def http(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        await stream.send_all(raw)
        data = b""
        while chunk := await stream.receive_some(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    return status, headers, body


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text("<!doctype html><title>demo</title>")
    (tmp_path / "app.js").write_text("console.log('hi')")
    return tmp_path


async def serve(nursery: trio.Nursery, server: Server) -> int:
    return await nursery.start(server.serve, "127.0.0.1", 0)


async def test_page_assets_start_and_websocket_share_one_port(site: Path) -> None:
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            server = Server(graph_session(build_echo_graph), http=WebApp(site))
            port = await serve(nursery, server)
            status, headers, body = await http(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert (status, body) == (200, b"<!doctype html><title>demo</title>")
            assert headers["content-type"].startswith("text/html")
            status, headers, body = await http(port, b"GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n")
            assert status == 200 and "javascript" in headers["content-type"]
            status, headers, body = await http(port, b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert status == 200 and body == b""
            status, _, _ = await http(port, b"GET /missing HTTP/1.1\r\nHost: x\r\n\r\n")
            assert status == 404
            req = f"POST /start HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 2\r\n\r\n{{}}"
            status, headers, body = await http(port, req.encode())
            assert status == 200
            ws_url = json.loads(body)["wsUrl"]
            assert ws_url == f"ws://127.0.0.1:{port}/ws"
            async with open_websocket_url(ws_url) as ws:
                await ws.send_message("same port")
                assert await ws.get_message() == "same port"
            assert server.statistics().http_requests == 5
            server.close()


async def test_malformed_request_heads_are_counted_not_fatal() -> None:
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            server = Server(graph_session(build_echo_graph))
            port = await serve(nursery, server)
            stream = await trio.open_tcp_stream("127.0.0.1", port)
            async with stream:
                await stream.send_all(b"\x00\x01garbage\r\n\r\n")
                assert await stream.receive_some(100) == b""
            assert server.statistics().bad_requests == 1
            async with open_websocket_url(f"ws://127.0.0.1:{port}/ws") as ws:
                await ws.send_message("alive")
                assert await ws.get_message() == "alive"
            server.close()


async def test_token_auth(site: Path) -> None:
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            app = WebApp(site, token="s3cret")
            server = Server(graph_session(build_echo_graph), http=app, token="s3cret")
            port = await serve(nursery, server)
            url = f"ws://127.0.0.1:{port}/ws"
            for bad in (url, url + "?token=wrong"):
                async with open_websocket_url(bad) as ws:
                    with pytest.raises(ConnectionClosed) as closed:
                        await ws.get_message()
                    assert closed.value.reason.code == 4001
            async with open_websocket_url(url + "?token=s3cret") as ws:
                await ws.send_message("in")
                assert await ws.get_message() == "in"
            assert server.statistics().unauthorized == 2
            # /start needs the bearer token too, and hands out a URL that carries it
            req = b"POST /start HTTP/1.1\r\nHost: h:1\r\nContent-Length: 0\r\n\r\n"
            assert (await http(port, req))[0] == 401
            req = (
                b"POST /start HTTP/1.1\r\nHost: h:1\r\nAuthorization: Bearer s3cret\r\n"
                b"Content-Length: 0\r\n\r\n"
            )
            status, _, body = await http(port, req)
            assert status == 200
            assert json.loads(body)["wsUrl"] == "ws://h:1/ws?token=s3cret"
            server.close()


async def test_allowed_origins() -> None:
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            server = Server(
                graph_session(build_echo_graph), allowed_origins=["http://good.example"]
            )
            port = await serve(nursery, server)
            url = f"ws://127.0.0.1:{port}/ws"
            with pytest.raises(HandshakeError):
                async with open_websocket_url(url, extra_headers=[("Origin", "http://evil")]):
                    pass
            async with open_websocket_url(
                url, extra_headers=[("Origin", "http://good.example")]
            ) as ws:
                await ws.send_message("ok")
                assert await ws.get_message() == "ok"
            assert server.statistics().rejected == 1
            server.close()
