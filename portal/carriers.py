"""Bars on carriers (依法限制申请) that the permitting authority puts.

POST /api/v1/carriers/{credit_code}/bars    officer of the highway authority    a 信用承诺 found false

The body names the case whose commitment (信用承诺) stood in for the on-site check (勘验) and says
why it is false. The carrier is then barred from applying until `domain.oversize_case.
false_commitment_bar_until` (行政许可法 Art. 79; a named setting); its next application is not accepted
(第62号令第十一条(三)). Putting the same bar again answers the first one (200, `created: false`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, StringConstraints

from domain.calendar import local_date
from domain.oversize_case import Department, false_commitment_bar_until
from portal import gateway
from portal.auth import Principal, Role
from portal.cases import ERRORS, State
from portal.errors import ApiError, forbidden
from portal.security import require
from store.carrier_bars import bar_carrier

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/api/v1/carriers", tags=["carriers"])

CreditCode = Annotated[str, Path(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$", description="统一社会信用代码")]


class FalseCommitment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class CarrierBar(BaseModel):
    credit_code: str
    case_id: str
    barred_until: date
    created: bool


@router.post("/{credit_code}/bars", response_model=CarrierBar, responses=ERRORS)
async def bar(
    credit_code: CreditCode,
    body: FalseCommitment,
    state: State,
    caller: Annotated[Principal, Depends(require(Role.OFFICER))],
) -> CarrierBar:
    """A credit commitment found false: bar the carrier whose commitment replaced a case's 勘验."""
    if caller.department != Department.HIGHWAY:
        raise forbidden("authorization", "only the highway authority, which granted on the commitment, bars")
    status = await gateway.case_status(state.temporal(), body.case_id)
    if status.commitment_carrier != credit_code:
        raise ApiError(409, "case_id", "no credit commitment of this carrier stood in for this case's 勘验")
    today = local_date(datetime.now(UTC))
    deps = state.store()
    async with deps.sessions.begin() as session:
        until, created = await bar_carrier(
            session,
            credit_code=credit_code,
            case_id=body.case_id,
            until=false_commitment_bar_until(today),
            reason=body.reason,
            officer=caller.name,
            at=datetime.now(UTC),
        )
    log.info(
        "carrier barred",
        case_id=body.case_id,
        step="false_commitment",
        barred_until=str(until),
        created=created,
    )
    return CarrierBar(credit_code=credit_code, case_id=body.case_id, barred_until=until, created=created)
