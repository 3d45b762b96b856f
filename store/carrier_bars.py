"""Bars on carriers (依法限制申请) that the department itself puts, one per carrier and case.

A credit commitment (信用承诺) found false bars the carrier from applying again (domain.oversize_case.
false_commitment_bar_until); pre-fill reads the latest bar beside the registry's own `barred_until`.
Putting the same bar twice (the same carrier and case) changes nothing: the first stands.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from store.schema import CarrierBarRow


async def bar_carrier(
    session: AsyncSession,
    *,
    credit_code: str,
    case_id: str,
    until: date,
    reason: str,
    officer: str,
    at: datetime,
) -> tuple[date, bool]:
    """Put the bar unless this carrier already has one for this case; its end, and whether it is new."""
    existing = await session.get(CarrierBarRow, (credit_code, case_id))
    if existing is not None:
        return existing.barred_until, False
    session.add(
        CarrierBarRow(
            credit_code=credit_code,
            case_id=case_id,
            barred_until=until,
            reason=reason,
            officer=officer,
            barred_at=at,
        )
    )
    return until, True


async def barred_until(session: AsyncSession, credit_code: str) -> date | None:
    """The end of the carrier's latest bar of our own, if any (past bars included: the rule compares)."""
    return (await session.execute(_LATEST_BAR, {"credit_code": credit_code})).scalar_one_or_none()


_LATEST_BAR = sa.select(sa.func.max(CarrierBarRow.barred_until)).where(
    CarrierBarRow.credit_code == sa.bindparam("credit_code")
)
