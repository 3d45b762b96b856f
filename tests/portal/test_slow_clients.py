"""Slow and vanishing clients: an unfinished request is cut off after the read timeout, and a client
that disconnects is one request line with status 499, not an unhandled error with a traceback.

The timeout tests run the real uvicorn server (the protocol is where the bytes arrive) with a read
timeout of a fraction of a second, and wait for the server to close the connection with a generous
deadline: they check that it closes, not how fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
import uvicorn

from logs import configure_logging
from portal import server
from portal.app import create_app
from tests.polling import eventually
from tests.portal.conftest import dev_tokens, portal_config, portal_settings

READ_TIMEOUT = 0.3
CLOSED_WITHIN = 30.0  # only a bound for a hung test, never a measure of speed


@pytest.fixture
def json_logs() -> Iterator[None]:
    configure_logging()
    yield
    structlog.reset_defaults()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(tmp_path: Path) -> AsyncIterator[tuple[int, dict[str, str]]]:
    tokens = dev_tokens(tmp_path)
    app = create_app(portal_settings(tmp_path, "q"), config=portal_config(tmp_path))
    port = free_port()
    uv = uvicorn.Server(
        server.config(
            app, host="127.0.0.1", port=port, read_timeout=READ_TIMEOUT, log_config=None, lifespan="off"
        )
    )
    task = asyncio.create_task(uv.serve())
    await eventually(lambda: asyncio.sleep(0, uv.started))
    try:
        yield port, tokens
    finally:
        uv.should_exit = True
        await task


async def closed_by_server(port: int, sent: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(sent)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), CLOSED_WITHIN)  # b"" or the answer, then EOF
    finally:
        writer.close()


def request_lines(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{") and '"request"' in line]


async def test_an_unfinished_request_head_is_cut_off(tmp_path: Path, json_logs: None, capfd):
    async with serving(tmp_path) as (port, _):
        answer = await closed_by_server(port, b"POST /api/v1/cases HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    assert b"HTTP/1.1 2" not in answer
    _, err = capfd.readouterr()
    [line] = [r for r in request_lines(err) if r.get("status") == 408]
    assert line["phase"] == "head"
    assert "Traceback" not in err


async def test_a_body_that_stops_arriving_is_cut_off_and_logged_once(tmp_path: Path, json_logs: None, capfd):
    async with serving(tmp_path) as (port, tokens):
        head = (
            "POST /api/v1/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {tokens['portal']}\r\nContent-Length: 1000\r\n\r\n"
        )
        answer = await closed_by_server(port, head.encode() + b'{"matter": "oversize-')
    assert b"HTTP/1.1 2" not in answer
    _, err = capfd.readouterr()
    assert "Traceback" not in err and "unhandled error" not in err and "Exception in ASGI" not in err
    statuses = [r.get("status") for r in request_lines(err)]
    assert 408 in statuses  # the protocol's line
    assert 499 in statuses  # the application saw the client go: its request line, status 499
    assert tokens["portal"] not in err


async def test_a_client_that_disconnects_mid_body_is_one_499_line(tmp_path: Path, json_logs: None, capfd):
    """Through the ASGI interface alone: the body's next message is http.disconnect."""
    tokens = dev_tokens(tmp_path)
    app = create_app(portal_settings(tmp_path, "q"), config=portal_config(tmp_path))
    messages = [
        {"type": "http.request", "body": b'{"matter": ', "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/cases",
        "raw_path": b"/api/v1/cases",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"portal"),
            (b"content-type", b"application/json"),
            (b"transfer-encoding", b"chunked"),
            (b"authorization", f"Bearer {tokens['portal']}".encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    await app(scope, receive, send)
    _, err = capfd.readouterr()
    assert "Traceback" not in err and "unhandled error" not in err
    [line] = request_lines(err)
    assert line["status"] == 499
