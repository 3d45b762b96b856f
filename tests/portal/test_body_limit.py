"""The body limit on its own: by Content-Length up front, by bytes received while reading."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI, Request
from pydantic import BaseModel

from portal import errors
from portal.middleware import BodyLimit

LIMIT = 1024


class Item(BaseModel):
    text: str


def limited_app() -> tuple[FastAPI, list[str]]:
    app = FastAPI()
    reached: list[str] = []
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=LIMIT)

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, int]:
        body = await request.body()
        reached.append("raw")  # only once the body is in
        return {"bytes": len(body)}

    @app.post("/model")
    async def model(item: Item) -> dict[str, int]:
        reached.append("model")
        return {"chars": len(item.text)}

    return app, reached


async def call(app: FastAPI, path: str, chunks: list[bytes], headers: dict[str, str]) -> tuple[int, Any]:
    """A raw ASGI request, so the Content-Length header can lie."""
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("portal", 80),
    }
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body)


def item(size: int) -> bytes:
    return json.dumps({"text": "x" * size}).encode()


async def test_under_the_limit_passes():
    app, reached = limited_app()
    for path in ("/raw", "/model"):
        status, _ = await call(app, path, [item(100)], {"content-type": "application/json"})
        assert status == 200
    assert reached == ["raw", "model"]


async def test_declared_length_over_the_limit_is_refused_before_anything_runs():
    app, reached = limited_app()
    status, body = await call(app, "/model", [item(10)], {"content-length": str(LIMIT + 1)})
    assert status == 413
    assert body["detail"][0]["field"] == "body"
    assert reached == []


async def test_bytes_over_the_limit_are_refused_whatever_the_header_says():
    app, reached = limited_app()
    big = item(2 * LIMIT)
    for path in ("/raw", "/model"):
        for headers in (
            {"content-length": "20", "content-type": "application/json"},
            {"content-type": "application/json"},
        ):
            status, body = await call(app, path, [big[:600], big[600:]], headers)
            assert status == 413, (path, headers)
            assert body == {
                "detail": [{"field": "body", "message": f"the request body is larger than {LIMIT} bytes"}]
            }
    assert reached == []


async def test_a_bad_content_length_is_400():
    app, _ = limited_app()
    status, _ = await call(app, "/raw", [b"{}"], {"content-length": "ten"})
    assert status == 400


async def test_every_error_has_the_one_shape():
    app, _ = limited_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.post("/model", json={"text": 5, "more": 1})
        assert response.status_code == 422
        assert response.json() == {"detail": [{"field": "text", "message": "Input should be a valid string"}]}
        response = await client.get("/nowhere")
        assert response.status_code == 404
        assert response.json() == {"detail": [{"field": "path", "message": "Not Found"}]}
        response = await client.get("/raw")
        assert response.status_code == 405
