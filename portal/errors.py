"""One error shape for every answer that is not a success.

    {"detail": [{"field": "request.loaded.height_m", "message": "Input should be …"}, …]}

`field` names the offending input (a dotted path into the body, "authorization", "case_id", …), so a
client can show each message next to its field; 422s list every bad field at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

# nginx's "client closed request": nobody reads it; the request log shows it, in one line.
CLIENT_CLOSED_REQUEST = 499

log = structlog.get_logger(__name__)


class ApiError(Exception):
    """An answer other than success, with the fields it is about."""

    def __init__(
        self,
        status_code: int,
        field: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{field}: {message}")
        self.status_code = status_code
        self.problems = [{"field": field, "message": message}]
        self.headers = dict(headers or {})

    @classmethod
    def from_message(cls, status_code: int, message: str, default_field: str = "body") -> ApiError:
        """From a workflow validator's message, which starts with the field: "task_id: …"."""
        field, sep, rest = message.partition(": ")
        if sep and field and " " not in field:
            return cls(status_code, field, rest)
        return cls(status_code, default_field, message)


def unauthorized(message: str, *, invalid: bool) -> ApiError:
    challenge = 'Bearer error="invalid_token"' if invalid else "Bearer"
    return ApiError(401, "authorization", message, headers={"WWW-Authenticate": challenge})


def forbidden(field: str, message: str) -> ApiError:
    return ApiError(403, field, message)


def problems_of(
    errors: Iterable[Mapping[str, Any]], *, strip: Sequence[str] = ("body", "path", "query")
) -> list[dict[str, str]]:
    """Pydantic/FastAPI errors as {field, message}: the location joined with dots, "body" dropped.

    Never the input itself: it may be personal data.
    """
    problems = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in strip:
            loc = loc[1:]
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        if error.get("type") == "json_invalid":
            # FastAPI puts the character offset where the field would be: the body as a whole is bad.
            loc, message = [], f"not valid JSON: {(error.get('ctx') or {}).get('error', message)}"
        problems.append({"field": ".".join(loc) or "body", "message": message})
    return problems


def invalid(error: ValidationError) -> ApiError:
    """A 422 naming every bad field of a model validated by hand."""
    api_error = ApiError(422, "body", "invalid")
    api_error.problems = problems_of(error.errors(include_url=False))
    return api_error


def error_response(
    status_code: int, problems: list[dict[str, str]], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"detail": problems}, status_code=status_code, headers=dict(headers or {}))


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.problems, exc.headers)


async def _request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, problems_of(exc.errors()))


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    # 400: FastAPI could not parse the body at all (nested too deep for the JSON decoder, say).
    field = {400: "body", 404: "path", 405: "path", 413: "body"}.get(exc.status_code, "request")
    return error_response(exc.status_code, [{"field": field, "message": str(exc.detail)}], exc.headers)


async def _client_disconnect(request: Request, exc: Exception) -> JSONResponse:
    # A client that went away mid-request is not an error of ours: no traceback, no second log line.
    return error_response(CLIENT_CLOSED_REQUEST, [{"field": "request", "message": "the client disconnected"}])


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The traceback goes to the log; the client learns nothing about the internals.
    log.exception("unhandled error", path=request.scope.get("path"), error_type=type(exc).__name__)
    return error_response(500, [{"field": "server", "message": "internal error"}])


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(ClientDisconnect, _client_disconnect)
    app.add_exception_handler(Exception, _unexpected)
