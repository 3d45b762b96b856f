"""store/calendar_sources.py: the standard-library reader of a SQLite store agrees with the store's own.

`onething deadline` reads the stored notices with sqlite3 (no SQLAlchemy import); whatever
`onething calendar add` stored must come back the same as `stored_notices` reads it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from domain.calendar import YearNotice
from store.calendar_sources import sqlite_stored_notices
from store.db import make_engine, migrate, session_factory
from store.holiday_notices import add_notice, stored_notices

NOW = datetime(2026, 11, 2, tzinfo=UTC)


def notice(year: int, holidays: list[str], make_up: list[str]) -> YearNotice:
    return YearNotice(
        year=year,
        holidays=frozenset(date.fromisoformat(d) for d in holidays),
        make_up_workdays=frozenset(date.fromisoformat(d) for d in make_up),
        source=f"test notice for {year} (not the State Council's)",
    )


async def test_reads_what_calendar_add_stored_as_the_store_reads_it(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'onething.db'}"
    engine = make_engine(url)
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        await add_notice(sessions, notice(2028, ["2028-01-03", "2028-01-01"], ["2028-01-08"]), NOW)
        await add_notice(sessions, notice(2027, ["2027-01-01"], []), NOW)
        # A correction replaces the row of its year.
        await add_notice(sessions, notice(2027, ["2027-01-01", "2027-01-04"], ["2027-01-09"]), NOW)
        async with sessions() as session:
            expected = await stored_notices(session)
    finally:
        await engine.dispose()
    assert sqlite_stored_notices(url) == expected
    assert [n.year for n in expected] == [2027, 2028]


def test_a_store_file_that_does_not_exist_holds_no_notices_and_is_not_created(tmp_path: Path) -> None:
    assert sqlite_stored_notices(f"sqlite+aiosqlite:///{tmp_path / 'absent.db'}") == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("url", ["sqlite+aiosqlite:///:memory:", "sqlite://"])
def test_an_in_memory_store_holds_no_notices(url: str) -> None:
    assert sqlite_stored_notices(url) == []


async def test_a_store_before_migration_0003_holds_no_notices(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await migrate(engine, revision="0002")
    finally:
        await engine.dispose()
    assert sqlite_stored_notices(f"sqlite:///{tmp_path / 'old.db'}") == []


@pytest.mark.parametrize(
    "url", ["postgresql+asyncpg://db/onething", "sqlite+aiosqlite:///x.db?mode=ro&uri=true"]
)
def test_any_other_store_is_left_to_sqlalchemy(url: str) -> None:
    assert sqlite_stored_notices(url) is None
