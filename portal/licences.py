"""Public e-licence endpoints (电子证照): fetch (the holder's fetch activates it), verify, the seal's key.

    GET /api/v1/licences/{licence_id}               catalogue fields + signed bytes, signature, key
    GET /api/v1/licences/{licence_id}/verification  {"valid", "reasons"} as of today in Shanghai
    GET /api/v1/seal/public-key                     the seal's SM2 public key

Anyone holding a licence may check it, so none of these needs a token. Activation (激活, what the
activation rate 激活率 counts) is the holder taking their licence: the first fetch that carries the
applicant token of the licence's own case (`onething licence ID --token …`, or the applicant's
workbench page) records `activated_at`. Every other fetch — anonymous, a checkpoint's, an officer's,
another case's applicant — is counted (`fetch_count`) and activates nothing; a verification is not
even a fetch. An identifier is no secret (it is printed on the licence and pushed to checkpoints),
so knowing one must not make a licence "activated".
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from domain.calendar import SHANGHAI
from domain.licence import LicenceCatalogue, LicenceStatus
from portal.auth import Role
from portal.errors import ApiError
from portal.security import bearer
from portal.state import PortalState, portal_state
from seal.sm2 import DEFAULT_USER_ID, SM2_WITH_SM3_OID, verify_licence
from store.licences import IssuedLicence, get_licence, licence_case, record_fetch

router = APIRouter(prefix="/api/v1", tags=["licences"])

LicenceId = Annotated[str, Path(min_length=1, max_length=200, description="GB/T 36904 identifier")]
State = Annotated[PortalState, Depends(portal_state)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such licence"}}


class LicenceView(LicenceCatalogue):
    """The catalogue record plus what a verifier needs to check the seal offline."""

    signed_data: str = Field(description="base64 of the exact bytes the seal signed (canonical JSON)")
    signature: str = Field(description="base64 of the DER SEQUENCE { INTEGER r, INTEGER s }")
    public_key: str = Field(description="hex, uncompressed 04 ‖ x ‖ y (sm2p256v1)")


class Verification(BaseModel):
    valid: bool
    reasons: list[str]


class PublicKey(BaseModel):
    public_key: str
    algorithm: str
    oid: str
    user_id: str


@router.get("/licences/{licence_id}", responses={**NOT_FOUND, 200: {"model": LicenceView}})
async def fetch_licence(
    licence_id: LicenceId,
    request: Request,
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> JSONResponse:
    """The e-licence; every fetch is counted, the holder's first one (their case's applicant token)
    activates it (激活). No token is needed, and a token that is not the holder's is no error."""

    def holder(case_id: str) -> bool:
        return credentials is not None and state.applicants.is_for(credentials.credentials, case_id)

    document, by_holder = await fetched_document(state, licence_id, holder)
    if by_holder:
        request.state.role = Role.APPLICANT.value
    return JSONResponse(document)


async def fetched_document(
    state: PortalState, licence_id: str, holder: Callable[[str], bool]
) -> tuple[dict[str, Any], bool]:
    """Count one fetch and give the licence as fetched, and whether it was the holder's: `holder`
    says so of the licence's case, and its fetch activates the licence. One transaction: an error
    `holder` raises counts nothing.

    The workbench's case page fetches through it too, the applicant's session as the holder."""
    async with state.store().sessions.begin() as session:
        case_id = await licence_case(session, licence_id)
        if case_id is None:
            raise _unknown(licence_id)
        by_holder = holder(case_id)
        licence = await record_fetch(session, licence_id, datetime.now(UTC), by_holder=by_holder)
    assert licence is not None  # found above, in the same transaction
    # The stored payload as is (not re-validated): what was sealed is what the holder gets.
    document = {
        **licence.payload,
        "signed_data": base64.b64encode(licence.signed_data).decode("ascii"),
        "signature": base64.b64encode(licence.signature).decode("ascii"),
        "public_key": licence.public_key,
    }
    return document, by_holder


@router.get("/licences/{licence_id}/verification", response_model=Verification, responses=NOT_FOUND)
async def verify(licence_id: LicenceId, state: State) -> Verification:
    """Seal signature, record format, validity window and status, as of today in Asia/Shanghai."""
    licence = await _load(state, licence_id)
    today = datetime.now(SHANGHAI).date()
    reasons = verify_licence(licence.signed_data, licence.signature, licence.public_key, today)
    if licence.status != LicenceStatus.VALID.value:
        # Revoked or cancelled after sealing: the signed record still says "valid", the register does not.
        reasons.append(f"the licence register says {licence.status}")
    return Verification(valid=not reasons, reasons=reasons)


@router.get("/seal/public-key", response_model=PublicKey)
async def public_key(state: State) -> PublicKey:
    """The key that verifies every seal this portal's licences carry (SM2 with SM3, GB/T 38540)."""
    return PublicKey(
        public_key=state.store().public_key_hex,
        algorithm="SM2-with-SM3",
        oid=SM2_WITH_SM3_OID,
        user_id=DEFAULT_USER_ID.decode("ascii"),
    )


async def _load(state: PortalState, licence_id: str) -> IssuedLicence:
    async with state.store().sessions() as session:
        licence = await get_licence(session, licence_id)
    if licence is None:
        raise _unknown(licence_id)
    return licence


def _unknown(licence_id: str) -> ApiError:
    return ApiError(404, "licence_id", f"no licence {licence_id!r}")
