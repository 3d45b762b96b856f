"""The working-day calendar (工作日) that every statutory deadline is counted in.

《行政许可法》Art. 82 counts deadlines in working days, excluding statutory holidays. Which days those
are is announced every year by a State Council notice (国务院办公厅关于某年部分节假日安排的通知), which
also moves some weekend days into working days (调休上班日). The notices are data (`YearNotice`), so a
new year is added without a code change. A date in a year with no notice raises `MissingCalendarYear`,
unless the calendar was given a way to count that year provisionally (`provisional=`): the statutory
holidays of 《全国年节及纪念日放假办法》 with its 补假 rule and no guessed 调休 (`domain.notices`). Every
date counted through such a year is provisional (`provisional_years`) and is recounted once the
year's notice arrives.

Counting follows 《民法典》: the start day is not counted (Art. 201) and a period whose last day is not
a working day ends on the next working day (Art. 203).

Pure: no I/O, no clock, no randomness — imported inside Temporal workflow sandboxes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal

# A fixed offset rather than zoneinfo: China has had no daylight saving time since 1991, and a fixed
# offset needs no tzdata inside the workflow sandbox.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

_ONE_DAY = timedelta(days=1)
_SATURDAY, _SUNDAY = 5, 6


def local_date(dt: datetime) -> date:
    """The calendar date in Shanghai of an aware datetime; deadlines are counted in local dates."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt.isoformat()}: a deadline needs an aware datetime")
    return dt.astimezone(SHANGHAI).date()


def end_of_day(d: date) -> datetime:
    """The last instant of a day in Shanghai: a deadline "on" a day runs until its end."""
    return datetime.combine(d, time.max, tzinfo=SHANGHAI)


def _is_weekend(d: date) -> bool:
    return d.weekday() in (_SATURDAY, _SUNDAY)


@dataclass(frozen=True)
class YearNotice:
    """One year's holidays and make-up working days (调休上班日), as the State Council announced them.

    A notice covers the dates of its calendar year. `holidays` lists every day off of each holiday,
    weekend days inside a holiday included. Should a notice reach into the previous December (the
    2019 notice did, for 2018-12-29..31), those dates go into the earlier year's `YearNotice`, whose
    `source` then names both notices.
    """

    year: int
    source: str
    holidays: frozenset[date]
    make_up_workdays: frozenset[date]
    # True for a year counted on the statutory holidays alone, before its notice is published.
    provisional: bool = False

    def __post_init__(self) -> None:
        if not self.source.strip():
            raise ValueError("source: name the State Council notice (document number and title)")
        for field, days in (("holidays", self.holidays), ("make_up_workdays", self.make_up_workdays)):
            for d in sorted(days):
                # A datetime is a date too, but it would never equal the plain dates we look up.
                if isinstance(d, datetime) or not isinstance(d, date):
                    raise ValueError(f"{field}: {d!r} is not a date")
                if d.year != self.year:
                    raise ValueError(f"{field}: {d.isoformat()} is not in {self.year}")
        both = self.holidays & self.make_up_workdays
        if both:
            listed = ", ".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"make_up_workdays: {listed} also listed as holidays")
        weekdays = [d for d in self.make_up_workdays if not _is_weekend(d)]
        if weekdays:
            listed = ", ".join(d.isoformat() for d in sorted(weekdays))
            raise ValueError(f"make_up_workdays: {listed} not a Saturday or Sunday (already a working day)")


class MissingCalendarYear(ValueError):
    """A date falls in a year for which the calendar has no State Council notice."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"no State Council holiday notice for {year} in the calendar data; "
            "add the year's notice (`onething calendar add NOTICE.json`) before counting working days in it"
        )


YearStatus = Literal["official", "provisional", "missing"]


class WorkingCalendar:
    """Working days (工作日) over the years whose notices it holds, and deadlines counted in them.

    Every method refuses a date in a year it holds no notice for — the start date included, even
    where the start is not counted, because a deadline anchored in an unknown year is a caller error.
    With `provisional`, a year without a notice is counted on the `YearNotice` that function gives
    (or refused, if it raises `MissingCalendarYear`); `provisional_years` tells which years a count
    went through that way.
    """

    def __init__(
        self,
        notices: Iterable[YearNotice],
        *,
        provisional: Callable[[int], YearNotice] | None = None,
    ) -> None:
        by_year: dict[int, YearNotice] = {}
        for notice in notices:
            if notice.year in by_year:
                raise ValueError(f"year: {notice.year} has two notices in the calendar data")
            by_year[notice.year] = notice
        self._by_year = dict(sorted(by_year.items()))
        self._provisional = provisional
        self._provisional_by_year: dict[int, YearNotice] = {}

    def replaced(self, notices: Iterable[YearNotice]) -> WorkingCalendar:
        """This calendar with `notices` added, each replacing the one of its year (a newer source)."""
        by_year = dict(self._by_year)
        by_year.update({n.year: n for n in notices})
        return WorkingCalendar(by_year.values(), provisional=self._provisional)

    def with_provisional(self, provisional: Callable[[int], YearNotice] | None) -> WorkingCalendar:
        """The same notices; a year without one counted by `provisional` (None: refused)."""
        return WorkingCalendar(self._by_year.values(), provisional=provisional)

    def year_status(self, year: int) -> YearStatus:
        """`official` with a notice, `provisional` when it can be counted without one, else `missing`."""
        if year in self._by_year:
            return "official"
        try:
            self._provisional_notice(year)
        except MissingCalendarYear:
            return "missing"
        return "provisional"

    def notice_for(self, year: int) -> YearNotice:
        """The notice a date in `year` is counted on: the year's own, or the provisional one."""
        return self._notice(date(year, 1, 1))

    def provisional_years(self, a: date, b: date) -> tuple[int, ...]:
        """The years from `a` to `b` (either order) that a count between them takes provisionally."""
        first, last = sorted((a.year, b.year))
        return tuple(y for y in range(first, last + 1) if self.notice_for(y).provisional)

    def _provisional_notice(self, year: int) -> YearNotice:
        if self._provisional is None:
            raise MissingCalendarYear(year)
        notice = self._provisional_by_year.get(year)
        if notice is None:
            notice = self._provisional(year)
            if notice.year != year or not notice.provisional:
                raise ValueError(f"year: the provisional calendar gave {notice.year} for {year}")
            self._provisional_by_year[year] = notice
        return notice

    @property
    def years(self) -> tuple[int, ...]:
        """The years this calendar can count in, ascending."""
        return tuple(self._by_year)

    @property
    def notices(self) -> tuple[YearNotice, ...]:
        """The notices this calendar was built from (never the provisional ones), by year."""
        return tuple(self._by_year.values())

    def _notice(self, d: date) -> YearNotice:
        notice = self._by_year.get(d.year)
        if notice is not None:
            return notice
        return self._provisional_notice(d.year)

    def _require_year_of(self, start: date) -> None:
        """Refuse a start date in an unknown year, even where the start day itself is not counted."""
        self._notice(start)

    def is_working_day(self, d: date) -> bool:
        """Monday to Friday unless a holiday; Saturday or Sunday only as a make-up working day."""
        notice = self._notice(d)
        if _is_weekend(d):
            return d in notice.make_up_workdays
        return d not in notice.holidays

    def next_working_day_on_or_after(self, d: date) -> date:
        """`d` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start`; `start` itself is not counted (《民法典》Art. 201).

        The result is always a working day for n > 0, so Art. 203's roll-over never applies.
        n == 0 returns `start`.
        """
        if n < 0:
            raise ValueError(f"working days: must be 0 or more, got {n}")
        self._require_year_of(start)
        d = start
        while n > 0:
            d += _ONE_DAY
            if self.is_working_day(d):
                n -= 1
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """How many working days d satisfy a < d <= b: the working days elapsed since `a` by `b`.

        The inverse of `add_working_days`: `working_days_between(s, add_working_days(s, n)) == n`.
        0 when b == a; a ValueError when b < a, since a negative elapsed count hides a swapped pair.
        """
        if b < a:
            raise ValueError(f"working days between: end {b.isoformat()} is before start {a.isoformat()}")
        self._require_year_of(a)
        count = 0
        d = a
        while d < b:
            d += _ONE_DAY
            if self.is_working_day(d):
                count += 1
        return count

    def add_days_rolling(self, start: date, n: int) -> date:
        """`start` plus n calendar days, moved to the next working day if it is not one.

        For periods stated in plain days, such as the 5 days of 《行政许可法》Art. 32: the start day is
        not counted (Art. 201) and a last day off rolls over to the next working day (Art. 203).
        """
        if n < 0:
            raise ValueError(f"days: must be 0 or more, got {n}")
        self._require_year_of(start)
        return self.next_working_day_on_or_after(start + timedelta(days=n))


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # [0-9]: \d would admit full-width digits
_NOTICE_FIELDS = ("year", "source", "holidays", "make_up_workdays")


def _parse_dates(data: Mapping[str, object], field: str) -> frozenset[date]:
    raw = data[field]
    if not isinstance(raw, list):
        raise ValueError(f"{field}: expected a list of dates (YYYY-MM-DD), got {type(raw).__name__}")
    days: set[date] = set()
    for i, item in enumerate(raw):
        if not isinstance(item, str) or not _ISO_DATE.fullmatch(item):
            raise ValueError(f"{field}[{i}]: expected a date as YYYY-MM-DD, got {item!r}")
        try:
            d = date.fromisoformat(item)
        except ValueError:
            raise ValueError(f"{field}[{i}]: {item!r} is not a calendar date") from None
        if d in days:
            # Harmless to the calendar, but in a hand-typed notice a repeat usually hides a typo.
            raise ValueError(f"{field}[{i}]: {item} is listed twice")
        days.add(d)
    return frozenset(days)


def notice_from_dict(data: Mapping[str, object]) -> YearNotice:
    """A `YearNotice` from its JSON shape, so a new year's notice is a data file, not a code change.

    `{"year": 2027, "source": "国办发明电〔2026〕N号 …", "holidays": ["2027-01-01", …],
    "make_up_workdays": ["2027-…", …]}` — all four fields required; errors name the field. What
    `onething calendar add` reads (README "Holiday notices").
    """
    unknown = sorted(set(data) - set(_NOTICE_FIELDS))
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown field (expected {', '.join(_NOTICE_FIELDS)})")
    missing = [field for field in _NOTICE_FIELDS if field not in data]
    if missing:
        raise ValueError(f"{missing[0]}: field required")
    year = data["year"]
    # bool is an int in Python; `"year": true` is a mistake, not the year 1.
    if isinstance(year, bool) or not isinstance(year, int):
        raise ValueError(f"year: expected an integer year, got {year!r}")
    source = data["source"]
    if not isinstance(source, str):
        raise ValueError(f"source: expected text naming the notice, got {type(source).__name__}")
    return YearNotice(
        year=year,
        source=source,
        holidays=_parse_dates(data, "holidays"),
        make_up_workdays=_parse_dates(data, "make_up_workdays"),
    )


# From this month on, next year's notice is due (it usually appears in November: the 2026 one on
# 2025-11-04, DOMAIN.md §4), so a next year still without one is said at start-up and in the audit.
WARN_FROM_MONTH = 11


@dataclass(frozen=True)
class YearOutlook:
    """A year that matters now and is not counted on an official notice."""

    year: int
    status: YearStatus  # "provisional" or "missing"

    def message(self, open_cases: int | None = None) -> str:
        counted = "counted provisionally (statutory holidays only, no 调休)"
        how = counted if self.status == "provisional" else "not counted at all: dues into it wait"
        text = (
            f"calendar: no State Council holiday notice for {self.year} yet; {self.year} is {how}; "
            "add it with `onething calendar add NOTICE.json` once published"
        )
        if open_cases is not None:
            text += f"; {open_cases} open case(s) already count through it"
        return text


def calendar_outlook(calendar: WorkingCalendar, today: date) -> list[YearOutlook]:
    """This year, and from 1 November next year, where either has no official notice."""
    years = [today.year] + ([today.year + 1] if today.month >= WARN_FROM_MONTH else [])
    statuses = [(year, calendar.year_status(year)) for year in years]
    return [YearOutlook(year, status) for year, status in statuses if status != "official"]
