"""Deadline computation (时限计算): working days through the calendar data, as a local activity.

Calendar data can change (next year's notice), so it enters the workflow only through here and is
recorded in the history: replay never recomputes a due date with newer data.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.deps import current
from domain.calendar import MissingCalendarYear, end_of_day, local_date


class DueDatesInput(BaseModel):
    start: datetime  # aware; the day it falls on (Asia/Shanghai) is not counted
    working_days: dict[str, int]  # name -> limit in working days


class DueDates(BaseModel):
    due: dict[str, datetime]  # name -> end of the due day, Asia/Shanghai


@activity.defn
async def compute_due_dates(inp: DueDatesInput) -> DueDates:
    """The end of the n-th working day after `start` for each named limit.

    A year without a State Council notice in the calendar data (`MissingCalendarYear`) is retried:
    the case waits, visibly, until an operator adds the year's notice (ONETHING_CALENDAR_FILES) and
    restarts the workers; a case must never fail because next year's holidays were not loaded yet.
    Bad input is non-retryable.
    """
    cal = current().calendar
    try:
        start = local_date(inp.start)
        due = {name: end_of_day(cal.add_working_days(start, n)) for name, n in inp.working_days.items()}
    except MissingCalendarYear as exc:
        raise ApplicationError(
            f"no holiday notice for {exc.year} in the calendar data: {exc}",
            exc.year,
            type="MissingCalendarYear",
        ) from exc
    except ValueError as exc:  # a naive start or a negative number of days
        raise ApplicationError(str(exc), type="InvalidDeadline", non_retryable=True) from exc
    return DueDates(due=due)


class MoveDueDatesInput(BaseModel):
    due: dict[str, datetime]  # the dues as they stood when the clock stopped
    stopped_at: datetime
    resumed_at: datetime


class MovedDueDates(BaseModel):
    stopped_working_days: int
    due: dict[str, datetime]


@activity.defn
async def move_due_dates(inp: MoveDueDatesInput) -> MovedDueDates:
    """复表: every due moves later by the working days the clock stood still (停表 is not counted).

    The stopped working days are those after the day the clock stopped, up to the day it resumed
    (the same counting as every other period: the start day is not counted).
    """
    cal = current().calendar
    try:
        stopped = cal.working_days_between(local_date(inp.stopped_at), local_date(inp.resumed_at))
        due = {
            name: end_of_day(cal.add_working_days(local_date(when), stopped)) if stopped else when
            for name, when in inp.due.items()
        }
    except MissingCalendarYear as exc:
        raise ApplicationError(
            f"no holiday notice for {exc.year} in the calendar data: {exc}",
            exc.year,
            type="MissingCalendarYear",
        ) from exc
    except ValueError as exc:
        raise ApplicationError(str(exc), type="InvalidDeadline", non_retryable=True) from exc
    return MovedDueDates(stopped_working_days=stopped, due=due)
