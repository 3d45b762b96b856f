"""Workbench sign-in: server-side sessions behind an HttpOnly, SameSite=Strict cookie, and CSRF tokens.

The cookie holds a random session id, never the bearer token: the token is checked once at sign-in
(the portal's token store, or an applicant token of a case) and the session remembers the principal.
Every form carries the session's CSRF token (synchroniser token); the sign-in form, before a session
exists, carries one that must equal a short-lived cookie of its own (double submit). Sessions live in
the portal process: a portal restart signs everybody out, and replicas would need sticky sessions.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field

from fastapi import Request, Response

from portal.auth import Principal

SESSION_COOKIE = "onething_session"
LOGIN_CSRF_COOKIE = "onething_login_csrf"
COOKIE_PATH = "/workbench"
SESSION_SECONDS = 8 * 3600  # a working day


@dataclass(frozen=True)
class Session:
    principal: Principal
    csrf: str
    expires: float


@dataclass
class Sessions:
    _by_id: dict[str, Session] = field(default_factory=dict)

    def open(self, principal: Principal) -> tuple[str, Session]:
        self._expire()
        session_id = secrets.token_urlsafe(32)
        session = Session(principal, secrets.token_urlsafe(32), time.monotonic() + SESSION_SECONDS)
        self._by_id[session_id] = session
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        session = self._by_id.get(session_id)
        if session is None or session.expires < time.monotonic():
            self._by_id.pop(session_id, None)
            return None
        return session

    def close(self, session_id: str | None) -> None:
        if session_id:
            self._by_id.pop(session_id, None)

    def _expire(self) -> None:
        now = time.monotonic()
        for session_id in [k for k, s in self._by_id.items() if s.expires < now]:
            del self._by_id[session_id]


def sessions_of(request: Request) -> Sessions:
    found: Sessions | None = getattr(request.app.state, "workbench_sessions", None)
    if found is None:
        found = request.app.state.workbench_sessions = Sessions()
    return found


def current(request: Request) -> tuple[str | None, Session | None]:
    session_id = request.cookies.get(SESSION_COOKIE)
    return session_id, sessions_of(request).get(session_id)


def csrf_ok(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
