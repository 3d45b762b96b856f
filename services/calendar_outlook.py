"""Said before it bites: whether this year's and (from 1 November) next year's State Council holiday
notice is in the store, and how many open cases already count through a year without one. The
worker, the portal and `onething up` say it at every start."""

from __future__ import annotations

from datetime import datetime

from temporalio.client import Client

from bootstrap.deps import Deps
from domain.calendar import SHANGHAI
from store.holiday_notices import load_calendar
from workflows.client import calendar_warnings


async def calendar_warnings_now(client: Client | None, deps: Deps) -> list[str]:
    """This year's and (from 1 November) next year's notice, if missing: said at every start-up."""
    calendar = await load_calendar(deps.sessions, deps.calendar)
    return await calendar_warnings(client, calendar, datetime.now(SHANGHAI).date())
