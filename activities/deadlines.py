"""Deadline computation (时限计算): working days through the calendar data, as a local activity.

Calendar data can change (next year's notice), so it enters the workflow only through here and is
recorded in the history: replay never recomputes a due date with newer data.

The calendar is read at every computation (`working_calendar`): the notices in the store
(`onething calendar add`) over the transcribed ones, so a notice added while the workers run counts
at once. A year without a notice is counted provisionally (statutory holidays, no 调休): every due
counted through it is named in `provisional_years`, and the case recounts when the notice arrives.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from bootstrap.deps import current
from domain.calendar import MissingCalendarYear, WorkingCalendar, end_of_day, local_date
from store.holiday_notices import load_calendar


async def working_calendar() -> WorkingCalendar:
    """The calendar every worker counts on now: built-in + ONETHING_CALENDAR_FILES + the store's."""
    deps = current()
    return await load_calendar(deps.sessions, deps.calendar)


class DueDatesInput(BaseModel):
    start: datetime  # aware; the day it falls on (Asia/Shanghai) is not counted
    working_days: dict[str, int]  # name -> limit in working days


class DueDates(BaseModel):
    due: dict[str, datetime]  # name -> end of the due day, Asia/Shanghai
    # name -> the years its count went through without a State Council notice (only those names).
    provisional_years: dict[str, list[int]] = {}

    @property
    def provisional(self) -> bool:
        return bool(self.provisional_years)


def _provisional(cal: WorkingCalendar, start: datetime, due: dict[str, datetime]) -> dict[str, list[int]]:
    first = local_date(start)
    years = {name: list(cal.provisional_years(first, local_date(when))) for name, when in due.items()}
    return {name: ys for name, ys in years.items() if ys}


@contextlib.contextmanager
def calendar_errors() -> Iterator[None]:
    """A year the calendar cannot count retries (a notice may arrive); a bad deadline never does."""
    try:
        yield
    except MissingCalendarYear as exc:
        raise ApplicationError(
            f"no holiday notice for {exc.year} in the calendar data: {exc}",
            exc.year,
            type="MissingCalendarYear",
        ) from exc
    except ValueError as exc:
        raise ApplicationError(str(exc), type="InvalidDeadline", non_retryable=True) from exc


@activity.defn
async def compute_due_dates(inp: DueDatesInput) -> DueDates:
    """The end of the n-th working day after `start` for each named limit.

    A year without a State Council notice is counted provisionally and named in the result. A year
    that cannot be counted even so (before the 2024 rules, or beyond the lunar library's range:
    `MissingCalendarYear`) is retried, never failed; bad input is non-retryable.
    """
    return count_on(await working_calendar(), inp)


def count_on(cal: WorkingCalendar, inp: DueDatesInput) -> DueDates:
    """`compute_due_dates` on a calendar already loaded (also the 大件运输 pre-fill's: it counts the
    day's dues in its own session)."""
    with calendar_errors():
        start = local_date(inp.start)
        due = {name: end_of_day(cal.add_working_days(start, n)) for name, n in inp.working_days.items()}
        provisional = _provisional(cal, inp.start, due)
    return DueDates(due=due, provisional_years=provisional)


class MoveDueDatesInput(BaseModel):
    due: dict[str, datetime]  # the dues as they stood when the clock stopped
    stopped_at: datetime
    resumed_at: datetime


class MovedDueDates(BaseModel):
    stopped_working_days: int
    due: dict[str, datetime]
    # name -> years a moved due was counted through provisionally (the stop and the move).
    provisional_years: dict[str, list[int]] = {}


@activity.defn
async def move_due_dates(inp: MoveDueDatesInput) -> MovedDueDates:
    """复表: every due moves later by the working days the clock stood still (停表 is not counted).

    The stopped working days are those after the day the clock stopped, up to the day it resumed
    (the same counting as every other period: the start day is not counted).
    """
    cal = await working_calendar()
    with calendar_errors():
        stopped = cal.working_days_between(local_date(inp.stopped_at), local_date(inp.resumed_at))
        due = {
            name: end_of_day(cal.add_working_days(local_date(when), stopped)) if stopped else when
            for name, when in inp.due.items()
        }
        provisional = _provisional(cal, inp.stopped_at, due) if stopped else {}
    return MovedDueDates(stopped_working_days=stopped, due=due, provisional_years=provisional)


class StopPeriod(BaseModel):
    """One 停表 … 复表 that moved a due (the working days between, start day not counted)."""

    stopped_at: datetime
    resumed_at: datetime


class LimitBasis(BaseModel):
    """How a due was counted: from `start`, `working_days`, then moved by each stop in order."""

    start: datetime
    working_days: int
    stops: list[StopPeriod] = []


class RecountInput(BaseModel):
    limits: dict[str, LimitBasis]


@activity.defn
async def recount_due_dates(inp: RecountInput) -> DueDates:
    """时限重算: every due counted again from its basis on today's calendar (a notice that arrived).

    The same counting as `compute_due_dates` followed by `move_due_dates` for each stop, so a due
    whose years did not change comes out as it was.
    """
    cal = await working_calendar()
    due: dict[str, datetime] = {}
    provisional: dict[str, list[int]] = {}
    with calendar_errors():
        for name, basis in inp.limits.items():
            first = local_date(basis.start)
            day = cal.add_working_days(first, basis.working_days)
            for stop in basis.stops:
                stopped = cal.working_days_between(local_date(stop.stopped_at), local_date(stop.resumed_at))
                if stopped:
                    day = cal.add_working_days(day, stopped)
            due[name] = end_of_day(day)
            if years := cal.provisional_years(first, day):
                provisional[name] = list(years)
    return DueDates(due=due, provisional_years=provisional)
