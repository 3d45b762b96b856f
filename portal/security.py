"""FastAPI dependencies that decide who may call an endpoint.

401 (with `WWW-Authenticate: Bearer`) when there is no bearer token or it is none we know; 403 when
the token is known but its role may not call the endpoint, or it is another case's applicant token.
Department checks against a task happen in the endpoint, once the task is known.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from portal.auth import Principal, Role
from portal.errors import forbidden, unauthorized
from portal.state import PortalState, portal_state

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A portal, officer, supervisor or auditor token, or the applicant token of the case.",
)

_ROLE_NAMES = {
    Role.PORTAL: "the portal",
    Role.OFFICER: "an officer",
    Role.AUDITOR: "an auditor",
    Role.SUPERVISOR: "a supervisor",
    Role.APPLICANT: "the applicant of this case",
}


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting the given roles; `Role.APPLICANT` means the applicant of the path's case."""
    allowed = frozenset(roles)
    who = " or ".join(_ROLE_NAMES[r] for r in roles)

    async def principal(
        request: Request,
        state: Annotated[PortalState, Depends(portal_state)],
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        if credentials is None or not credentials.credentials:
            raise unauthorized("a bearer token is required", invalid=False)
        token = credentials.credentials
        case_id = request.path_params.get("case_id")
        found = state.tokens.identify(token)
        if found is None and case_id is not None and state.applicants.is_for(token, case_id):
            found = Principal(name="applicant", role=Role.APPLICANT, case_id=case_id)
        if found is None:
            if state.applicants.issued_for_some_case(token):
                if case_id is None or Role.APPLICANT not in allowed:
                    raise forbidden("authorization", f"only {who} may do this")
                raise forbidden("authorization", "this applicant token belongs to another case")
            raise unauthorized("unknown or revoked token", invalid=True)
        request.state.role = found.role.value
        if found.role not in allowed:
            raise forbidden("authorization", f"only {who} may do this")
        return found

    return principal
