"""What `onething audit` and the portal's /audit read: ledger events, licences and 归集 deliveries.

One query per table, only the needed columns, no per-case round trips: a report over 100 000 cases
must stay within seconds. The cohort (cases whose 收件 falls in the period) is a subquery, so a period
reads only its own cases' events and licences.

`build_report` is the use case both entry points call. It checks the licences' seals with
`activities.seal.verify` (GmSSL's SM2, under a millisecond each): verified signatures are
remembered per process, and the whole computation runs in a worker thread so a server's event loop
keeps answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.seal import verify
from domain.audit import (
    STEPS_READ,
    AuditReport,
    LedgerRecord,
    LicenceRecord,
    compute_report,
    licence_is_qualified,
    period_bounds,
)
from domain.calendar import WorkingCalendar
from domain.case import Step
from store.ledger import BrokenChain, verify_chain
from store.schema import LedgerEventRow, LicenceRow, OutboxRow

LICENCE_REPOSITORY = "licence_repository"
"""The outbox destination of a licence's 归集 (collection into the provincial licence repository)."""

YIELD_PER = 10_000

_SIGNATURE_CACHE_LIMIT = 500_000
_verified: dict[bytes, bool] = {}


def _cohort(received_from: date | None, received_to: date | None) -> sa.Select[Any] | None:
    """The case ids received in the period, or None for every case."""
    start, end = period_bounds(received_from, received_to)
    if start is None and end is None:
        return None
    stmt = sa.select(LedgerEventRow.case_id).where(LedgerEventRow.step == Step.RECEIVED.value)
    if start is not None:
        stmt = stmt.where(LedgerEventRow.actual_at >= start.astimezone(UTC))
    if end is not None:
        stmt = stmt.where(LedgerEventRow.actual_at < end.astimezone(UTC))
    return stmt


async def load_ledger_records(
    session: AsyncSession, received_from: date | None = None, received_to: date | None = None
) -> list[LedgerRecord]:
    """The events the report reads (`STEPS_READ`) of the cases received in the period (every case
    when both bounds are None), each whole, so the report reads it through its typed model.

    Built for a million rows: Core rather than ORM, times and detail fetched raw (SQLAlchemy's
    per-value conversions cost more than the query).
    """
    stmt = sa.select(
        LedgerEventRow.case_id,
        LedgerEventRow.matter,
        LedgerEventRow.seq,
        LedgerEventRow.step,
        LedgerEventRow.department,
        LedgerEventRow.actor_role,
        sa.type_coerce(LedgerEventRow.planned_at, sa.String),
        sa.type_coerce(LedgerEventRow.actual_at, sa.String),
        LedgerEventRow.limit_working_days,
        LedgerEventRow.outcome,
        sa.type_coerce(LedgerEventRow.detail, sa.Text),
    ).where(LedgerEventRow.step.in_(STEPS_READ))
    cohort = _cohort(received_from, received_to)
    if cohort is not None:
        stmt = stmt.where(LedgerEventRow.case_id.in_(cohort))
    records: list[LedgerRecord] = []
    append = records.append
    connection = await session.connection()
    result = await connection.stream(stmt.execution_options(yield_per=YIELD_PER))
    async for partition in result.partitions():
        for row in partition:
            case_id, matter, seq, step, department, role, planned, actual, limit, outcome, detail = row
            append(
                LedgerRecord(
                    case_id,
                    matter,
                    seq,
                    step,
                    department,
                    role,
                    None if planned is None else _utc(planned),
                    _utc(actual),
                    limit,
                    outcome,
                    json.loads(detail) if isinstance(detail, str) else detail,
                )
            )
    return records


def _utc(value: str | datetime) -> datetime:
    """A stored time as an aware UTC datetime: SQLite gives the UTC wall time as text, asyncpg an
    aware datetime (store.schema.UTCDateTime wrote both)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")  # 5× faster than .replace(tzinfo=UTC)
    return value if value.tzinfo is UTC else value.astimezone(UTC)


async def load_licence_records(
    session: AsyncSession, received_from: date | None = None, received_to: date | None = None
) -> list[RawLicence]:
    """The licences of the cases received in the period, with whether their 归集 was delivered."""
    cohort = _cohort(received_from, received_to)
    delivered_stmt = sa.select(OutboxRow.payload["licence_id"].as_string()).where(
        OutboxRow.destination == LICENCE_REPOSITORY, OutboxRow.delivered_at.is_not(None)
    )
    licence_stmt = sa.select(
        LicenceRow.licence_id,
        LicenceRow.case_id,
        LicenceRow.payload,
        LicenceRow.signed_data,
        LicenceRow.signature,
        LicenceRow.public_key,
        LicenceRow.fetch_count,
    )
    if cohort is not None:
        delivered_stmt = delivered_stmt.where(OutboxRow.case_id.in_(cohort))
        licence_stmt = licence_stmt.where(LicenceRow.case_id.in_(cohort))
    delivered = set(await session.scalars(delivered_stmt))
    rows = (await session.execute(licence_stmt)).all()
    return [
        RawLicence(
            licence_id=row.licence_id,
            case_id=row.case_id,
            payload=row.payload,
            signed_data=row.signed_data,
            signature=row.signature,
            public_key=row.public_key,
            fetch_count=row.fetch_count,
            collected=row.licence_id in delivered,
        )
        for row in rows
    ]


class RawLicence:
    """A licence row as loaded, before its record and seal are checked."""

    __slots__ = (
        "case_id",
        "collected",
        "fetch_count",
        "licence_id",
        "payload",
        "public_key",
        "signature",
        "signed_data",
    )

    def __init__(
        self,
        *,
        licence_id: str,
        case_id: str,
        payload: dict[str, Any],
        signed_data: bytes,
        signature: bytes,
        public_key: str,
        fetch_count: int,
        collected: bool,
    ) -> None:
        self.licence_id = licence_id
        self.case_id = case_id
        self.payload = payload
        self.signed_data = signed_data
        self.signature = signature
        self.public_key = public_key
        self.fetch_count = fetch_count
        self.collected = collected

    def judge(self) -> LicenceRecord:
        """The KPI view: collected, qualified (record and seal check out), activated."""
        qualified = licence_is_qualified(
            self.payload, self.signed_data, self.signature, self.public_key, verify_remembered
        )
        return LicenceRecord(
            licence_id=self.licence_id,
            case_id=self.case_id,
            collected=self.collected,
            qualified=qualified,
            activated=self.fetch_count > 0,
        )


def verify_remembered(public_key_hex: str, data: bytes, signature: bytes) -> bool:
    """`activities.seal.verify`, remembered per (key, data, signature): a stored seal does not change."""
    key = hashlib.sha256(
        b"\0".join((public_key_hex.encode("ascii", "replace"), hashlib.sha256(data).digest(), signature))
    ).digest()
    known = _verified.get(key)
    if known is None:
        known = verify(public_key_hex, data, signature)
        if len(_verified) >= _SIGNATURE_CACHE_LIMIT:
            _verified.clear()
        _verified[key] = known
    return known


async def build_report(
    sessions: async_sessionmaker[AsyncSession],
    calendar: WorkingCalendar,
    *,
    now: datetime,
    received_from: date | None = None,
    received_to: date | None = None,
) -> AuditReport:
    """The auditors' report: read in one transaction (a consistent snapshot), compute in a thread."""
    with _collector_paused():
        async with sessions() as session, session.begin():
            events = await load_ledger_records(session, received_from, received_to)
            licences = await load_licence_records(session, received_from, received_to)

        def compute() -> AuditReport:
            return compute_report(
                events,
                [licence.judge() for licence in licences],
                calendar,
                now=now,
                received_from=received_from,
                received_to=received_to,
            )

        return await asyncio.to_thread(compute)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a million small tuples are made: the collector would walk
    them again and again (about a third of the time), and they hold no cycles to find."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def verify_ledger(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, Sequence[BrokenChain]]:
    """How many cases the ledger holds, and every case whose hash chain is broken."""
    async with sessions() as session, session.begin():
        cases = await session.scalar(sa.select(sa.func.count(sa.distinct(LedgerEventRow.case_id))))
        broken = await verify_chain(session)
    return int(cases or 0), broken
