"""The working calendar's sources that need no database driver: notice files and a SQLite store.

`onething deadline` prints one date; importing SQLAlchemy and Alembic to read a handful of rows cost it
more than a second (issue 18). So the notices `onething calendar add` stored (store/holiday_notices.py,
table `holiday_notices`) are read here with the standard library's sqlite3 when the store is a SQLite
file, read-only: a store that does not exist, or was never migrated to 0003, holds no notices, which is
what the migrated empty store would answer. Any other store (PostgreSQL) is read the usual way by the
caller. tests/store/test_calendar_sources.py checks this reader against `stored_notices`.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Mapping
from contextlib import closing
from pathlib import Path

from domain.calendar import WorkingCalendar, YearNotice, notice_from_dict
from domain.notices import official_calendar

# sqlite:///relative.db, sqlite:////absolute.db, sqlite+aiosqlite:///…, sqlite:// (in memory); a query
# string (?mode=…, uri=…) asks for more than a plain file, so such a URL is left to SQLAlchemy.
_SQLITE_FILE = re.compile(r"^sqlite(\+\w+)?://(/(?P<path>[^?]*))?$")


def calendar_from_env(env: Mapping[str, str]) -> WorkingCalendar:
    """The official notices plus the JSON notice files listed in ONETHING_CALENDAR_FILES (os.pathsep).

    The older way to add a year's notice, kept as a fallback: it needs a restart of every process.
    `onething calendar add` stores the notice where every process reads it at once, over these.
    """
    notices = list(official_calendar().notices)
    for name in filter(None, env.get("ONETHING_CALENDAR_FILES", "").split(os.pathsep)):
        data = json.loads(Path(name).read_text(encoding="utf-8"))
        notices += [notice_from_dict(item) for item in (data if isinstance(data, list) else [data])]
    return WorkingCalendar(notices)


def sqlite_stored_notices(database_url: str) -> list[YearNotice] | None:
    """The stored notices by year when `database_url` is a SQLite file; None for any other store.

    Raises sqlite3.Error when the file is there but cannot be read (not a database, locked too long).
    """
    match = _SQLITE_FILE.match(database_url)
    if match is None:
        return None
    name = match["path"] or ""
    if name in ("", ":memory:"):
        return []  # a fresh in-memory store: nothing was ever stored in it
    path = Path(name)
    if not path.exists():
        return []
    # mode=ro: a read must not create the file nor take a write lock.
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
        known = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'holiday_notices'")
        if known.fetchone() is None:
            return []
        rows = db.execute(
            "SELECT year, source, holidays, make_up_workdays FROM holiday_notices ORDER BY year"
        ).fetchall()
    return [
        notice_from_dict(
            {
                "year": year,
                "source": source,
                "holidays": json.loads(holidays),
                "make_up_workdays": json.loads(make_up),
            }
        )
        for year, source, holidays, make_up in rows
    ]
