"""The efficiency e-supervision ledger (行政效能电子监察): append-only, hash-chained per case.

Each stage of a case writes its 受理/承办/审核/决定/办结 (and 补正, 停表, 复表, warnings, cards)
events here; `onething audit` reads only this ledger. Events are projections of the Temporal history,
written by activities with idempotency keys, so a retried activity never writes an event twice. An
append that changes a case's tasks also refreshes the case's rows of the officers' inbox, in the same
transaction (store/inbox.py).

Every case's events are numbered 1, 2, 3… (`seq`) and chained: `hash` is SHA-256 over the previous
event's hash and a canonical JSON of the event's content. Editing, deleting or reordering stored
events breaks the chain, and `verify_chain` names the case and the first bad event. Removing the
*last* events of a case leaves a valid shorter chain; catching that needs the head hash kept
elsewhere (for example in the case's Temporal history).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections.abc import Sequence
from datetime import UTC
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.audit.facts import STEPS_READ, LedgerRecord
from domain.events import SupervisionEventIn, UnreadableEvent, read_row
from domain.inbox import INBOX_STEPS
from store import case_summaries, inbox, projection
from store.schema import GENESIS_HASH, LedgerEventRow

APPEND_ATTEMPTS = 5
"""Transactions an append may try before giving up on conflicting writers."""


class SupervisionEvent(SupervisionEventIn):
    """A stored supervision event."""

    id: int
    seq: int
    prev_hash: str
    hash: str


class BrokenChain(BaseModel):
    """A case whose chain does not verify, and the first event where it breaks."""

    case_id: str
    seq: int
    reason: str


class LedgerConflict(Exception):
    """An idempotency key already used by another case: two writers share a key by mistake."""


_CONTENT_FIELDS = (
    "case_id",
    "matter",
    "seq",
    "step",
    "department",
    "actor_role",
    "planned_at",
    "actual_at",
    "limit_working_days",
    "outcome",
    "detail",
    "idempotency_key",
)


def canonical_content(fields: dict[str, Any]) -> str:
    """The hashed text of an event: its content fields as JSON, sorted keys, UTC ISO times."""
    content = {name: fields[name] for name in _CONTENT_FIELDS}
    for name in ("planned_at", "actual_at"):
        if content[name] is not None:
            content[name] = content[name].astimezone(UTC).isoformat()
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def chain_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_content(fields)).encode("utf-8")).hexdigest()


async def append_events(
    sessions: async_sessionmaker[AsyncSession], events: Sequence[SupervisionEventIn]
) -> list[int]:
    """Append `events` in one transaction; return each one's seq, in the order given.

    Every event must parse as its step's typed model (domain/events.py), else `UnreadableEvent` and
    nothing of the batch is written. Idempotent: an event whose idempotency key is already stored
    is skipped and its stored seq returned. Concurrent appends to the same case are safe:
    UNIQUE(case_id, seq) rejects a second writer that read the same tail, and the append is retried
    from a fresh transaction. (SQLite serialises writers anyway; PostgreSQL also queues writers of
    one case on an advisory lock, so retries stay rare.)
    """
    if not events:
        return []
    for event in events:
        read_row(event)  # raises UnreadableEvent: nothing is written that the readers could not parse
    for attempt in range(1, APPEND_ATTEMPTS + 1):
        try:
            async with sessions.begin() as session:
                return await _append(session, events)
        except IntegrityError:
            if attempt == APPEND_ATTEMPTS:
                raise
            await asyncio.sleep(random.uniform(0, 0.005 * 2**attempt))
    raise AssertionError("unreachable")


async def _append(session: AsyncSession, events: Sequence[SupervisionEventIn]) -> list[int]:
    case_ids = sorted({event.case_id for event in events})
    if session.get_bind().dialect.name == "postgresql":
        # Sorted, so two batches touching the same cases lock them in the same order.
        for case_id in case_ids:
            await session.execute(
                sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                {"key": f"onething.ledger:{case_id}"},
            )
    keys = {event.idempotency_key for event in events}
    known: dict[str, tuple[str, int]] = {
        key: (case_id, seq)
        for key, case_id, seq in (await session.execute(_EVENTS_OF_KEYS, {"keys": list(keys)}))
    }
    # A case whose new events move a read model is read whole, once: that one read gives its tail
    # and, with the new events in hand, what the inbox and the summary fold (no re-read after the insert).
    folded = {
        event.case_id
        for event in events
        if event.idempotency_key not in known and (event.step in INBOX_STEPS or event.step in STEPS_READ)
    }
    history: dict[str, list[LedgerRecord]] = {}
    tails: dict[str, tuple[int, str]] = {}
    rows: list[dict[str, Any]] = []
    seqs: list[int] = []
    inbox_changed: set[str] = set()
    summary_changed: set[str] = set()
    for event in events:
        if event.idempotency_key in known:
            case_id, seq = known[event.idempotency_key]
            if case_id != event.case_id:
                raise LedgerConflict(
                    f"idempotency key {event.idempotency_key!r} already used by case {case_id!r}"
                )
            seqs.append(seq)
            continue
        if event.case_id not in tails:
            if event.case_id in folded:
                history[event.case_id], tails[event.case_id] = await _history(session, event.case_id)
            else:
                tails[event.case_id] = await _tail(session, event.case_id)
        last_seq, prev_hash = tails[event.case_id]
        fields = {**event.model_dump(), "seq": last_seq + 1}
        row = {**fields, "prev_hash": prev_hash, "hash": chain_hash(prev_hash, fields)}
        rows.append(row)
        if event.case_id in history:
            history[event.case_id].append(_record(fields))
        tails[event.case_id] = (row["seq"], row["hash"])
        known[event.idempotency_key] = (event.case_id, row["seq"])
        seqs.append(row["seq"])
        if event.step in INBOX_STEPS:
            inbox_changed.add(event.case_id)
        if event.step in STEPS_READ:
            summary_changed.add(event.case_id)
    if rows:
        # One executemany, in the order given (the ids follow it); the rows need no ORM identity.
        await session.execute(sa.insert(projection.table_of(LedgerEventRow)), rows)
    # The read models move with the ledger, in the same transaction: the inbox (store/inbox.py) and
    # the summaries the audit reads (store/case_summaries.py).
    for case_id in sorted(inbox_changed):
        await inbox.replace_case(session, case_id, history[case_id])
    for case_id in sorted(summary_changed):
        await case_summaries.replace_case(session, case_id, history[case_id])
    return seqs


# The append's statements, built once (with their cache keys): every workflow task of every case
# appends, and building them anew cost about a fifth of each statement (issue 18).
_EVENTS_OF_KEYS = sa.select(LedgerEventRow.idempotency_key, LedgerEventRow.case_id, LedgerEventRow.seq).where(
    LedgerEventRow.idempotency_key.in_(sa.bindparam("keys", expanding=True))
)
_TAIL = (
    sa.select(LedgerEventRow.seq, LedgerEventRow.hash)
    .where(LedgerEventRow.case_id == sa.bindparam("case_id"))
    .order_by(LedgerEventRow.seq.desc())
    .limit(1)
)
_HISTORY = (
    sa.select(*projection.RECORD_COLUMNS, LedgerEventRow.hash)
    .where(LedgerEventRow.case_id == sa.bindparam("case_id"))
    .order_by(LedgerEventRow.seq)
)


async def _tail(session: AsyncSession, case_id: str) -> tuple[int, str]:
    last = (await session.execute(_TAIL, {"case_id": case_id})).first()
    return (0, GENESIS_HASH) if last is None else (last.seq, last.hash)


async def _history(session: AsyncSession, case_id: str) -> tuple[list[LedgerRecord], tuple[int, str]]:
    """The case's stored events in seq order, and its tail (seq and hash of the last one)."""
    stored = (await session.execute(_HISTORY, {"case_id": case_id})).all()
    records = [LedgerRecord(*row[:-1]) for row in stored]
    return records, (0, GENESIS_HASH) if not stored else (stored[-1].seq, stored[-1].hash)


def _record(fields: dict[str, Any]) -> LedgerRecord:
    """A new event as the folds would read it back: times in UTC and the detail through JSON, like
    the columns return them (store/schema.py `UTCDateTime`, `sa.JSON`), so a fold at append and a
    rebuild from the ledger store the same read models."""
    values = {column.key: fields[column.key] for column in projection.RECORD_COLUMNS}
    for name in ("planned_at", "actual_at"):
        if values[name] is not None:
            values[name] = values[name].astimezone(UTC)
    values["detail"] = json.loads(json.dumps(values["detail"]))
    return LedgerRecord(**values)


async def list_events(session: AsyncSession, case_id: str) -> list[SupervisionEvent]:
    rows = await session.scalars(
        sa.select(LedgerEventRow).where(LedgerEventRow.case_id == case_id).order_by(LedgerEventRow.seq)
    )
    return [_to_event(row) for row in rows]


async def verify_chain(session: AsyncSession, case_id: str | None = None) -> list[BrokenChain]:
    """Every case whose chain is broken (or just `case_id`), with the first bad seq and why.

    Detects an edited event (its hash no longer matches its content), a deleted one (a gap in
    seq), moved or swapped hashes (`prev_hash` not linking to the event before), and an event that
    does not parse as its step's typed model (domain/events.py), which the audit would leave out.
    """
    stmt = sa.select(LedgerEventRow).order_by(LedgerEventRow.case_id, LedgerEventRow.seq)
    if case_id is not None:
        stmt = stmt.where(LedgerEventRow.case_id == case_id)
    broken: list[BrokenChain] = []
    current: str | None = None
    expected_seq, prev_hash, done = 1, GENESIS_HASH, False
    result = await session.stream_scalars(stmt.execution_options(yield_per=1000))
    async for row in result:
        if row.case_id != current:
            current, expected_seq, prev_hash, done = row.case_id, 1, GENESIS_HASH, False
        if done:
            continue
        problem = _check(row, expected_seq, prev_hash)
        if problem is not None:
            bad_seq, reason = problem
            broken.append(BrokenChain(case_id=row.case_id, seq=bad_seq, reason=reason))
            done = True
            continue
        expected_seq, prev_hash = row.seq + 1, row.hash
    return broken


def _check(row: LedgerEventRow, expected_seq: int, prev_hash: str) -> tuple[int, str] | None:
    if row.seq != expected_seq:
        if row.seq > expected_seq:
            return expected_seq, f"event {expected_seq} is missing (next stored event is {row.seq})"
        return row.seq, f"unexpected seq {row.seq} where {expected_seq} was due"
    if row.prev_hash != prev_hash:
        return row.seq, "prev_hash does not link to the event before"
    if row.hash != chain_hash(row.prev_hash, _fields(row)):
        return row.seq, "hash does not match the event's content (edited)"
    try:
        read_row(row)
    except UnreadableEvent as exc:
        return row.seq, f"does not parse as its step's event: {exc}"
    return None


def _fields(row: LedgerEventRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _CONTENT_FIELDS}


def _to_event(row: LedgerEventRow) -> SupervisionEvent:
    return SupervisionEvent(**_fields(row), id=row.id, prev_hash=row.prev_hash, hash=row.hash)
