"""Migrations create exactly the models' schema, on both databases; engine settings hold."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from store.db import alembic_config, make_engine, migrate, reading, session_factory
from store.registries import get_business_licence, get_vehicle
from store.schema import Base, OutboxRow
from tests.store.conftest import Db

TABLES = {
    "vehicles",
    "transport_certificates",
    "carriers",
    "drivers",
    "credit_grades",
    "business_licences",
    "holiday_notices",
    "registry_snapshots",
    "ledger_events",
    "inbox_tasks",
    "case_summaries",
    "licences",
    "licence_vehicles",
    "outbox",
    "carrier_bars",
}


def _diff(connection: Connection, metadata: sa.MetaData) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrated_schema_matches_the_models(db: Db):
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_diff, Base.metadata) == []


async def test_the_comparison_would_see_a_difference(db: Db):
    # Guards the test above against comparing nothing.
    changed = sa.MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    sa.Table("outbox", changed, sa.Column("extra", sa.Integer), extend_existing=True)
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(_diff, changed)
    assert [entry[0] for entry in diff] == ["add_column"]


async def test_migrate_twice_changes_nothing_and_tables_live_in_the_test_schema(db: Db):
    await migrate(db.engine)
    async with db.engine.connect() as conn:
        names = set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))
        version = await conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
        if db.schema is not None:
            public = set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names(schema="public")))
            assert "alembic_version" not in public
            assert await conn.scalar(sa.text("SELECT current_schema()")) == db.schema
    assert names == TABLES | {"alembic_version"}
    assert version == "0010"


async def test_downgrade_to_base_and_upgrade_again(db: Db):
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "base"))
    async with db.engine.connect() as conn:
        assert set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names())) == {"alembic_version"}
    await migrate(db.engine)
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_diff, Base.metadata) == []


async def test_migrate_from_a_url_creates_the_sqlite_file_and_its_folder(tmp_path):
    path = tmp_path / "new" / "dir" / "onething.db"
    await migrate(f"sqlite:///{path}")  # a sync URL gets the async driver
    assert path.exists()


async def test_sqlite_pragmas(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(sa.text("PRAGMA foreign_keys")) == 1
            assert await conn.scalar(sa.text("PRAGMA journal_mode")) == "wal"
            assert await conn.scalar(sa.text("PRAGMA busy_timeout")) == 10_000
    finally:
        await engine.dispose()


async def test_a_reader_holds_no_write_lock_while_a_writer_commits(tmp_path):
    """On SQLite every transaction takes the write lock up front (BEGIN IMMEDIATE) except a reader's
    (`reading`): an audit reading for seconds must not hold every ledger write up meanwhile, and it
    keeps reading its own snapshot while the writer commits."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    sessions = session_factory(engine)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
            await conn.execute(sa.text("INSERT INTO t VALUES (1)"))
        async with sessions() as reader, reader.begin():
            await reading(reader)
            assert await reader.scalar(sa.text("SELECT count(*) FROM t")) == 1

            async def write() -> None:
                async with sessions.begin() as writer:
                    await writer.execute(sa.text("INSERT INTO t VALUES (2)"))

            await asyncio.wait_for(write(), timeout=5)  # an IMMEDIATE reader would hold it 10 s
            assert await reader.scalar(sa.text("SELECT count(*) FROM t")) == 1  # its snapshot
        async with sessions() as later:
            assert await later.scalar(sa.text("SELECT count(*) FROM t")) == 2
    finally:
        await engine.dispose()


def test_schema_is_only_for_postgres():
    with pytest.raises(ValueError, match="PostgreSQL only"):
        make_engine("sqlite+aiosqlite:///x.db", schema="x")


async def test_times_are_stored_as_utc_and_come_back_aware(db: Db):
    beijing = timezone(timedelta(hours=8))
    local = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=beijing)
    async with db.sessions.begin() as session:
        session.add(
            OutboxRow(
                idempotency_key="k",
                destination="notice",
                case_id="c",
                payload={},
                created_at=local,
                attempts=0,
                next_attempt_at=local,
            )
        )
    async with db.sessions() as session:
        row = (await session.scalars(sa.select(OutboxRow))).one()
        # A comparison in SQL sees the same instant, whatever zone the parameter is in.
        due = await session.scalar(
            sa.select(sa.func.count()).where(
                OutboxRow.next_attempt_at <= datetime(2026, 3, 2, 1, 30, 15, 123456, UTC)
            )
        )
    assert row.created_at == local
    assert row.created_at.tzinfo == UTC
    assert row.created_at.hour == 1
    assert due == 1


async def test_naive_times_are_refused(db: Db):
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        async with db.sessions.begin() as session:
            session.add(
                OutboxRow(
                    idempotency_key="k",
                    destination="notice",
                    case_id="c",
                    payload={},
                    created_at=datetime(2026, 1, 1),
                    attempts=0,
                    next_attempt_at=datetime(2026, 1, 1),
                )
            )


async def test_0002_keeps_vehicles_imported_before_it_without_a_total_mass(unmigrated_db: Db):
    await migrate(unmigrated_db.engine, "0001")
    async with unmigrated_db.engine.begin() as conn:
        await conn.execute(
            sa.text(
                "INSERT INTO vehicles (plate, vin, vehicle_type, axles, curb_mass_kg, length_m, width_m,"
                " height_m, owner_credit_code, owner_name, valid_until) VALUES ('湘AH9999',"
                " 'LSAMPLE7000000099', '货车', 2, 4000, 6.0, 2.3, 3.0, '91430100MA4L001018', '示例',"
                " '2028-01-01')"
            )
        )
    await migrate(unmigrated_db.engine)
    async with unmigrated_db.sessions() as session:
        vehicle = await get_vehicle(session, "湘AH9999")
        assert await get_business_licence(session, "91430100MA4L001018") is None
    assert vehicle is not None and vehicle.total_mass_kg is None and vehicle.curb_mass_kg == 4000
