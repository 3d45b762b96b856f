"""Due dates through the official calendar, the store's notices and provisional years; a year that
cannot be counted at all is retried, never failed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.deadlines import DueDates, DueDatesInput, MoveDueDatesInput, compute_due_dates, move_due_dates
from bootstrap.deps import Deps
from domain.calendar import SHANGHAI, YearNotice
from store.holiday_notices import add_notice

# The activity reads the calendar from the configured dependencies.
pytestmark = pytest.mark.usefixtures("deps")

CST = timezone(timedelta(hours=8))


async def due(start: datetime, **working_days: int) -> dict[str, datetime]:
    result: DueDates = await ActivityEnvironment().run(
        compute_due_dates, DueDatesInput(start=start, working_days=working_days)
    )
    return result.due


def end_of(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=SHANGHAI)


async def test_national_day_2026_is_skipped():
    # 2026-09-30 is not counted; 10-01..10-07 are the holiday; 10-08 and 10-09 are the two working days.
    result = await due(datetime(2026, 9, 30, 10, 0, tzinfo=CST), accept=2)
    assert result == {"accept": end_of(2026, 10, 9)}
    assert result["accept"].utcoffset() == timedelta(hours=8)
    assert result["accept"].isoformat().startswith("2026-10-09T23:59:59")


async def test_every_named_limit_gets_its_own_due_date():
    result = await due(datetime(2026, 3, 2, 9, 0, tzinfo=CST), accept=5, decide=20, none=0)
    assert result == {
        "accept": end_of(2026, 3, 9),
        "decide": end_of(2026, 3, 30),
        "none": end_of(2026, 3, 2),
    }


async def test_the_start_day_is_the_shanghai_date():
    # 2026-09-30 17:00 UTC is already 2026-10-01 01:00 in Shanghai: the holiday is the start day.
    result = await due(datetime(2026, 9, 30, 17, 0, tzinfo=UTC), accept=1)
    assert result == {"accept": end_of(2026, 10, 8)}


async def counted(start: datetime, **working_days: int) -> DueDates:
    return await ActivityEnvironment().run(
        compute_due_dates, DueDatesInput(start=start, working_days=working_days)
    )


async def test_a_year_without_a_notice_is_counted_provisionally_and_says_so():
    # Sun 2026-12-20 + 15: Dec 21–25, 28–31 (9), Jan 1 元旦 off, Jan 4–8 (14), Mon Jan 11 (15).
    result = await counted(datetime(2026, 12, 20, 9, 0, tzinfo=CST), decide=15, accept=3)
    assert result.due == {"decide": end_of(2027, 1, 11), "accept": end_of(2026, 12, 23)}
    assert result.provisional_years == {"decide": [2027]}
    assert result.provisional


@pytest.mark.parametrize(
    ("start", "missing"),
    [
        (datetime(2100, 1, 4, 9, 0, tzinfo=CST), 2100),  # beyond the years the rules are computed for
        (datetime(2023, 12, 28, 9, 0, tzinfo=CST), 2023),  # before the 2024 rules, and no notice
    ],
)
async def test_a_year_that_cannot_be_counted_is_retried_not_failed(start: datetime, missing: int):
    with pytest.raises(ApplicationError) as caught:
        await due(start, decide=20)
    assert caught.value.type == "MissingCalendarYear"
    assert not caught.value.non_retryable
    assert str(missing) in str(caught.value)
    assert caught.value.details == (missing,)


async def test_a_stored_notice_counts_at_the_next_computation_without_a_restart(deps: Deps):
    start = datetime(2026, 12, 20, 9, 0, tzinfo=CST)
    before = await counted(start, decide=15)
    notice = YearNotice(
        year=2027,
        source="TEST DATA — not the real 2027 notice",
        holidays=frozenset({date(2027, 1, 1), date(2027, 1, 4), date(2027, 1, 5)}),
        make_up_workdays=frozenset({date(2027, 1, 9)}),
    )
    assert await add_notice(deps.sessions, notice, datetime.now(UTC)) == "added"
    after = await counted(start, decide=15)
    # Jan 6–8 (12), Sat Jan 9 调休 (13), Jan 11, 12 (15).
    assert (before.due["decide"], after.due["decide"]) == (end_of(2027, 1, 11), end_of(2027, 1, 12))
    assert after.provisional_years == {}
    assert await add_notice(deps.sessions, notice, datetime.now(UTC)) == "unchanged"


async def test_moving_dues_into_a_provisional_year_says_so():
    moved = await ActivityEnvironment().run(
        move_due_dates,
        MoveDueDatesInput(
            due={"decide": end_of(2026, 12, 30)},
            stopped_at=datetime(2026, 12, 21, 9, 0, tzinfo=CST),
            resumed_at=datetime(2026, 12, 23, 9, 0, tzinfo=CST),
        ),
    )
    assert moved.stopped_working_days == 2
    # Dec 31 (1), Jan 1 off, Mon Jan 4 (2).
    assert moved.due == {"decide": end_of(2027, 1, 4)}
    assert moved.provisional_years == {"decide": [2027]}


async def test_naive_start_is_rejected_for_good():
    with pytest.raises(ApplicationError) as caught:
        await due(datetime(2026, 3, 2, 9, 0), accept=1)
    assert caught.value.type == "InvalidDeadline"
    assert caught.value.non_retryable


def test_a_new_years_notice_is_added_as_data(tmp_path):
    from store.calendar_sources import calendar_from_env

    notice = {
        "year": 2027,
        "source": "TEST DATA — not the real 2027 notice",
        "holidays": ["2027-01-01"],
        "make_up_workdays": [],
    }
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(notice))
    calendar = calendar_from_env({"ONETHING_CALENDAR_FILES": str(path)})
    assert 2027 in calendar.years and 2026 in calendar.years
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert calendar.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)


async def test_start_up_says_next_year_has_no_notice_until_one_is_stored(deps: Deps):
    from store.holiday_notices import load_calendar
    from workflows.client import calendar_warnings

    december = date(2026, 12, 1)
    (warning,) = await calendar_warnings(None, await load_calendar(deps.sessions, deps.calendar), december)
    assert "no State Council holiday notice for 2027" in warning and "provisional" in warning
    notice = YearNotice(
        year=2027,
        source="TEST DATA — not the real 2027 notice",
        holidays=frozenset({date(2027, 1, 1)}),
        make_up_workdays=frozenset(),
    )
    await add_notice(deps.sessions, notice, datetime.now(UTC))
    assert await calendar_warnings(None, await load_calendar(deps.sessions, deps.calendar), december) == []
