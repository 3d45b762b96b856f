"""The audit tests' databases: the store's `db` fixture (SQLite and PostgreSQL), loaded with the
57-case ledger of fixture_ledger.py, and a SQLite file for the command-line tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from store.db import make_engine, migrate, session_factory
from tests.audit.fixture_ledger import load_fixture
from tests.audit.stack import stack
from tests.store.conftest import Db, db, unmigrated_db

__all__ = ["db", "stack", "unmigrated_db"]


@pytest.fixture
async def audit_db(db: Db) -> Db:
    """The store's migrated database, on each backend, holding the fixture ledger and licences."""
    await load_fixture(db.sessions)
    return db


def sqlite_with_fixture(path: Path) -> str:
    """A SQLite file holding the fixture ledger; returns its DATABASE_URL. For synchronous tests."""
    url = f"sqlite+aiosqlite:///{path}"

    async def build() -> None:
        engine = make_engine(url)
        try:
            await migrate(engine)
            await load_fixture(session_factory(engine))
        finally:
            await engine.dispose()

    asyncio.run(build())
    return url


@pytest.fixture(scope="module")
def fixture_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SQLite fixture database per module, for tests that only read it."""
    return sqlite_with_fixture(tmp_path_factory.mktemp("audit") / "onething.db")
