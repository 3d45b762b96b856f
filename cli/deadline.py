"""`onething deadline`: the due date of a period counted in working days (工作日).

    onething deadline --start 2026-09-28 --working-days 5
    {"start": "2026-09-28", "working_days": 5, "due": "2026-10-10"}

The start day is not counted (《民法典》Art. 201). `--calendar-file` adds a year's State Council notice
as JSON (the shape `domain.calendar.notice_from_dict` reads) to the official ones, for a year not yet
transcribed into `domain.notices`.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from cli.errors import BadInput
from domain.calendar import MissingCalendarYear, WorkingCalendar, YearNotice, notice_from_dict
from domain.notices import official_calendar


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
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    start = _parse_start(args.start)
    working_days = _parse_working_days(args.working_days)
    calendar = _calendar([Path(p) for p in args.calendar_file])
    try:
        due = calendar.add_working_days(start, working_days)
    except MissingCalendarYear as exc:
        raise BadInput(str(exc)) from exc
    print(json.dumps({"start": start.isoformat(), "working_days": working_days, "due": due.isoformat()}))
    return 0


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


def _calendar(paths: list[Path]) -> WorkingCalendar:
    official = official_calendar()
    if not paths:
        return official
    extra = [notice for path in paths for notice in _read_notices(path)]
    try:
        return WorkingCalendar([*official.notices, *extra])
    except ValueError as exc:
        raise BadInput(f"--calendar-file: {exc}") from exc


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
