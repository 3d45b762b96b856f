"""The cases' summaries as a read model: one row per case, what the auditors' report reads.

Like the officers' inbox (store/inbox.py), a projection of the ledger written in the same transaction
as the events that change it (`replace_case`, called by store/ledger.py for the steps the report reads,
`STEPS_READ`): never ahead of or behind the ledger, no new activity nor history event, and rebuildable
(`rebuild`, `onething ledger rebuild-summaries`). The fold (domain/audit/summary.py) takes the case's
report steps, tens of rows, on each of them: the append hands over the ones it read and wrote.

`load_summaries` reads a period's summaries; `summaries_complete` tells whether every case of the
period has one (a store migrated to 0007 starts without any), so a report can fall back to the ledger.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.audit.facts import STEPS_READ, LedgerRecord
from domain.audit.figures import period_bounds
from domain.audit.summary import CaseSummary, summarise
from domain.case import Step
from store import projection
from store.schema import CaseSummaryRow, LedgerEventRow

YIELD_PER = 10_000


async def refresh_case(session: AsyncSession, case_id: str) -> None:
    """Fold the case's report steps again and replace its summary (inside the caller's transaction)."""
    await replace_case(session, case_id, await projection.read_case(session, case_id, STEPS_READ))


_DELETE_CASE = projection.delete_case_rows(projection.table_of(CaseSummaryRow))


async def replace_case(session: AsyncSession, case_id: str, events: Sequence[LedgerRecord]) -> None:
    """Replace the case's summary with the fold of `events` in seq order (steps not read are left out)."""
    read = [event for event in events if event.step in STEPS_READ]
    summary = summarise(read)
    table = projection.table_of(CaseSummaryRow)
    await session.execute(_DELETE_CASE, {"case_id": case_id})
    if summary is None:
        return
    await session.execute(sa.insert(table), [row_values(summary, read[-1].seq)])


def row_values(summary: CaseSummary, last_seq: int) -> dict[str, Any]:
    """The stored row of a summary. The JSON leaves out what equals its default (no cards, no clock
    stop …), a third shorter to read at each report; a row written whole (0007) reads the same."""
    return {
        "case_id": summary.case_id,
        "matter": summary.matter,
        "received_at": summary.received_at,
        "last_seq": last_seq,
        "summary": summary.model_dump(mode="json", exclude_defaults=True),
    }


async def rebuild(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Throw the summaries away and fold every case's ledger again, one transaction per case; the rows."""
    return await projection.rebuild(sessions, CaseSummaryRow, refresh_case)


async def load_summaries(
    session: AsyncSession, received_from: date | None = None, received_to: date | None = None
) -> list[CaseSummary]:
    """The summaries of the cases received in the period (every case when both bounds are None)."""
    validate = CaseSummary.model_validate_json
    return [
        validate(text)
        async for part in stream_summary_texts(session, received_from, received_to)
        for text in part
    ]


async def stream_summary_texts(
    session: AsyncSession, received_from: date | None = None, received_to: date | None = None
) -> AsyncIterator[list[str]]:
    """The stored JSON of `load_summaries`, in parts of up to `YIELD_PER`, for a report that
    validates each part (`CaseSummary.model_validate_json`) in a worker thread while the next is read."""
    stmt = sa.select(sa.cast(CaseSummaryRow.summary, sa.Text))  # a cast: asyncpg would decode JSON
    start, end = period_bounds(received_from, received_to)
    if start is not None:
        stmt = stmt.where(CaseSummaryRow.received_at >= start.astimezone(UTC))
    if end is not None:
        stmt = stmt.where(CaseSummaryRow.received_at < end.astimezone(UTC))
    connection = await session.connection()
    result = await connection.stream(stmt.execution_options(yield_per=YIELD_PER))
    async for partition in result.partitions():
        yield [text for (text,) in partition]


async def summaries_complete(
    session: AsyncSession, received_from: date | None = None, received_to: date | None = None
) -> bool:
    """Whether every case with a 收件 event in the period has its summary: no such event without
    one (an anti-join over the receipts index, which stops at the first case missing)."""
    start, end = period_bounds(received_from, received_to)
    missing = sa.select(LedgerEventRow.case_id).where(
        LedgerEventRow.step == Step.RECEIVED.value,
        ~sa.exists().where(CaseSummaryRow.case_id == LedgerEventRow.case_id),
    )
    if start is not None:
        missing = missing.where(LedgerEventRow.actual_at >= start.astimezone(UTC))
    if end is not None:
        missing = missing.where(LedgerEventRow.actual_at < end.astimezone(UTC))
    return not await session.scalar(sa.select(sa.exists(missing)))
