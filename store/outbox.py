"""The transactional outbox: messages written with the data that caused them, delivered afterwards.

An issued licence and its "归集 to the licence repository", "push to checkpoints" and "notify"
messages are written in one transaction (`store.licences.save_licence_once`); a relay then delivers
them with `deliver_pending`. Delivery is at least once — a relay that dies after sending but before
marking sends again when the lease runs out — so every receiver deduplicates by `idempotency_key`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.db import upsert_insert
from store.projection import table_of
from store.schema import OutboxRow

_outbox = table_of(OutboxRow)

LEASE = timedelta(seconds=60)
"""How long a claimed message is hidden from other relays while one relay sends it: the batch is sent
at once, so this must outlast one send (the HTTP sender gives up after 10 s) and the settling. It is
also how long messages wait after their relay was killed mid-batch before another picks them up."""

RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the `attempts`-th failed attempt: 30 s, 1 min, 2 min, … capped at 1 h."""
    return min(RETRY_BASE * (1 << min(max(attempts - 1, 0), 20)), RETRY_MAX)


class OutboxMessageIn(BaseModel):
    """A message to enqueue. `destination` is "licence_repository", "checkpoint" or "notice"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    idempotency_key: str = Field(min_length=1, max_length=300)
    destination: str = Field(min_length=1, max_length=64)
    case_id: str = Field(min_length=1, max_length=200)
    payload: dict[str, Any]


class OutboxMessage(OutboxMessageIn):
    """A stored message, as handed to the sender."""

    id: int
    created_at: AwareDatetime
    delivered_at: AwareDatetime | None
    attempts: int
    last_error: str | None
    next_attempt_at: AwareDatetime


class DeliveryReport(BaseModel):
    """What one `deliver_pending` run did: the ids it delivered and the ids that failed."""

    delivered: list[int] = []
    failed: list[int] = []

    @property
    def claimed(self) -> int:
        return len(self.delivered) + len(self.failed)


async def enqueue(
    session: AsyncSession, messages: Sequence[OutboxMessageIn], *, now: datetime | None = None
) -> int:
    """Add `messages` in the caller's transaction; a key already queued is skipped. Returns how many
    were new. Does not commit."""
    if not messages:
        return 0
    at = now or datetime.now(UTC)
    rows = [
        {**message.model_dump(), "created_at": at, "attempts": 0, "next_attempt_at": at}
        for message in messages
    ]
    # One statement with its rows as parameters (an executemany, rendered as one INSERT … VALUES per
    # batch): compiled once and cached. With the rows inside it (`.values(rows)`), every call
    # compiled it anew — a third of a licence's issue (issue 18). On the Core table: the ORM's bulk
    # insert path around it cost as much again.
    stmt = upsert_insert(session, _outbox).on_conflict_do_nothing(index_elements=["idempotency_key"])
    result = await session.execute(stmt.returning(_outbox.c.id), rows)
    return len(result.all())


async def deliver_pending(
    sessions: async_sessionmaker[AsyncSession],
    send: Callable[[OutboxMessage], Awaitable[None]],
    now: datetime,
    limit: int = 100,
) -> DeliveryReport:
    """Claim up to `limit` due messages, `send` them concurrently, then mark each delivered or schedule
    its retry.

    The claim is a short transaction that leases the messages (moves `next_attempt_at` past the
    lease and counts the attempt); sending happens outside any transaction, so a slow receiver
    holds no database lock. Two relays never claim the same message: PostgreSQL claims with
    SELECT … FOR UPDATE SKIP LOCKED, SQLite has a single writer. A failed send records the error
    and retries after `retry_delay(attempts)`.
    """
    report = DeliveryReport()
    messages = await _claim(sessions, now, limit)
    if not messages:
        return report
    # Sent together, so a batch takes about as long as its slowest send, well inside the lease.
    outcomes = await asyncio.gather(*(send(message) for message in messages), return_exceptions=True)
    # Settled in one transaction (one per message cost the worker a BEGIN, an UPDATE and a COMMIT
    # each: three per class I case). Should it fail, the lease runs out and the batch is sent again,
    # as after a relay that stopped mid-batch: at least once, each with its idempotency key.
    async with sessions.begin() as session:
        delivered: list[dict[str, Any]] = []
        for message, outcome in zip(messages, outcomes, strict=True):
            if isinstance(outcome, Exception):  # any failure of the receiver: record it and retry later
                await _settle(
                    session,
                    message,
                    last_error=f"{type(outcome).__name__}: {outcome}"[:2000],
                    next_attempt_at=now + retry_delay(message.attempts),
                )
                report.failed.append(message.id)
            elif isinstance(outcome, BaseException):  # cancelled: the relay is stopping; the lease runs out
                raise outcome
            else:
                delivered.append({"message_id": message.id, "leased_attempts": message.attempts, "at": now})
                report.delivered.append(message.id)
        if delivered:  # the usual outcome: one executemany for the batch
            await session.execute(_SETTLE_DELIVERED, delivered)
    return report


# `attempts` unchanged means our lease still holds (as in `_settle`).
_SETTLE_DELIVERED = (
    sa.update(_outbox)
    .where(_outbox.c.id == sa.bindparam("message_id"), _outbox.c.attempts == sa.bindparam("leased_attempts"))
    .values(delivered_at=sa.bindparam("at"))
)


async def _claim(
    sessions: async_sessionmaker[AsyncSession], now: datetime, limit: int
) -> list[OutboxMessage]:
    async with sessions.begin() as session:
        ids = list(
            await session.scalars(
                sa.select(OutboxRow.id)
                .where(OutboxRow.delivered_at.is_(None), OutboxRow.next_attempt_at <= now)
                .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
        await session.execute(
            sa.update(OutboxRow)
            .where(OutboxRow.id.in_(ids))
            .values(attempts=OutboxRow.attempts + 1, next_attempt_at=now + LEASE)
        )
        rows = await session.scalars(
            sa.select(OutboxRow)
            .where(OutboxRow.id.in_(ids))
            .order_by(OutboxRow.id)
            .execution_options(populate_existing=True)
        )
        return [OutboxMessage.model_validate(row, from_attributes=True) for row in rows]


async def _settle(session: AsyncSession, message: OutboxMessage, **values: Any) -> None:
    # `attempts` unchanged means our lease still holds: if it ran out and another relay claimed the
    # message, that relay's outcome is the one that counts.
    await session.execute(
        sa.update(OutboxRow)
        .where(OutboxRow.id == message.id, OutboxRow.attempts == message.attempts)
        .values(**values)
    )


async def list_messages(session: AsyncSession, case_id: str | None = None) -> list[OutboxMessage]:
    stmt = sa.select(OutboxRow).order_by(OutboxRow.id)
    if case_id is not None:
        stmt = stmt.where(OutboxRow.case_id == case_id)
    return [OutboxMessage.model_validate(row, from_attributes=True) for row in await session.scalars(stmt)]
