"""Engines, sessions and migrations for SQLite (embedded default) and PostgreSQL (production).

Transaction rule for the repositories in store/: a function that takes an `async_sessionmaker`
owns its transaction and commits it; a function that takes an `AsyncSession` works inside the
caller's transaction and never commits, so the caller can group several writes in one unit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from store import sqlite_cursor

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite writer waits for the file lock before 'database is locked'."""

READ_ONLY = "onething_read_only"
"""Execution option of a transaction that only reads (`reading`): on SQLite it begins deferred."""

# pg_advisory_xact_lock key held while migrating, so two processes starting at once migrate in turn.
_MIGRATION_LOCK_KEY = 0x6F6E657468696E67  # "onething"


def make_engine(url: str | URL, *, schema: str | None = None, **engine_kwargs: Any) -> AsyncEngine:
    """An async engine for `url` (`sqlite+aiosqlite:///…` or `postgresql+asyncpg://…`).

    A URL without an async driver gets the one we ship (`sqlite://` → aiosqlite,
    `postgresql://` → asyncpg). `schema` (PostgreSQL only) sets the connections' search_path, so one
    database can hold isolated copies of the schema (the tests use one per run).
    """
    sa_url = _async_url(make_url(url))
    backend = sa_url.get_backend_name()
    if backend == "sqlite":
        if schema is not None:
            raise ValueError("schema= applies to PostgreSQL only")
        _ensure_parent_dir(sa_url)
        sqlite_cursor.install()
        engine = create_async_engine(sa_url, **engine_kwargs)
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        connect_args = dict(engine_kwargs.pop("connect_args", {}))
        if schema is not None:
            server_settings = dict(connect_args.get("server_settings", {}))
            server_settings["search_path"] = schema
            connect_args["server_settings"] = server_settings
        engine_kwargs.setdefault("pool_pre_ping", True)
        return create_async_engine(sa_url, connect_args=connect_args, **engine_kwargs)
    raise ValueError(f"unsupported database {backend!r}: use SQLite or PostgreSQL")


async def reading(session: AsyncSession) -> None:
    """Make the session's transaction a reader's, before its first statement: one consistent snapshot
    that never blocks a writer (SQLite: BEGIN DEFERRED under WAL; PostgreSQL reads never lock)."""
    await session.connection(execution_options={READ_ONLY: True})


def upsert_insert(session: AsyncSession, table: sa.Table) -> Any:
    """The INSERT of the session's database that takes ON CONFLICT (`on_conflict_do_nothing`,
    `on_conflict_do_update` with `excluded`): SQLite's and PostgreSQL's spell it alike."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"unsupported database {dialect!r}")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: values read in a transaction stay readable after it commits.
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configured in code: our migrations folder, and the connection to run them on."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


async def migrate(target: str | URL | AsyncEngine, revision: str = "head") -> None:
    """`alembic upgrade <revision>` on a URL or an engine, in one transaction.

    Safe to call at every start-up: an up-to-date database is left as it is, and on PostgreSQL an
    advisory lock makes concurrent starters wait for each other instead of racing the DDL.
    """
    engine = target if isinstance(target, AsyncEngine) else make_engine(target)
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            await conn.run_sync(_upgrade, revision)
    finally:
        if not isinstance(target, AsyncEngine):
            await engine.dispose()


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)


def _async_url(url: URL) -> URL:
    if url.drivername in ("sqlite", "sqlite+pysqlite"):
        return url.set(drivername="sqlite+aiosqlite")
    if url.drivername in ("postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2"):
        return url.set(drivername="postgresql+asyncpg")
    return url


def _ensure_parent_dir(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 driver (it would not BEGIN before a SELECT
        # or DDL, and SAVEPOINT would escape the transaction); SQLAlchemy emits BEGIN below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # WAL: readers do not block the writer. Durable across a process crash (synchronous=FULL
        # is kept, so a power loss does not lose committed transactions either).
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock up front. A deferred transaction that reads and then writes
        # fails at once with SQLITE_BUSY when another writer got there first (busy_timeout is not
        # honoured for that lock upgrade); IMMEDIATE waits its turn instead. One writer at a time is
        # SQLite's model anyway, and the ledger's read-then-append needs exactly that. A transaction
        # that only reads (`reading`) begins deferred: under WAL it reads a snapshot and takes no write
        # lock, so a five-second audit does not hold every ledger write up for five seconds.
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")
