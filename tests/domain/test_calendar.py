"""The working-day calendar against the State Council notices for 2025 and 2026 (and 2024's data)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.calendar import (
    SHANGHAI,
    MissingCalendarYear,
    WorkingCalendar,
    YearNotice,
    end_of_day,
    local_date,
    notice_from_dict,
)
from domain.notices import NOTICE_2025, NOTICE_2026, official_calendar

CAL = official_calendar()
D = date.fromisoformat

# 调休上班日 as the notices list them: weekend days that are working days.
MAKE_UP_WORKDAYS = [
    # 2025 (国办发明电〔2024〕12号)
    "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
    # 2026 (国办发明电〔2025〕7号)
    "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
]  # fmt: skip

# Every day off, as (first, last) of each holiday in the notices.
HOLIDAY_SPANS = [
    ("2025-01-01", "2025-01-01"), ("2025-01-28", "2025-02-04"), ("2025-04-04", "2025-04-06"),
    ("2025-05-01", "2025-05-05"), ("2025-05-31", "2025-06-02"), ("2025-10-01", "2025-10-08"),
    ("2026-01-01", "2026-01-03"), ("2026-02-15", "2026-02-23"), ("2026-04-04", "2026-04-06"),
    ("2026-05-01", "2026-05-05"), ("2026-06-19", "2026-06-21"), ("2026-09-25", "2026-09-27"),
    ("2026-10-01", "2026-10-07"),
]  # fmt: skip


def _days(first: str, last: str) -> list[date]:
    start, end = D(first), D(last)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


HOLIDAYS = [d for first, last in HOLIDAY_SPANS for d in _days(first, last)]


@pytest.mark.parametrize("day", MAKE_UP_WORKDAYS)
def test_every_make_up_weekend_day_is_a_working_day(day: str) -> None:
    assert D(day).weekday() >= 5
    assert CAL.is_working_day(D(day))


@pytest.mark.parametrize("day", HOLIDAYS, ids=str)
def test_every_holiday_is_not_a_working_day(day: date) -> None:
    assert not CAL.is_working_day(day)


def test_notices_hold_exactly_the_tabled_days() -> None:
    tabled = set(HOLIDAYS)
    assert NOTICE_2025.holidays | NOTICE_2026.holidays == tabled
    assert NOTICE_2025.make_up_workdays | NOTICE_2026.make_up_workdays == {D(d) for d in MAKE_UP_WORKDAYS}


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-03-02", True),  # an ordinary Monday
        ("2026-03-07", False),  # an ordinary Saturday
        ("2026-03-08", False),  # an ordinary Sunday
        ("2024-02-04", True),  # 2024 data: 春节 make-up Sunday
        ("2024-02-12", False),  # 2024 data: 春节
    ],
)
def test_ordinary_weeks(day: str, working: bool) -> None:
    assert CAL.is_working_day(D(day)) is working


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # 国庆 2026: Oct 1–7 off, Oct 10 (Sat) worked.
        ("2026-09-30", 2, "2026-10-09"),
        ("2026-09-28", 5, "2026-10-10"),  # Sep 29, 30, Oct 8, 9, 10 (make-up Saturday)
        ("2026-09-30", 1, "2026-10-08"),
        # 国庆/中秋 2025: Oct 1–8 off, Sep 28 (Sun) and Oct 11 (Sat) worked.
        ("2025-09-26", 1, "2025-09-28"),  # the make-up Sunday counts
        ("2025-09-28", 3, "2025-10-09"),  # Sep 29, 30, Oct 9
        ("2025-09-30", 3, "2025-10-11"),  # Oct 9, 10, 11 (make-up Saturday)
        # 春节 2025: Jan 28–Feb 4 off, Jan 26 (Sun) and Feb 8 (Sat) worked.
        ("2025-01-24", 1, "2025-01-26"),
        ("2025-01-24", 2, "2025-01-27"),
        ("2025-01-24", 3, "2025-02-05"),
        ("2025-01-27", 4, "2025-02-08"),  # Feb 5, 6, 7, 8 (make-up Saturday)
        # 春节 2026: Feb 14 (Sat) worked, Feb 15–23 off, Feb 28 (Sat) worked.
        ("2026-02-13", 1, "2026-02-14"),
        ("2026-02-13", 2, "2026-02-24"),
        ("2026-02-24", 4, "2026-02-28"),  # Feb 25, 26, 27, 28 (make-up Saturday)
        ("2026-02-12", 20, "2026-03-18"),  # 13, 14, 24–28, then 13 more weekdays of March
        # Year boundary 2025 → 2026: 元旦 Jan 1–3 off, Jan 4 (Sun) worked.
        ("2025-12-31", 1, "2026-01-04"),
        ("2025-12-30", 2, "2026-01-04"),
        ("2025-12-31", 2, "2026-01-05"),
        # Start on a day off: counting starts the next working day, the start itself never counts.
        ("2026-10-03", 1, "2026-10-08"),
        ("2026-03-07", 1, "2026-03-09"),
    ],
)
def test_add_working_days(start: str, n: int, due: str) -> None:
    assert CAL.add_working_days(D(start), n) == D(due)
    assert CAL.working_days_between(D(start), D(due)) == n


def test_2025_spring_festival_table_row_worked_by_hand() -> None:
    # Jan 27 (Mon) start, not counted; Jan 28–Feb 4 off; Feb 5, 6, 7 (Wed–Fri), Feb 8 (Sat make-up) → 4.
    assert CAL.add_working_days(D("2025-01-27"), 4) == D("2025-02-08")
    assert CAL.add_working_days(D("2025-01-27"), 5) == D("2025-02-10")


def test_start_day_is_not_counted() -> None:
    monday = D("2026-03-02")
    assert CAL.add_working_days(monday, 1) == D("2026-03-03")
    assert CAL.working_days_between(monday, monday + timedelta(days=1)) == 1


def test_zero_working_days_is_the_start_even_on_a_holiday() -> None:
    assert CAL.add_working_days(D("2026-03-02"), 0) == D("2026-03-02")
    assert CAL.add_working_days(D("2026-10-01"), 0) == D("2026-10-01")


def test_negative_working_days_is_refused() -> None:
    with pytest.raises(ValueError, match="-1"):
        CAL.add_working_days(D("2026-03-02"), -1)


def test_working_days_between_same_day_and_reversed() -> None:
    assert CAL.working_days_between(D("2026-03-02"), D("2026-03-02")) == 0
    with pytest.raises(ValueError, match="before"):
        CAL.working_days_between(D("2026-03-03"), D("2026-03-02"))


def test_working_days_between_over_a_holiday() -> None:
    assert CAL.working_days_between(D("2026-09-30"), D("2026-10-07")) == 0
    assert CAL.working_days_between(D("2026-09-25"), D("2026-10-10")) == 6  # Sep 28, 29, 30; Oct 8, 9, 10


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-03-02", "2026-03-02"),
        ("2026-03-07", "2026-03-09"),
        ("2026-10-01", "2026-10-08"),
        ("2026-02-14", "2026-02-14"),  # make-up Saturday
        ("2025-01-28", "2025-02-05"),
    ],
)
def test_next_working_day_on_or_after(day: str, expected: str) -> None:
    assert CAL.next_working_day_on_or_after(D(day)) == D(expected)


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        ("2026-03-02", 5, "2026-03-09"),  # Mar 7 is a Saturday → Monday (《民法典》Art. 203)
        ("2026-03-03", 5, "2026-03-09"),  # Mar 8, a Sunday
        ("2026-03-04", 5, "2026-03-09"),  # lands on a working day
        ("2026-09-28", 5, "2026-10-08"),  # Oct 3 in 国庆 → first day after
        ("2026-10-05", 5, "2026-10-10"),  # lands on the make-up Saturday: a working day
        ("2025-12-29", 5, "2026-01-04"),  # across the year: Jan 3 off, Jan 4 (Sun) worked
        ("2026-03-07", 0, "2026-03-09"),
    ],
)
def test_add_days_rolling(start: str, n: int, due: str) -> None:
    assert CAL.add_days_rolling(D(start), n) == D(due)


def test_add_days_rolling_refuses_negative() -> None:
    with pytest.raises(ValueError):
        CAL.add_days_rolling(D("2026-03-02"), -5)


@pytest.mark.parametrize(
    ("call", "year"),
    [
        (lambda: CAL.is_working_day(D("2027-03-01")), 2027),
        (lambda: CAL.is_working_day(D("2023-12-29")), 2023),
        (lambda: CAL.add_working_days(D("2026-12-30"), 5), 2027),  # runs off the end of the data
        (lambda: CAL.add_working_days(D("2023-12-29"), 1), 2023),  # start in an unknown year
        (lambda: CAL.add_working_days(D("2027-01-04"), 0), 2027),
        (lambda: CAL.working_days_between(D("2026-12-01"), D("2027-01-10")), 2027),
        (lambda: CAL.working_days_between(D("2023-12-31"), D("2024-01-10")), 2023),
        (lambda: CAL.next_working_day_on_or_after(D("2026-12-31") + timedelta(days=2)), 2027),
        (lambda: CAL.add_days_rolling(D("2026-12-28"), 5), 2027),
    ],
)
def test_a_year_without_notice_is_never_guessed(call: Callable[[], object], year: int) -> None:
    with pytest.raises(MissingCalendarYear) as info:
        call()
    assert info.value.year == year
    assert f"no State Council holiday notice for {year}" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_the_last_days_with_data_still_count() -> None:
    assert CAL.add_working_days(D("2026-12-28"), 3) == D("2026-12-31")
    assert CAL.years == (2024, 2025, 2026)


@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)),
    n=st.integers(min_value=0, max_value=120),
)
def test_working_days_between_inverts_add_working_days(start: date, n: int) -> None:
    try:
        due = CAL.add_working_days(start, n)
    except MissingCalendarYear:
        assume(False)
        raise
    assert CAL.working_days_between(start, due) == n
    if n > 0:
        assert CAL.is_working_day(due)
        # Every day strictly between the n-th and the (n-1)-th working day is a day off.
        previous = CAL.add_working_days(start, n - 1)
        assert all(
            not CAL.is_working_day(previous + timedelta(days=i)) for i in range(1, (due - previous).days)
        )


@given(
    a=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)),
    b=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)),
    c=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)),
)
def test_working_days_between_adds_up(a: date, b: date, c: date) -> None:
    a, b, c = sorted((a, b, c))
    assert CAL.working_days_between(a, c) == CAL.working_days_between(a, b) + CAL.working_days_between(b, c)


# --- YearNotice validation -------------------------------------------------------------------------


def _notice(**changes: object) -> YearNotice:
    fields: dict[str, object] = {
        "year": 2027,
        "source": "test notice",
        "holidays": frozenset({D("2027-01-01")}),
        "make_up_workdays": frozenset({D("2027-01-02")}),  # a Saturday
    }
    fields.update(changes)
    return YearNotice(**fields)  # type: ignore[arg-type]


def test_a_valid_notice_extends_the_calendar() -> None:
    cal = WorkingCalendar([*CAL.notices, _notice()])
    assert cal.years == (2024, 2025, 2026, 2027)
    assert not cal.is_working_day(D("2027-01-01"))
    assert cal.is_working_day(D("2027-01-02"))
    assert cal.add_working_days(D("2026-12-31"), 1) == D("2027-01-02")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"holidays": frozenset({D("2026-12-31")})}, "holidays: 2026-12-31 is not in 2027"),
        ({"make_up_workdays": frozenset({D("2028-01-01")})}, "make_up_workdays: 2028-01-01 is not in 2027"),
        ({"holidays": frozenset({D("2027-01-02")})}, "make_up_workdays: 2027-01-02 also listed as holidays"),
        ({"make_up_workdays": frozenset({D("2027-01-04")})}, "2027-01-04 not a Saturday or Sunday"),
        ({"source": "  "}, "source:"),
        ({"holidays": frozenset({datetime(2027, 1, 1, tzinfo=SHANGHAI)})}, "holidays: .* is not a date"),
    ],
)
def test_notice_validation(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _notice(**changes)


def test_two_notices_for_one_year_are_refused() -> None:
    with pytest.raises(ValueError, match="2025"):
        WorkingCalendar([NOTICE_2025, NOTICE_2025])


# --- notice_from_dict ------------------------------------------------------------------------------


def _notice_dict(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "year": 2027,
        "source": "国办发明电〔2026〕N号 (test)",
        "holidays": ["2027-01-01", "2027-02-06"],
        "make_up_workdays": ["2027-01-02"],
    }
    data.update(changes)
    return data


def test_notice_from_dict_reads_the_json_shape() -> None:
    notice = notice_from_dict(_notice_dict())
    assert notice == YearNotice(
        2027,
        "国办发明电〔2026〕N号 (test)",
        frozenset({D("2027-01-01"), D("2027-02-06")}),
        frozenset({D("2027-01-02")}),
    )


def test_notice_from_dict_accepts_no_make_up_days() -> None:
    assert notice_from_dict(_notice_dict(make_up_workdays=[])).make_up_workdays == frozenset()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_notice_dict(year="2027"), "^year: expected an integer"),
        (_notice_dict(year=True), "^year: expected an integer"),
        (_notice_dict(source=7), "^source: expected text"),
        (_notice_dict(source=""), "^source:"),
        (_notice_dict(holidays="2027-01-01"), "^holidays: expected a list"),
        (_notice_dict(holidays=["2027-1-1"]), r"^holidays\[0\]: expected a date as YYYY-MM-DD"),
        (_notice_dict(holidays=["2027-01-01", 20270102]), r"^holidays\[1\]: expected a date"),
        (_notice_dict(holidays=["2027-02-30"]), r"^holidays\[0\]: '2027-02-30' is not a calendar date"),
        (_notice_dict(holidays=["2027-01-01", "2027-01-01"]), r"^holidays\[1\]: 2027-01-01 is listed twice"),
        (_notice_dict(holidays=["２０２７-01-01"]), r"^holidays\[0\]"),
        (_notice_dict(make_up_workdays=None), "^make_up_workdays: expected a list"),
        (_notice_dict(make_up_workdays=["2027-01-04"]), "^make_up_workdays: 2027-01-04 not a Saturday"),
        (_notice_dict(holidays=["2026-12-31"]), "^holidays: 2026-12-31 is not in 2027"),
        (_notice_dict(makeup_workdays=[]), "^makeup_workdays: unknown field"),
        ({k: v for k, v in _notice_dict().items() if k != "holidays"}, "^holidays: field required"),
    ],
)
def test_notice_from_dict_errors_name_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        notice_from_dict(data)


# --- Shanghai dates --------------------------------------------------------------------------------


def test_local_date_is_the_shanghai_date() -> None:
    # 16:30 UTC is 00:30 the next day in Shanghai: a filing just after midnight belongs to that day.
    assert local_date(datetime(2026, 9, 30, 16, 30, tzinfo=UTC)) == D("2026-10-01")
    assert local_date(datetime(2026, 9, 30, 15, 59, tzinfo=UTC)) == D("2026-09-30")


def test_local_date_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2026, 9, 30, 12, 0))


def test_end_of_day_is_the_last_instant_in_shanghai() -> None:
    end = end_of_day(D("2026-10-10"))
    assert end.utcoffset() == timedelta(hours=8)
    assert local_date(end) == D("2026-10-10")
    assert local_date(end + timedelta(microseconds=1)) == D("2026-10-11")
