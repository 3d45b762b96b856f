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
