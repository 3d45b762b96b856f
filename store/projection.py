"""What every read model folded from the supervision ledger shares: rebuilding it case by case.

The inbox (store/inbox.py) and the cases' summaries (store/case_summaries.py) are each refreshed for
one case inside the transaction that appends its events; `onething ledger rebuild-inbox` /
`rebuild-summaries` throw one away and fold every case again with the same refresh.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.schema import Base, LedgerEventRow

RefreshCase = Callable[[AsyncSession, str], Awaitable[None]]


async def rebuild(sessions: async_sessionmaker[AsyncSession], table: type[Base], refresh: RefreshCase) -> int:
    """Empty `table`, then `refresh` every case of the ledger, one transaction per case; its rows."""
    async with sessions.begin() as session:
        await session.execute(sa.delete(table))
        case_ids = list(await session.scalars(sa.select(LedgerEventRow.case_id).distinct()))
    for case_id in case_ids:
        async with sessions.begin() as session:
            await refresh(session, case_id)
    async with sessions() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
