"""What every read model folded from the supervision ledger shares: rebuilding it case by case.

The inbox (store/inbox.py) and the cases' summaries (store/case_summaries.py) are each refreshed for
one case inside the transaction that appends its events; `onething ledger rebuild-inbox` /
`rebuild-summaries` throw one away and fold every case again with the same refresh. Both fold a
case's events as `LedgerRecord`s: read here by `read_case`, or handed over by the append that has them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.audit.facts import LedgerRecord
from store.schema import Base, LedgerEventRow

RefreshCase = Callable[[AsyncSession, str], Awaitable[None]]


def table_of(model: type[Base]) -> sa.Table:
    """A model's Core table, for rows written and never read back as objects (the folds' rows, the
    outbox's): without the ORM's unit of work (one executemany, no identity map)."""
    table = model.__table__
    assert isinstance(table, sa.Table)
    return table


def delete_case_rows(table: sa.Table) -> sa.Delete:
    """The statement that empties a read model of one case (bind `case_id`), built once by each
    projection: every ledger append that moves it runs it."""
    return sa.delete(table).where(table.c.case_id == sa.bindparam("case_id"))


RECORD_COLUMNS = tuple(LedgerEventRow.__table__.c[name] for name in LedgerRecord._fields)
"""The ledger's columns a `LedgerRecord` holds, in its order."""


async def read_case(
    session: AsyncSession, case_id: str, steps: Collection[str] | None = None
) -> list[LedgerRecord]:
    """The case's events (only `steps`, when given) in seq order."""
    stmt = sa.select(*RECORD_COLUMNS).where(LedgerEventRow.case_id == case_id)
    if steps is not None:
        stmt = stmt.where(LedgerEventRow.step.in_(steps))
    return [LedgerRecord(*row) for row in await session.execute(stmt.order_by(LedgerEventRow.seq))]


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
