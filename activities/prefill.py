"""Pre-fill (数据预填, 免提交): what the data-sharing platform already knows about a case.

Each matter has its pre-fill activity in a module of its own (`prefill_<matter>.py`), named in its
registry entry (workflows/matters.py); this module holds what they share. Each reads its registries
inside one activity per case (one round trip to the Temporal server instead of one per record, and a
retry repeats only reads), in one reader's session (`registry_reads`). A missing record is a fact for
the matter's acceptance rules, not an error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.db import reading


@asynccontextmanager
async def registry_reads(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One session for all of a pre-fill's look-ups, one after the other: one snapshot of the
    registries and no write lock (`reading`). The look-ups once ran in parallel, a session each: on
    SQLite that cost a connection, a BEGIN IMMEDIATE and a thread hop per record — 25 ms of the
    worker's CPU and 60 ms of wall time per case, for reads of a few rows by primary key (issue 18)."""
    async with sessions() as session:
        await reading(session)
        yield session
