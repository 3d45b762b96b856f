"""The outbox: idempotent enqueue, delivery once, retries with backoff, two relays at once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from store.outbox import (
    LEASE,
    DeliveryReport,
    OutboxMessage,
    OutboxMessageIn,
    deliver_pending,
    enqueue,
    list_messages,
    retry_delay,
)
from store.schema import OutboxRow
from tests.store.conftest import Db

NOW = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)


def message(key: str, case_id: str = "case-1") -> OutboxMessageIn:
    return OutboxMessageIn(
        idempotency_key=key, destination="checkpoint", case_id=case_id, payload={"key": key}
    )


async def fill(db: Db, n: int) -> None:
    async with db.sessions.begin() as session:
        await enqueue(session, [message(f"m{i}") for i in range(n)], now=NOW)


async def stored(db: Db) -> list[OutboxMessage]:
    async with db.sessions() as session:
        return await list_messages(session)


async def test_enqueue_is_idempotent_by_key(db: Db):
    async with db.sessions.begin() as session:
        assert await enqueue(session, [message("a"), message("b")], now=NOW) == 2
    async with db.sessions.begin() as session:
        assert await enqueue(session, [message("b"), message("c")], now=NOW) == 1
        assert await enqueue(session, [], now=NOW) == 0
    assert [m.idempotency_key for m in await stored(db)] == ["a", "b", "c"]


async def test_due_messages_are_delivered_once(db: Db):
    await fill(db, 3)
    sent: list[str] = []

    async def send(m: OutboxMessage) -> None:
        sent.append(m.idempotency_key)

    report = await deliver_pending(db.sessions, send, NOW)
    again = await deliver_pending(db.sessions, send, NOW + timedelta(days=1))
    assert sent == ["m0", "m1", "m2"]
    assert report.claimed == 3 and report.failed == []
    assert again == DeliveryReport()
    assert all(m.delivered_at == NOW and m.attempts == 1 for m in await stored(db))


async def test_messages_not_yet_due_wait(db: Db):
    await fill(db, 1)
    report = await deliver_pending(db.sessions, _never_called, NOW - timedelta(seconds=1))
    assert report.claimed == 0


async def _never_called(m: OutboxMessage) -> None:
    raise AssertionError("nothing is due")


async def test_a_failed_send_is_retried_after_a_growing_delay(db: Db):
    await fill(db, 1)
    outcomes = iter([ConnectionError("checkpoint down"), TimeoutError("slow"), None])

    async def flaky(m: OutboxMessage) -> None:
        error = next(outcomes)
        if error is not None:
            raise error

    first = await deliver_pending(db.sessions, flaky, NOW)
    (after_first,) = await stored(db)
    assert first.failed == [after_first.id]
    assert after_first.delivered_at is None and after_first.attempts == 1
    assert after_first.last_error == "ConnectionError: checkpoint down"
    assert after_first.next_attempt_at == NOW + retry_delay(1) == NOW + timedelta(seconds=30)

    # Not due again until the backoff has passed.
    assert (await deliver_pending(db.sessions, flaky, NOW + timedelta(seconds=29))).claimed == 0
    second_time = NOW + timedelta(seconds=30)
    assert (await deliver_pending(db.sessions, flaky, second_time)).failed == [after_first.id]
    (after_second,) = await stored(db)
    assert after_second.attempts == 2
    assert after_second.next_attempt_at == second_time + timedelta(minutes=1)

    third_time = second_time + timedelta(minutes=1)
    assert (await deliver_pending(db.sessions, flaky, third_time)).delivered == [after_first.id]
    (delivered,) = await stored(db)
    assert delivered.delivered_at == third_time and delivered.attempts == 3


async def test_a_batch_is_sent_at_once_so_one_slow_receiver_does_not_hold_the_rest(db: Db):
    """Each send waits until every message of the batch has been handed over: sent one after another,
    the first would wait for ever (here: fail after two seconds) and the batch could outlast its lease."""
    await fill(db, 3)
    handed: set[str] = set()
    all_handed = asyncio.Event()

    async def send(m: OutboxMessage) -> None:
        handed.add(m.idempotency_key)
        if len(handed) == 3:
            all_handed.set()
        await asyncio.wait_for(all_handed.wait(), timeout=2)

    report = await deliver_pending(db.sessions, send, NOW)
    assert (len(report.delivered), report.failed) == (3, [])
    assert all(m.delivered_at == NOW for m in await stored(db))


def test_backoff_doubles_up_to_an_hour():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(50) == timedelta(hours=1)


async def test_two_relays_deliver_each_message_exactly_once(db: Db):
    await fill(db, 40)
    sent: Counter[str] = Counter()

    async def send(m: OutboxMessage) -> None:
        await asyncio.sleep(0.001)  # let the other relay run while this one is sending
        sent[m.idempotency_key] += 1

    async def relay() -> int:
        total = 0
        while (report := await deliver_pending(db.sessions, send, NOW, limit=5)).claimed:
            total += report.claimed
        return total

    totals = await asyncio.gather(relay(), relay())
    assert sum(totals) == 40
    assert sent == Counter({f"m{i}": 1 for i in range(40)})
    assert all(m.delivered_at is not None for m in await stored(db))


async def test_a_relay_whose_lease_ran_out_does_not_overwrite_the_new_owner(db: Db):
    await fill(db, 1)

    async def slow_then_fail(m: OutboxMessage) -> None:
        # While this relay is stuck, its lease runs out and another relay delivers the message.
        report = await deliver_pending(db.sessions, _ok, NOW + LEASE)
        assert report.claimed == 1
        raise ConnectionError("too late")

    await deliver_pending(db.sessions, slow_then_fail, NOW)
    (message_after,) = await stored(db)
    assert message_after.delivered_at == NOW + LEASE
    assert message_after.last_error is None


async def _ok(m: OutboxMessage) -> None:
    return None


async def test_delivered_messages_stay_for_the_record(db: Db):
    await fill(db, 2)
    await deliver_pending(db.sessions, _ok, NOW)
    async with db.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(OutboxRow)) == 2
