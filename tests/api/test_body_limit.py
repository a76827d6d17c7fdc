"""Bodies over a route's limit are refused with 413 while they stream in, before they are read (issue 14, defect
5: a 1 GB POST to ``generate/async`` took the server from 133 MB to 2.1 GB before a 400)."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator, MutableMapping
from typing import Any

import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from horde.queue.service import HordeService
from horde.webapp import bodylimit
from horde.webapp.api import signing
from horde.webapp.app import create_app
from horde.webapp.settings import WebSettings
from tests.contract.conftest import free_port

CHUNK = 64 * 1024


@pytest.fixture
async def app(web_settings: WebSettings, api_service: HordeService) -> AsyncIterator[Starlette]:
    application = create_app(web_settings, service=api_service)
    async with LifespanManager(application):
        yield application


class Stream:
    """An ASGI ``receive`` that makes up a body of ``total`` bytes chunk by chunk, counting what the app pulls."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.pulled = 0

    async def __call__(self) -> dict[str, Any]:
        if self.pulled >= self.total:
            return {"type": "http.disconnect"}
        size = min(CHUNK, self.total - self.pulled)
        self.pulled += size
        return {"type": "http.request", "body": b"{" * size, "more_body": self.pulled < self.total}


async def call(
    app: Starlette, method: str, path: str, receive: Any, headers: list[tuple[bytes, bytes]], query: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"horde.test"), *headers],
        "client": ("203.0.113.7", 1234),
        "server": ("horde.test", 80),
    }
    sent: list[dict[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    await app(scope, receive, send)
    start = sent[0]
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], response_headers, b"".join(m.get("body", b"") for m in sent[1:])


async def test_a_declared_length_over_the_limit_is_refused_unread(app: Starlette) -> None:
    async def must_not_read() -> dict[str, Any]:
        raise AssertionError("the body was read")

    headers = [(b"content-type", b"application/json"), (b"content-length", str(10**9).encode())]
    status, response_headers, body = await call(app, "POST", "/api/v2/generate/async", must_not_read, headers)
    assert status == 413
    assert json.loads(body) == {"message": "The request body is larger than 32,768 KiB.", "rc": "PayloadTooLarge"}
    assert response_headers["connection"] == "close"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v2/generate/async"),
        ("POST", "/api/v2/generate/text/async"),
        ("POST", "/api/v2/generate/submit"),
        ("POST", "/api/v2/kudos/transfer"),
        ("PUT", "/api/v2/sharedkeys"),
        ("POST", "/api/v2/generate/pop"),
    ],
)
async def test_a_streamed_api_body_is_cut_off_at_the_limit(app: Starlette, method: str, path: str) -> None:
    stream = Stream(total=200 * 1024 * 1024)
    headers = [(b"content-type", b"application/json"), (b"apikey", b"0000000000")]
    status, _, body = await call(app, method, path, stream, headers)
    assert status == 413
    assert json.loads(body)["rc"] == "PayloadTooLarge"
    assert stream.pulled <= bodylimit.limit_for(method, path) + CHUNK


async def test_the_signed_upload_route_is_cut_off_at_the_limit(app: Starlette, api_service: HordeService) -> None:
    job_id = "7d1f1c8e-4c63-4bd6-9f53-2f1f9c6c2a11"
    expires, signature = api_service.signer.sign(signing.UPLOAD, job_id, ttl=600)
    stream = Stream(total=400 * 1024 * 1024)
    query = f"expires={expires}&signature={signature}".encode()
    status, _, body = await call(app, "PUT", f"/api/v2/r2/upload/{job_id}", stream, [], query)
    assert (status, json.loads(body)["rc"]) == (413, "PayloadTooLarge")
    assert stream.pulled <= bodylimit.MAX_RESULT + CHUNK


async def test_a_streamed_form_is_cut_off_before_the_csrf_check_reads_it(app: Starlette) -> None:
    stream = Stream(total=100 * 1024 * 1024)
    headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    status, response_headers, body = await call(app, "POST", "/login", stream, headers)
    assert status == 413
    assert response_headers["content-type"].startswith("text/html")
    assert b"The request body is larger than 1,024 KiB." in body
    assert stream.pulled <= bodylimit.DEFAULT_LIMIT + CHUNK


async def test_bodies_within_the_limit_still_reach_the_route(app: Starlette) -> None:
    payload = json.dumps({"prompt": "a cat", "dry_run": True}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": payload, "more_body": False}

    status, _, body = await call(app, "POST", "/api/v2/generate/async", receive, headers)
    assert status == 200 and "kudos" in json.loads(body)


@pytest.fixture
def server(web_settings: WebSettings) -> Iterator[str]:
    """A real uvicorn server on loopback (its own service, opened in the app's lifespan)."""
    port = free_port()
    uv = uvicorn.Server(
        uvicorn.Config(create_app(web_settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not uv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    yield f"127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)


def _response_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_over_a_real_socket_a_gigabyte_is_refused_before_it_is_sent(server: str) -> None:
    host, port = server.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v2/generate/async HTTP/1.1\r\nHost: horde\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1073741824\r\n\r\n"
        )
        head = _response_head(sock)  # no byte of the body was sent
    assert head.startswith(b"HTTP/1.1 413"), head[:200]


def test_over_a_real_socket_a_chunked_stream_is_cut_off(server: str) -> None:
    host, port = server.split(":")
    sent = 0
    chunk = b"%x\r\n%s\r\n" % (CHUNK, b" " * CHUNK)
    pending = b""
    head = b""
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v2/generate/async HTTP/1.1\r\nHost: horde\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        sock.setblocking(False)
        deadline = time.monotonic() + 30
        while b"\r\n\r\n" not in head and time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock] if sent < 2**30 else [], [], 1)
            if readable:
                data = sock.recv(65536)
                if not data:
                    break
                head += data
            elif writable:
                if not pending:
                    pending, sent = chunk, sent + CHUNK
                try:
                    pending = pending[sock.send(pending) :]
                except (BrokenPipeError, ConnectionResetError):
                    break
    assert head.startswith(b"HTTP/1.1 413"), head[:200]
    assert sent < 64 * 1024 * 1024  # the limit (32 MiB) and what the socket buffers took, not a gigabyte
