"""Pre-fill (数据预填, 免提交): what the data-sharing platform already knows about a case.

Each matter has its pre-fill activity in a module of its own (`prefill_<matter>.py`), named in its
registry entry (workflows/matters.py); this module holds what they share. Each looks its registries
up in parallel inside one activity per case: one round trip to the Temporal server instead of one per
record, and a retry repeats only reads. A missing record is a fact for the matter's acceptance rules,
not an error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

_T = TypeVar("_T")


async def read(
    sessions: async_sessionmaker[AsyncSession], lookup: Callable[[AsyncSession], Awaitable[_T]]
) -> _T:
    """One registry look-up in a session of its own: a session is not safe for concurrent use."""
    async with sessions() as session:
        return await lookup(session)
