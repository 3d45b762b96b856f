"""Plain ASGI middlewares: the JSON content type, the request body limit and the request log (with
its metrics).

Plain ASGI rather than `BaseHTTPMiddleware`: the body limit has to sit between the server and
whoever reads the body, and neither needs a task group per request.
"""

from __future__ import annotations

import time

import structlog
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.errors import error_response
from portal.metrics import PortalMetrics

log = structlog.get_logger("portal.request")


class BodyLimit:
    """413 for a body over `max_bytes`: by its Content-Length before anything runs, and by the bytes
    actually received (a missing or lying Content-Length, chunked uploads) while it is read.

    The read-time check raises an HTTPException from `receive`; FastAPI passes those through its body
    parsing, so the error handler answers in the usual shape and the endpoint never runs.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                await self._reject(scope, receive, send, 400, "Content-Length is not a number of bytes")
                return
            if length > self.max_bytes:
                await self._reject(scope, receive, send, 413, self._too_large())
                return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, self._too_large())
            return message

        await self.app(scope, limited, send)

    def _too_large(self) -> str:
        return f"the request body is larger than {self.max_bytes} bytes"

    @staticmethod
    async def _reject(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
        response = error_response(status, [{"field": "body", "message": message}])
        await response(scope, receive, send)


class JsonBodies:
    """415 for a request body that does not say `Content-Type: application/json` (the API and the codec).

    Otherwise a `text/plain`, form, XML or multipart body would be parsed as JSON as long as it happened
    to be JSON. A request without a body needs no content type; the workbench (`form_prefix`) takes the
    forms its pages send and nothing else.
    """

    def __init__(self, app: ASGIApp, form_prefix: str) -> None:
        self.app = app
        self.form_prefix = form_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.form_prefix):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "0").strip()
        has_body = declared not in ("", "0") or "transfer-encoding" in headers
        media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
        if has_body and media_type != "application/json":
            shown = media_type[:60] or "none"
            response = error_response(
                415, [{"field": "content-type", "message": f"expected application/json, got {shown}"}]
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class RequestLog:
    """One structured event per request: method, route template, status, case id, role, duration;
    and the same request counted in `metrics` (by method, route template and status).

    Never the body, the query string or a header: tokens travel in the Authorization header and
    submissions carry personal data.
    """

    def __init__(self, app: ASGIApp, metrics: PortalMetrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            route = scope.get("route")
            state = scope.get("state") or {}
            path_params = scope.get("path_params") or {}
            seconds = time.perf_counter() - started
            method = str(scope.get("method"))
            template = getattr(route, "path", None) or "(unrouted)"  # one series for every unknown path
            log.info(
                "request",
                method=method,
                path=template,
                status=status,
                case_id=state.get("case_id") or path_params.get("case_id"),
                role=state.get("role"),
                duration_ms=round(seconds * 1000, 1),
            )
            if self.metrics is not None:
                self.metrics.observe(method, template, status, seconds)
