"""The `db` fixture: a freshly migrated database, once on SQLite and once on PostgreSQL.

SQLite is a file in the test's tmp dir. PostgreSQL is the server on 127.0.0.1:5432 (override with
ONETHING_TEST_POSTGRES_URL); each test gets its own schema with a random name, selected through the
connections' search_path (so alembic's version table lands there too), dropped afterwards.
Deselect the PostgreSQL runs with `-m "not postgres"`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import NullPool

from store.db import make_engine, migrate, session_factory

POSTGRES_URL = os.environ.get(
    "ONETHING_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


@dataclass(frozen=True)
class Db:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    schema: str | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def unmigrated_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Db]:
    """An empty database (tables not created yet)."""
    if request.param == "sqlite":
        # A folder that does not exist yet: make_engine creates it.
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'onething.db'}")
        try:
            yield Db(engine, session_factory(engine))
        finally:
            await engine.dispose()
        return

    schema = f"test_store_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL, poolclass=NullPool)
    try:
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except (OSError, DBAPIError) as exc:
        await admin.dispose()
        pytest.fail(
            f"PostgreSQL at {POSTGRES_URL} is not reachable ({exc}); start it "
            "(see .ci/run) or deselect these tests with -m 'not postgres'"
        )
    engine = make_engine(POSTGRES_URL, schema=schema)
    try:
        yield Db(engine, session_factory(engine), schema)
    finally:
        await engine.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
async def db(unmigrated_db: Db) -> Db:
    """A database migrated to head."""
    await migrate(unmigrated_db.engine)
    return unmigrated_db
