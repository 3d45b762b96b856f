"""Workbench sign-in: server-side sessions behind an HttpOnly, SameSite=Strict cookie, and CSRF tokens.

The cookie holds a random session id, never the bearer token: the token is checked once at sign-in
(the portal's token store, or an applicant token of a case) and the session remembers the principal.
Every form carries the session's CSRF token (synchroniser token); the sign-in form, before a session
exists, carries one that must equal a short-lived cookie of its own (double submit). Sessions live in
the portal process: a portal restart signs everybody out, and replicas would need sticky sessions.

An officer's or auditor's session also holds the short-lived credential the Temporal Web UI presents to
the codec endpoint (`/codec/decode`): a cookie of its own, scoped to `/codec`, renewed on every
workbench page and gone with the session. The UI sends it when its codec setting "include cross-origin
credentials" is on; an Origin header, which any local process can write, authenticates nobody.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field

from fastapi import Request, Response

from portal.auth import Principal, Role

SESSION_COOKIE = "onething_session"
LOGIN_CSRF_COOKIE = "onething_login_csrf"
COOKIE_PATH = "/workbench"
SESSION_SECONDS = 8 * 3600  # a working day
CODEC_COOKIE = "onething_codec"
CODEC_COOKIE_PATH = "/codec"
# Short: a credential copied out of a browser opens the decrypted payloads for a quarter of an hour
# at most; the officer's workbench pages renew it while they work.
CODEC_SECONDS = 15 * 60
CODEC_ROLES = frozenset({Role.OFFICER, Role.AUDITOR})  # who may read payloads in clear


@dataclass(frozen=True)
class Session:
    principal: Principal
    csrf: str
    expires: float


@dataclass(frozen=True)
class CodecCredential:
    session_id: str
    expires: float


@dataclass
class Sessions:
    _by_id: dict[str, Session] = field(default_factory=dict)
    _codec: dict[str, CodecCredential] = field(default_factory=dict)

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
            for credential in [k for k, c in self._codec.items() if c.session_id == session_id]:
                del self._codec[credential]

    def codec_credential(self, session_id: str) -> str | None:
        """A new codec credential for the session, if its principal may read payloads; None otherwise."""
        self._expire()
        session = self.get(session_id)
        if session is None or session.principal.role not in CODEC_ROLES:
            return None
        credential = secrets.token_urlsafe(32)
        self._codec[credential] = CodecCredential(session_id, time.monotonic() + CODEC_SECONDS)
        return credential

    def codec_principal(self, credential: str | None) -> Principal | None:
        """Whose codec credential this is, while it and its session last; None otherwise."""
        if not credential:
            return None
        found = self._codec.get(credential)
        if found is None or found.expires < time.monotonic():
            self._codec.pop(credential, None)
            return None
        session = self.get(found.session_id)
        return session.principal if session is not None else None

    def _expire(self) -> None:
        now = time.monotonic()
        for session_id in [k for k, s in self._by_id.items() if s.expires < now]:
            del self._by_id[session_id]
        for credential in [k for k, c in self._codec.items() if c.expires < now]:
            del self._codec[credential]


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


def grant_codec(response: Response, request: Request, session_id: str | None) -> None:
    """Set (or renew) the session's codec cookie, for officers and auditors; nothing for anybody else."""
    credential = sessions_of(request).codec_credential(session_id) if session_id else None
    if credential is None:
        return
    response.set_cookie(
        CODEC_COOKIE,
        credential,
        max_age=CODEC_SECONDS,
        path=CODEC_COOKIE_PATH,
        httponly=True,
        samesite="strict",  # the UI is another port of the same host: the same site
        secure=request.url.scheme == "https",
    )
