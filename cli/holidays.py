"""`onething calendar`: the State Council holiday notices as data the running system reads.

    onething calendar add notice-2027.json     # validate strictly, store, recount the open cases
    {"year": 2027, "stored": "added", "status": "official", "source": "国办发明电〔2026〕…", …}
    onething calendar show 2027                # {"year", "status", "source", "holidays", "make_up_workdays"}
    onething calendar show                     # every year known, and next year

A notice is the JSON object `domain.calendar.notice_from_dict` reads (README "Holiday notices"). It is
validated completely before the database is touched: every date in its year, make-up working days on
a Saturday or Sunday, no day both a holiday and a make-up day, the source named; an error names the
field, exits 2 and stores nothing. A stored notice replaces the built-in one or an earlier stored one
of its year (a correction) and counts at the next computation of every worker, the portal and the CLI.
Then every open case with provisional dues (`OnethingDuesProvisional = true`, TEMPORAL_ADDRESS) gets
the `recount_dues` signal and counts its dues again (时限重算); `--no-recount` stores only, and
`onething calendar recount YEAR` sends the signals again (say, after Temporal was unreachable).

`status`: `official` (a notice: built-in, ONETHING_CALENDAR_FILES or stored), `provisional` (no
notice: the statutory holidays of 《全国年节及纪念日放假办法》 with 补假, no 调休) or `missing` (the
statutory rules do not cover the year either). The database is DATABASE_URL, migrated first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from cli.errors import BadInput
from domain.calendar import SHANGHAI, WorkingCalendar, YearNotice, notice_from_dict
from settings import Settings
from store.calendar_sources import calendar_from_env
from store.db import make_engine, migrate, session_factory
from store.holiday_notices import Stored, add_notice, load_calendar, notice_to_dict, stored_notices

FIRST_YEAR, LAST_YEAR = 2000, 2100  # a notice outside these is a typo, not a calendar


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "calendar",
        help="holiday notices (节假日安排): add one, show the calendar the system counts on",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    actions = parser.add_subparsers(dest="calendar_command", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add",
        help="validate a year's notice and store it; open cases with provisional dues recount them",
        description="Validate NOTICE.json strictly, store it (replacing an earlier notice of its year), "
        "then signal every open case with provisional dues to count them again (时限重算).",
    )
    add.add_argument("file", metavar="NOTICE.json", help='{"year", "source", "holidays", "make_up_workdays"}')
    add.add_argument(
        "--no-recount", action="store_true", help="store only: do not message the open cases (no Temporal)"
    )
    recount = actions.add_parser(
        "recount",
        help="signal every open case with provisional dues to count them again (时限重算)",
        description="What `calendar add` does after storing: for when Temporal was unreachable then.",
    )
    recount.add_argument("year", metavar="YEAR", help="the year whose notice arrived, e.g. 2027")
    recount.set_defaults(handler=run_recount)
    add.set_defaults(handler=run_add)
    show = actions.add_parser("show", help="the calendar of one year, or of every year known, as JSON")
    show.add_argument("year", nargs="?", metavar="YEAR", help="e.g. 2027; default: every year known")
    show.set_defaults(handler=run_show)


# --- the calendar every process counts on -----------------------------------------------------------


async def current_calendar(database_url: str, *, provisional: bool = True) -> WorkingCalendar:
    """Built-in notices + ONETHING_CALENDAR_FILES + the store's: what the workers count on now."""
    base = calendar_from_env(os.environ)
    engine = make_engine(database_url)
    try:
        await migrate(engine)
        return await load_calendar(session_factory(engine), base, provisional=provisional)
    finally:
        await engine.dispose()


def year_document(calendar: WorkingCalendar, year: int) -> dict[str, Any]:
    status = calendar.year_status(year)
    if status == "missing":
        return {"year": year, "status": status, "source": None, "holidays": [], "make_up_workdays": []}
    return {"status": status, **notice_to_dict(calendar.notice_for(year))}


# --- add ----------------------------------------------------------------------------------------------


def read_notice(path: Path) -> YearNotice:
    """The notice in `path`, validated; BadInput naming the field otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"NOTICE.json: cannot read {path}: {exc.strerror}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"NOTICE.json: {path} is not UTF-8 JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadInput(f"NOTICE.json: expected one notice object, got {type(data).__name__}")
    year = data.get("year")
    if isinstance(year, int) and not isinstance(year, bool) and not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadInput(f"year: expected a year from {FIRST_YEAR} to {LAST_YEAR}, got {year}")
    try:
        notice = notice_from_dict(data)
    except ValueError as exc:
        raise BadInput(str(exc)) from exc
    if len(notice.source.strip()) < 4:
        raise BadInput("source: name the State Council notice (document number and title)")
    if len(notice.source) > 500:
        raise BadInput("source: at most 500 characters")
    return notice


def run_add(args: argparse.Namespace) -> int:
    notice = read_notice(Path(args.file))
    settings = Settings.from_env()
    try:
        stored = asyncio.run(_store(settings.database_url, notice))
    except (SQLAlchemyError, OSError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        print(f"onething calendar add: cannot write the store at DATABASE_URL: {reason}", file=sys.stderr)
        return 1
    result: dict[str, Any] = {"year": notice.year, "stored": stored, "status": "official"}
    result["source"] = notice.source
    code = 0
    if not args.no_recount:
        result["recount"], code = _recount(settings, notice.year, notice.source)
    print(json.dumps(result, ensure_ascii=False))
    return code


def run_recount(args: argparse.Namespace) -> int:
    year = _parse_year(args.year)
    settings = Settings.from_env()
    recount, code = _recount(settings, year, None)
    print(json.dumps({"year": year, "recount": recount}, ensure_ascii=False))
    return code


def _recount(settings: Settings, year: int, source: str | None) -> tuple[dict[str, Any], int]:
    """Signal the open cases with provisional dues; on failure say so (exit 1) — the notice stays stored."""
    from worker import connect  # the encrypted client, as the workers and the portal build it
    from workflows.client import recount_open_cases

    async def fan_out() -> dict[str, int]:
        client = await connect(settings)
        return await recount_open_cases(client, year, source)

    try:
        return dict(asyncio.run(fan_out())), 0
    except Exception as exc:  # any failure to reach Temporal: the notice is stored all the same
        message = f"could not message the open cases at {settings.temporal_address}: {exc}"
        print(
            f"onething calendar: {message}; the notice is stored: run `onething calendar recount {year}`",
            file=sys.stderr,
        )
        return {"error": message}, 1


async def _store(database_url: str, notice: YearNotice) -> Stored:
    engine = make_engine(database_url)
    try:
        await migrate(engine)
        return await add_notice(session_factory(engine), notice, datetime.now(UTC))
    finally:
        await engine.dispose()


# --- show ---------------------------------------------------------------------------------------------


def run_show(args: argparse.Namespace) -> int:
    year = _parse_year(args.year) if args.year is not None else None
    settings = Settings.from_env()
    try:
        calendar, stored_years = asyncio.run(_read(settings.database_url))
    except (SQLAlchemyError, OSError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        print(f"onething calendar show: cannot read the store at DATABASE_URL: {reason}", file=sys.stderr)
        return 1
    if year is not None:
        doc = {**year_document(calendar, year), "stored": year in stored_years}
        print(json.dumps(doc, ensure_ascii=False))
        return 0
    next_year = datetime.now(SHANGHAI).year + 1
    years = sorted({*calendar.years, next_year})
    docs = [{**year_document(calendar, y), "stored": y in stored_years} for y in years]
    print(json.dumps({"years": docs}, ensure_ascii=False))
    return 0


async def _read(database_url: str) -> tuple[WorkingCalendar, set[int]]:
    base = calendar_from_env(os.environ)
    engine = make_engine(database_url)
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        async with sessions() as session:
            stored = {n.year for n in await stored_notices(session)}
        return await load_calendar(sessions, base), stored
    finally:
        await engine.dispose()


def _parse_year(text: str) -> int:
    if len(text) != 4 or not text.isascii() or not text.isdigit():
        raise BadInput(f"YEAR: expected a year as YYYY, got {text!r}")
    return int(text)
