"""The one-hop SQLite cursor (store/sqlite_cursor.py) answers as aiosqlite's own did."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import aiosqlite as sqlalchemy_aiosqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from store.db import make_engine
from store.sqlite_cursor import OneHopCursor

METADATA = sa.MetaData()
ITEMS = sa.Table(
    "items",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String, unique=True, nullable=False),
    sa.Column("size", sa.Integer),
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    built = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'items.db'}")
    async with built.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    yield built
    await built.dispose()


async def test_our_engines_run_their_statements_through_it(engine: AsyncEngine):
    assert sqlalchemy_aiosqlite.AsyncAdapt_aiosqlite_connection._cursor_cls is OneHopCursor
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection.cursor(), OneHopCursor)  # type: ignore[union-attr]


async def test_rows_counts_and_ids_are_the_drivers(engine: AsyncEngine):
    async with engine.begin() as conn:
        one = await conn.execute(sa.insert(ITEMS).values(name="a", size=1))
        assert one.rowcount == 1 and one.inserted_primary_key == (1,)
        many = await conn.execute(sa.insert(ITEMS), [{"name": "b", "size": 2}, {"name": "c", "size": 3}])
        assert many.rowcount == 2
        returned = await conn.execute(sa.insert(ITEMS).values(name="d", size=4).returning(ITEMS.c.id))
        assert returned.scalar_one() == 4
        moved = await conn.execute(sa.update(ITEMS).where(ITEMS.c.size >= 2).values(size=ITEMS.c.size + 10))
        assert moved.rowcount == 3
        none = await conn.execute(sa.update(ITEMS).where(ITEMS.c.name == "zz").values(size=0))
        assert none.rowcount == 0
        rows = (await conn.execute(sa.select(ITEMS.c.name, ITEMS.c.size).order_by(ITEMS.c.id))).all()
        assert [tuple(row) for row in rows] == [("a", 1), ("b", 12), ("c", 13), ("d", 14)]
        empty = await conn.execute(sa.select(ITEMS.c.name).where(ITEMS.c.size > 100))
        assert list(empty.keys()) == ["name"] and empty.all() == []


async def test_the_drivers_errors_come_through_as_sqlalchemys(engine: AsyncEngine):
    async with engine.begin() as conn:
        await conn.execute(sa.insert(ITEMS).values(name="a"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(sa.insert(ITEMS).values(name="a"))
    with pytest.raises(OperationalError, match="no such table"):
        async with engine.connect() as conn:
            await conn.execute(sa.text("SELECT * FROM nowhere"))
    async with engine.connect() as conn:  # the connection is usable after the errors
        assert await conn.scalar(sa.select(sa.func.count()).select_from(ITEMS)) == 1


async def test_streams_still_read_part_by_part(engine: AsyncEngine):
    async with engine.begin() as conn:
        await conn.execute(sa.insert(ITEMS), [{"name": f"n{i}", "size": i} for i in range(25)])
    async with engine.connect() as conn:
        result = await conn.stream(
            sa.select(ITEMS.c.size).order_by(ITEMS.c.id).execution_options(yield_per=10)
        )
        parts = [[size for (size,) in part] async for part in result.partitions()]
    assert [len(part) for part in parts] == [10, 10, 5] and parts[2][-1] == 24
