"""What `onething audit` and the portal's /audit read: ledger events, licences and 归集 deliveries.

One query per table, only the needed columns, no per-case round trips: a report over 100 000 cases
must stay within seconds. The cohort (cases whose 收件 falls in the period) is a subquery, so a period
reads only its own cases' events and licences.

The use case that computes the report from them is services/audit_report.py.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from domain.audit.facts import STEPS_READ, LedgerRecord, LicenceRecord
from domain.audit.figures import period_bounds
from domain.case import Step
from store.licences import collection_key_of_row, payload_text
from store.schema import LedgerEventRow, LicenceRow, OutboxRow

LICENCE_REPOSITORY = "licence_repository"
"""The outbox destination of a licence's 归集 (collection into the provincial licence repository)."""

YIELD_PER = 10_000


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
    return [
        licence
        async for part in stream_licence_records(session, received_from, received_to)
        for licence in part
    ]


async def stream_licence_records(
    session: AsyncSession, received_from: date | None = None, received_to: date | None = None
) -> AsyncIterator[list[RawLicence]]:
    """`load_licence_records` in parts of up to `YIELD_PER`: a report judges each part and keeps only
    the verdicts, not 100 000 records and signatures at once."""
    cohort = _cohort(received_from, received_to)
    delivered_stmt = sa.select(OutboxRow.payload["licence_id"].as_string()).where(
        OutboxRow.destination == LICENCE_REPOSITORY, OutboxRow.delivered_at.is_not(None)
    )
    licence_stmt = _of_period(sa.select(*_WHOLE), cohort)
    if cohort is not None:
        delivered_stmt = delivered_stmt.where(OutboxRow.case_id.in_(cohort))
    delivered = set(await session.scalars(delivered_stmt))
    connection = await session.connection()
    result = await connection.stream(licence_stmt.execution_options(yield_per=YIELD_PER))
    async for partition in result.partitions():
        yield [_raw(row, row[0] in delivered) for row in partition]


_S = TypeVar("_S", bound=sa.Select[*tuple[Any, ...]])


def _of_period(stmt: _S, cohort: sa.Select[Any] | None) -> _S:
    """`stmt` over licences, kept to the licences of the cohort's cases (all when None)."""
    return stmt if cohort is None else stmt.where(LicenceRow.case_id.in_(cohort))


def _collected() -> sa.Exists:
    """Whether the licence row's 归集 message is delivered: its one key, looked up by the outbox's
    unique index (the same message `stream_licence_records` finds by the licence id in its payload,
    reading every 归集 message of the period)."""
    return sa.exists().where(
        OutboxRow.idempotency_key == collection_key_of_row(), OutboxRow.delivered_at.is_not(None)
    )


_JUDGED = sa.and_(LicenceRow.seal_valid.is_not(None), LicenceRow.record_valid.is_not(None))


async def stream_licence_verdicts(
    session: AsyncSession, received_from: date | None = None, received_to: date | None = None
) -> AsyncIterator[list[LicenceRecord]]:
    """The licences of the period with both verdicts stored, judged by them, in parts of up to
    `YIELD_PER`: neither record nor seal is read. A stored verdict is about the row as it is: the
    database clears both when an UPDATE changes what they judged (migration 0010). The licences
    without one: `load_unjudged_licences`."""
    stmt = _of_period(
        sa.select(
            LicenceRow.licence_id,
            LicenceRow.case_id,
            _collected(),
            LicenceRow.seal_valid & LicenceRow.record_valid,
            LicenceRow.activated_at.is_not(None),
        ).where(_JUDGED),
        _cohort(received_from, received_to),
    )
    connection = await session.connection()
    result = await connection.stream(stmt.execution_options(yield_per=YIELD_PER))
    async for partition in result.partitions():
        yield [
            LicenceRecord(
                licence_id=licence_id,
                case_id=case_id,
                collected=bool(collected),
                qualified=bool(qualified),
                activated=bool(activated),
            )
            for licence_id, case_id, collected, qualified, activated in partition
        ]


async def load_unjudged_licences(
    session: AsyncSession, received_from: date | None = None, received_to: date | None = None
) -> list[RawLicence]:
    """The licences of the period missing a stored verdict (issued before 0007 or 0009, or changed
    since), whole, for the report to check; their 归集 as `stream_licence_verdicts` finds it."""
    stmt = _of_period(sa.select(*_WHOLE, _collected()).where(~_JUDGED), _cohort(received_from, received_to))
    return [_raw(row, bool(row[-1])) for row in await session.execute(stmt)]


_WHOLE = (
    LicenceRow.licence_id,
    LicenceRow.case_id,
    payload_text(),  # parsed only when no stored verdict fits it
    LicenceRow.signed_data,
    LicenceRow.signature,
    LicenceRow.public_key,
    LicenceRow.activated_at.is_not(None),
    LicenceRow.seal_valid,
    LicenceRow.sealed_sha256,
    LicenceRow.record_valid,
    LicenceRow.record_sha256,
)
"""A licence row whole, in the order `_raw` reads it."""


def _raw(row: Sequence[Any], collected: bool) -> RawLicence:
    licence_id, case_id, text, signed, signature, key, activated, seal, sealed, record, recorded = row[:11]
    return RawLicence(
        licence_id=licence_id,
        case_id=case_id,
        payload_text=text,
        signed_data=signed,
        signature=signature,
        public_key=key,
        activated=bool(activated),
        collected=collected,
        seal_valid=seal,
        sealed_sha256=sealed,
        record_valid=record,
        record_sha256=recorded,
    )


class RawLicence:
    """A licence row as loaded, before its record and seal are checked."""

    __slots__ = (
        "activated",
        "case_id",
        "collected",
        "licence_id",
        "payload_text",
        "public_key",
        "record_sha256",
        "record_valid",
        "seal_valid",
        "sealed_sha256",
        "signature",
        "signed_data",
    )

    def __init__(
        self,
        *,
        licence_id: str,
        case_id: str,
        payload_text: str,
        signed_data: bytes,
        signature: bytes,
        public_key: str,
        activated: bool,
        collected: bool,
        seal_valid: bool | None = None,
        sealed_sha256: str | None = None,
        record_valid: bool | None = None,
        record_sha256: str | None = None,
    ) -> None:
        self.licence_id = licence_id
        self.case_id = case_id
        self.payload_text = payload_text  # the catalogue record as stored (JSON text)
        self.signed_data = signed_data
        self.signature = signature
        self.public_key = public_key
        self.activated = activated  # its holder fetched it (激活): store.licences.record_fetch
        self.collected = collected
        self.seal_valid = seal_valid  # the verdict stored at issue (None: none stored)
        self.sealed_sha256 = sealed_sha256  # what that verdict is about: store.licences.seal_digest
        self.record_valid = record_valid  # the record's verdict stored at issue (None: none stored)
        self.record_sha256 = record_sha256  # what it is about: store.licences.record_digest

    @property
    def payload(self) -> Any:
        """The catalogue record, parsed (JSON: any value, a dict when well formed)."""
        return json.loads(self.payload_text)
