"""`onething audit`: the auditors' report (效能监察报告), computed from the supervision ledger.

    onething audit --from 2026-09-01 --to 2026-09-30 --format html --output audit.html
    onething audit --format json                      # every case, as one JSON document
    onething audit --verify-ledger                    # walk every hash chain; exit 1 if one is broken
    onething audit --verify-seals                     # verify every licence's SM2 seal again

Cases are selected by the date of their 收件 (receipt) in Asia/Shanghai, both ends included; the
definitions of every figure are in `domain.audit` and printed with each report. `--now` (ISO 8601,
default the current time; a bare date means its start in Shanghai) is the instant open cases are
judged overdue against. The database is DATABASE_URL (Settings); it is migrated before reading.
Working days: as the workers count them: the transcribed notices, ONETHING_CALENDAR_FILES and the
notices stored by `onething calendar add`; a year without a notice counts provisionally.
A licence's seal counts by the verdict stored when it was issued (while the sealed bytes still match
it); `--verify-seals` verifies every one again, with a progress line on stderr.

Exit codes: 0 report written (or every chain intact), 1 a chain is broken or the system failed
(database, calendar data), 2 bad input (the message names the option).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from cli.errors import BadInput
from domain.audit.report import AuditReport
from domain.calendar import SHANGHAI, MissingCalendarYear, WorkingCalendar
from logs import configure_logging
from reports.formats import FORMATS, render
from reports.verification import render_verification
from services.audit_report import build_report, verify_ledger
from settings import Settings
from store.calendar_sources import calendar_from_env
from store.db import make_engine, migrate, session_factory
from store.holiday_notices import load_calendar
from store.ledger import BrokenChain


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "audit",
        help="the auditors' report from the supervision ledger (or --verify-ledger)",
        description="效能监察报告: volumes, on-time rates, elapsed working days, cards, bottleneck, overdue "
        "cases, 好差评 and e-licence KPIs, for the cases received in [--from, --to] (Asia/Shanghai).",
    )
    # Parsed in the handler, not by argparse `type=`/`choices=`, so every error names its option the
    # same way (one line on stderr, exit 2).
    parser.add_argument("--from", dest="received_from", metavar="YYYY-MM-DD", help="first day of receipt")
    parser.add_argument("--to", dest="received_to", metavar="YYYY-MM-DD", help="last day of receipt")
    parser.add_argument(
        "--now", metavar="ISO-8601", help="judge overdue cases at this instant (default: now)"
    )
    parser.add_argument("--format", default="table", metavar="|".join(FORMATS), help="default: table")
    parser.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    parser.add_argument(
        "--verify-ledger",
        action="store_true",
        help="walk every case's hash chain; print each broken case, its first bad seq and why",
    )
    parser.add_argument(
        "--verify-seals",
        action="store_true",
        help="verify every licence's SM2 seal again instead of the verdicts stored at issue",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    configure_logging()  # on stderr: stdout carries the report
    received_from = parse_date("--from", args.received_from)
    received_to = parse_date("--to", args.received_to)
    if received_from and received_to and received_to < received_from:
        raise BadInput(f"--to: {received_to} is before --from {received_from}")
    now = parse_now(args.now)
    fmt = args.format
    if fmt not in FORMATS:
        raise BadInput(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    output = Path(args.output) if args.output else None
    if output is not None and not output.parent.is_dir():
        raise BadInput(f"--output: folder {output.parent} does not exist")
    try:
        calendar = calendar_from_env(os.environ)
    except (ValueError, OSError) as exc:
        print(f"onething audit: ONETHING_CALENDAR_FILES: {exc}", file=sys.stderr)
        return 1
    settings = Settings.from_env()
    try:
        if args.verify_ledger:
            cases, broken = asyncio.run(_verify(settings.database_url))
            code = 1 if broken else 0
            text = render_verification(cases, broken, fmt)
        else:
            report = asyncio.run(
                _report(settings.database_url, calendar, now, received_from, received_to, args.verify_seals)
            )
            code, text = 0, render(report, fmt)
    except (SQLAlchemyError, OSError) as exc:
        # The first line only: SQLAlchemy appends the statement and a help link.
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        print(f"onething audit: cannot read the ledger at DATABASE_URL: {reason}", file=sys.stderr)
        return 1
    except MissingCalendarYear as exc:
        print(f"onething audit: {exc}", file=sys.stderr)
        return 1
    _write(text, output)
    return code


async def _report(
    url: str,
    calendar: WorkingCalendar,
    now: datetime,
    received_from: date | None,
    received_to: date | None,
    verify_seals: bool = False,
) -> AuditReport:
    await migrate(url)
    engine = make_engine(url)
    try:
        sessions = session_factory(engine)
        calendar = await load_calendar(sessions, calendar)
        return await build_report(
            sessions,
            calendar,
            now=now,
            received_from=received_from,
            received_to=received_to,
            verify_seals=verify_seals,
            seal_progress=_seal_progress if verify_seals else None,
        )
    finally:
        await engine.dispose()


def _seal_progress(done: int, total: int) -> None:
    # stderr, so the report on stdout stays the report; one line each time, readable in a log too.
    print(f"onething audit: seals verified {done}/{total}", file=sys.stderr, flush=True)


async def _verify(url: str) -> tuple[int, list[BrokenChain]]:
    await migrate(url)
    engine = make_engine(url)
    try:
        cases, broken = await verify_ledger(session_factory(engine))
        return cases, list(broken)
    finally:
        await engine.dispose()


def parse_date(option: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        # Exactly YYYY-MM-DD: fromisoformat alone would also take 20260928 and 2026-W40-1.
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{option}: expected a date as YYYY-MM-DD, got {text!r}") from None


def parse_now(text: str | None) -> datetime:
    """ISO 8601; a bare date is its first instant in Shanghai, a time without offset is Shanghai time."""
    if text is None:
        return datetime.now(UTC)
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(f"--now: expected an ISO 8601 date or date-time, got {text!r}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=SHANGHAI)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"--output: cannot write {output}: {exc.strerror}") from exc
