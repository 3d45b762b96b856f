"""The Temporal codec endpoint (`/codec/encode`, `/codec/decode`): officers read cases in the Web UI.

The server stores only ciphertext; the UI sends payloads here to be decrypted for display. Who may: an
officer or auditor bearer token (a cluster's UI behind its own login passes the access token), or the
short-lived codec credential of an officer's or auditor's signed-in workbench session (a cookie the
UI sends with "include cross-origin credentials" on; portal/workbench/sessions.py). Never an Origin
header: any process on the machine can write one. CORS (ONETHING_UI_ORIGINS) only lets the UI's page
read the answers in a browser; it authenticates nobody.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from cryptography.exceptions import InvalidTag
from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from portal.auth import Role
from portal.errors import ApiError
from portal.security import bearer, require
from portal.state import PortalState, portal_state
from portal.workbench.sessions import CODEC_COOKIE, sessions_of

router = APIRouter(prefix="/codec", tags=["codec"])
UI_ORIGINS_ENV = "ONETHING_UI_ORIGINS"
_officer_or_auditor = require(Role.OFFICER, Role.AUDITOR)


def ui_origins(env: Any = None) -> list[str]:
    env = os.environ if env is None else env
    return [o.strip() for o in env.get(UI_ORIGINS_ENV, "").split(",") if o.strip()]


async def codec_caller(
    request: Request,
    state: Annotated[PortalState, Depends(portal_state)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    if credentials is None:
        signed_in = sessions_of(request).codec_principal(request.cookies.get(CODEC_COOKIE))
        if signed_in is not None:
            request.state.role = signed_in.role.value
            return
    await _officer_or_auditor(request, state, credentials)


async def _payloads(request: Request) -> Payloads:
    try:
        return json_format.Parse(await request.body(), Payloads())
    except (json_format.ParseError, UnicodeDecodeError) as exc:  # Parse decodes bytes before it parses
        raise ApiError(422, "payloads", f"not Temporal payloads JSON: {exc}") from exc


def _answer(payloads: list[Any]) -> dict[str, Any]:
    answer: dict[str, Any] = json_format.MessageToDict(Payloads(payloads=payloads))
    answer.setdefault("payloads", [])
    return answer


@router.post("/encode", dependencies=[Depends(codec_caller)])
async def encode(request: Request, state: Annotated[PortalState, Depends(portal_state)]) -> dict[str, Any]:
    # Sealed for the UI: readable here and in the UI, refused by every worker (codec.py): an officer's
    # token must not be a way to write a case's inputs around the portal's checks.
    codec = state.codec_or_503().for_ui()
    return _answer(await codec.encode(list((await _payloads(request)).payloads)))


@router.post("/decode", dependencies=[Depends(codec_caller)])
async def decode(request: Request, state: Annotated[PortalState, Depends(portal_state)]) -> dict[str, Any]:
    codec = state.codec_or_503()
    try:
        return _answer(await codec.decode(list((await _payloads(request)).payloads)))
    except (ValueError, KeyError, InvalidTag) as exc:  # InvalidTag: forged or damaged under our key id
        raise ApiError(422, "payloads", "a payload could not be decrypted with the configured keys") from exc
