"""`onething deadline`: the due date of a period counted in working days (工作日).

    onething deadline --start 2026-09-28 --working-days 5
    {"start": "2026-09-28", "working_days": 5, "due": "2026-10-10", "provisional": false}
    onething deadline --start 2026-12-20 --working-days 15 --provisional
    {"start": "2026-12-20", "working_days": 15, "due": "2027-01-11", "provisional": true,
     "provisional_years": [2027]}

The start day is not counted (《民法典》Art. 201). It counts on the calendar the workers use: the
transcribed notices, ONETHING_CALENDAR_FILES and the notices stored by `onething calendar add`
(DATABASE_URL). A year without a notice is refused (exit 2, naming the year and `--provisional`);
with `--provisional` it is counted on the statutory holidays alone and the answer says so.
`--calendar-file` adds a year's notice as JSON (the shape `domain.calendar.notice_from_dict` reads)
for this one computation, over the stored ones.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
from datetime import date
from pathlib import Path

from cli.errors import BadInput
from domain.calendar import MissingCalendarYear, WorkingCalendar, YearNotice, notice_from_dict
from domain.notices import official_calendar, provisional_notice
from settings import Settings
from store.calendar_sources import calendar_from_env, sqlite_stored_notices


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "deadline",
        help="due date after N working days (start day not counted)",
        description="The due date of a period of N working days (工作日); the start day is not counted "
        "(《民法典》Art. 201). Prints JSON {start, working_days, due}.",
    )
    # Values are parsed in the handler, not by argparse `type=`, so errors follow the shared contract:
    # one line on stderr naming the field.
    parser.add_argument("--start", required=True, metavar="YYYY-MM-DD", help="the day the period starts")
    parser.add_argument("--working-days", required=True, metavar="N", help="length of the period, ≥ 0")
    parser.add_argument(
        "--calendar-file",
        action="append",
        default=[],
        metavar="PATH",
        help="JSON holiday notice (one object or a list) for a year the official data lacks; repeatable",
    )
    parser.add_argument(
        "--provisional",
        action="store_true",
        help="count a year without a State Council notice on its statutory holidays alone (no 调休); "
        'the answer says "provisional": true',
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    start = _parse_start(args.start)
    working_days = _parse_working_days(args.working_days)
    extra = [notice for path in args.calendar_file for notice in _read_notices(Path(path))]
    try:
        stored = _current_calendar(Settings.from_env().database_url)
    except (StoreUnreadable, sqlite3.Error, OSError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        print(f"onething deadline: cannot read the calendar store at DATABASE_URL: {reason}", file=sys.stderr)
        return 1
    calendar = _calendar(stored, extra)
    try:
        due = calendar.add_working_days(start, working_days)
        years: tuple[int, ...] = ()
    except MissingCalendarYear as exc:
        counted = calendar.with_provisional(provisional_notice)
        if counted.year_status(exc.year) != "provisional":
            raise BadInput(str(exc)) from exc
        if not args.provisional:
            raise BadInput(
                f"{exc}; or pass --provisional to count {exc.year} on its statutory holidays alone "
                "(no 调休: the due date may move when the notice arrives)"
            ) from exc
        try:
            due = counted.add_working_days(start, working_days)
        except MissingCalendarYear as beyond:
            raise BadInput(str(beyond)) from beyond
        years = counted.provisional_years(start, due)
    doc: dict[str, object] = {
        "start": start.isoformat(),
        "working_days": working_days,
        "due": due.isoformat(),
        "provisional": bool(years),
    }
    if years:
        doc["provisional_years"] = list(years)
    print(json.dumps(doc))
    return 0


class StoreUnreadable(Exception):
    """The calendar store at DATABASE_URL could not be read (the cause is chained)."""


def _current_calendar(database_url: str) -> WorkingCalendar:
    """What the workers count on now, without provisional years (`cli.holidays.current_calendar`).

    A SQLite store is read with the standard library, so printing a date does not import SQLAlchemy
    and Alembic (issue 18); any other store is migrated and read the way every process reads it.
    """
    notices = sqlite_stored_notices(database_url)
    if notices is not None:
        return calendar_from_env(os.environ).replaced(notices).with_provisional(None)
    from sqlalchemy.exc import SQLAlchemyError

    from cli.holidays import current_calendar

    try:
        return asyncio.run(current_calendar(database_url, provisional=False))
    except SQLAlchemyError as exc:
        raise StoreUnreadable(str(exc)) from exc


def _parse_start(text: str) -> date:
    try:
        # Exactly YYYY-MM-DD: fromisoformat alone would also take 20260928 and 2026-W40-1.
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"--start: expected a date as YYYY-MM-DD, got {text!r}") from None


def _parse_working_days(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise BadInput(f"--working-days: expected a whole number of working days, got {text!r}") from None
    if n < 0:
        raise BadInput(f"--working-days: must be 0 or more, got {n}")
    return n


def _calendar(stored: WorkingCalendar, extra: list[YearNotice]) -> WorkingCalendar:
    """The store's calendar with the --calendar-file notices over it (never over a transcribed year)."""
    if not extra:
        return stored
    try:
        WorkingCalendar([*official_calendar().notices, *extra])  # a year twice, or a built-in year
    except ValueError as exc:
        raise BadInput(f"--calendar-file: {exc}") from exc
    return stored.replaced(extra)


def _read_notices(path: Path) -> list[YearNotice]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"--calendar-file: cannot read {path}: {exc.strerror}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"--calendar-file: {path} is not UTF-8 JSON: {exc}") from exc
    items = data if isinstance(data, list) else [data]
    notices = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]" if isinstance(data, list) else str(path)
        if not isinstance(item, dict):
            raise BadInput(f"--calendar-file: {where}: expected a notice object, got {type(item).__name__}")
        try:
            notices.append(notice_from_dict(item))
        except ValueError as exc:
            raise BadInput(f"--calendar-file: {where}: {exc}") from exc
    return notices
