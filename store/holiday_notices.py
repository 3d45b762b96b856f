"""Holiday notices in the store: what `onething calendar add` writes and every computation reads.

The working calendar of the running system is the notices transcribed in `domain.notices` (plus any
ONETHING_CALENDAR_FILES, the older fallback), replaced year by year by the notices stored here, and a
year with neither counted provisionally (`domain.notices.provisional_notice`). `load_calendar` reads
the table at each call (a handful of rows), so a notice added by one process counts in every other
at its next computation, without a restart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.calendar import WorkingCalendar, YearNotice, notice_from_dict
from domain.notices import provisional_notice
from store.db import reading
from store.schema import HolidayNoticeRow

Stored = Literal["added", "replaced", "unchanged"]


def notice_to_dict(notice: YearNotice) -> dict[str, object]:
    """The JSON shape `domain.calendar.notice_from_dict` reads (dates sorted)."""
    return {
        "year": notice.year,
        "source": notice.source,
        "holidays": sorted(d.isoformat() for d in notice.holidays),
        "make_up_workdays": sorted(d.isoformat() for d in notice.make_up_workdays),
    }


def _from_row(row: HolidayNoticeRow) -> YearNotice:
    return notice_from_dict(
        {
            "year": row.year,
            "source": row.source,
            "holidays": list(row.holidays),
            "make_up_workdays": list(row.make_up_workdays),
        }
    )


_NOTICES_BY_YEAR = sa.select(HolidayNoticeRow).order_by(HolidayNoticeRow.year)


async def stored_notices(session: AsyncSession) -> list[YearNotice]:
    rows = (await session.scalars(_NOTICES_BY_YEAR)).all()
    return [_from_row(row) for row in rows]


async def add_notice(sessions: async_sessionmaker[AsyncSession], notice: YearNotice, now: datetime) -> Stored:
    """Store `notice` for its year: added, replacing an earlier one (a correction), or unchanged."""
    if notice.provisional:
        raise ValueError("source: a provisional year is computed, never stored")
    data = notice_to_dict(notice)
    holidays = sorted(d.isoformat() for d in notice.holidays)
    make_up = sorted(d.isoformat() for d in notice.make_up_workdays)
    async with sessions() as session, session.begin():
        row = await session.get(HolidayNoticeRow, notice.year, with_for_update=True)
        if row is None:
            session.add(
                HolidayNoticeRow(
                    year=notice.year,
                    source=notice.source,
                    holidays=holidays,
                    make_up_workdays=make_up,
                    revision=1,
                    added_at=now,
                )
            )
            return "added"
        if notice_to_dict(_from_row(row)) == data:
            return "unchanged"
        row.source = notice.source
        row.holidays = holidays
        row.make_up_workdays = make_up
        row.revision += 1
        row.added_at = now
        return "replaced"


async def load_calendar(
    sessions: async_sessionmaker[AsyncSession], base: WorkingCalendar, *, provisional: bool = True
) -> WorkingCalendar:
    """`base` with the stored notices over it; a year without either counted provisionally (or not)."""
    async with sessions() as session:
        await reading(session)  # a snapshot, without the write lock every due-date count took
        return await calendar_in(session, base, provisional=provisional)


async def calendar_in(
    session: AsyncSession, base: WorkingCalendar, *, provisional: bool = True
) -> WorkingCalendar:
    """`load_calendar` inside the caller's session (a pre-fill's, which counts the day's dues too)."""
    notices = await stored_notices(session)
    return base.replaced(notices).with_provisional(provisional_notice if provisional else None)
