"""The supervision ledger: idempotent appends, a hash chain per case that survives concurrency and
exposes tampering."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

import store.ledger
from domain.events import UnreadableEvent
from store.ledger import (
    LedgerConflict,
    SupervisionEventIn,
    append_events,
    chain_hash,
    list_events,
    verify_chain,
)
from store.schema import GENESIS_HASH, LedgerEventRow
from tests.ledger_events import sample_row
from tests.store.conftest import Db

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
CASE = "oversize-permit-SUB-0001"


def event(
    key: str, step: str = "受理", *, case_id: str = CASE, minutes: int = 0, **extra: object
) -> SupervisionEventIn:
    row = sample_row(step, case_id=case_id, key=key, actual_at=T0 + timedelta(minutes=minutes))
    return SupervisionEventIn.model_validate({**row.model_dump(), **extra})


async def test_append_numbers_and_chains_a_case(db: Db):
    seqs = await append_events(db.sessions, [event(f"{CASE}:{i}", minutes=i) for i in range(3)])
    assert seqs == [1, 2, 3]
    async with db.sessions() as session:
        events = await list_events(session, CASE)
        assert await verify_chain(session) == []
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert events[0].detail == sample_row("受理", case_id=CASE, key="-", actual_at=T0).detail
    assert events[0].actual_at == T0 and events[0].actual_at.tzinfo == UTC


async def test_cases_are_numbered_independently(db: Db):
    seqs = await append_events(
        db.sessions,
        [event("a1", case_id="A"), event("b1", case_id="B"), event("a2", case_id="A")],
    )
    assert seqs == [1, 1, 2]


async def test_the_same_key_twice_is_one_event(db: Db):
    first = await append_events(db.sessions, [event("k1"), event("k2", "承办")])
    again = await append_events(db.sessions, [event("k2", "承办"), event("k1"), event("k3", "审核")])
    in_one_batch = await append_events(db.sessions, [event("k4", "决定"), event("k4", "决定")])
    assert first == [1, 2]
    assert again == [2, 1, 3]
    assert in_one_batch == [4, 4]
    async with db.sessions() as session:
        assert [e.idempotency_key for e in await list_events(session, CASE)] == ["k1", "k2", "k3", "k4"]


async def test_a_key_of_another_case_is_a_conflict(db: Db):
    await append_events(db.sessions, [event("shared", case_id="A")])
    with pytest.raises(LedgerConflict, match="already used by case 'A'"):
        await append_events(db.sessions, [event("shared", case_id="B")])


async def test_the_hash_does_not_depend_on_the_time_zone_given():
    beijing = timezone(timedelta(hours=8))
    in_utc = event("k").model_dump()
    in_beijing = event("k", actual_at=T0.astimezone(beijing)).model_dump()
    assert chain_hash(GENESIS_HASH, {**in_utc, "seq": 1}) == chain_hash(
        GENESIS_HASH, {**in_beijing, "seq": 1}
    )


async def test_fifty_concurrent_appends_to_one_case_form_one_chain(db: Db):
    results = await asyncio.gather(
        *(append_events(db.sessions, [event(f"{CASE}:{i}", minutes=i)]) for i in range(50))
    )
    assert sorted(seq for (seq,) in results) == list(range(1, 51))
    async with db.sessions() as session:
        assert [e.seq for e in await list_events(session, CASE)] == list(range(1, 51))
        assert await verify_chain(session, CASE) == []


async def test_concurrent_retries_of_the_same_event_store_it_once(db: Db):
    results = await asyncio.gather(*(append_events(db.sessions, [event("same")]) for _ in range(10)))
    assert results == [[1]] * 10
    async with db.sessions() as session:
        assert len(await list_events(session, CASE)) == 1


@pytest.mark.parametrize(
    ("step", "reader"),
    [("决定", "_tail"), ("承办", "_history")],  # 承办 moves the inbox: its case is read whole, tail and all
)
async def test_a_writer_that_read_a_stale_tail_retries(
    db: Db, monkeypatch: pytest.MonkeyPatch, step: str, reader: str
):
    # Simulates losing the race for a seq: the first attempt believes the case is empty, collides
    # with seq 1 on UNIQUE(case_id, seq), and the retry appends after it.
    await append_events(db.sessions, [event("first")])
    real = getattr(store.ledger, reader)
    calls = 0

    async def stale_once(session, case_id):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls > 1:
            return await real(session, case_id)
        return (0, GENESIS_HASH) if reader == "_tail" else ([], (0, GENESIS_HASH))

    monkeypatch.setattr(store.ledger, reader, stale_once)
    assert await append_events(db.sessions, [event("second", step)]) == [2]
    assert calls == 2
    async with db.sessions() as session:
        assert await verify_chain(session) == []


async def _tamper(db: Db, statement: sa.Executable) -> None:
    async with db.sessions.begin() as session:
        await session.execute(statement)


async def _three_cases(db: Db) -> None:
    for case_id in ("A", "B", "C"):
        await append_events(
            db.sessions,
            [
                event(f"{case_id}:{i}", step, case_id=case_id, minutes=i)
                for i, step in enumerate(["受理", "承办", "审核", "决定"])
            ],
        )


def _row(case_id: str, seq: int) -> sa.ColumnElement[bool]:
    return sa.and_(LedgerEventRow.case_id == case_id, LedgerEventRow.seq == seq)


async def test_verify_names_a_case_with_an_edited_event(db: Db):
    await _three_cases(db)
    await _tamper(db, sa.update(LedgerEventRow).where(_row("B", 2)).values(department="别的部门"))
    async with db.sessions() as session:
        broken = await verify_chain(session)
        assert await verify_chain(session, "A") == []
    assert [(b.case_id, b.seq) for b in broken] == [("B", 2)]
    assert "edited" in broken[0].reason


async def test_verify_sees_an_edited_time(db: Db):
    await _three_cases(db)
    await _tamper(db, sa.update(LedgerEventRow).where(_row("C", 3)).values(actual_at=T0 + timedelta(days=9)))
    async with db.sessions() as session:
        assert [(b.case_id, b.seq) for b in await verify_chain(session)] == [("C", 3)]


async def test_verify_names_a_case_with_a_deleted_event(db: Db):
    await _three_cases(db)
    await _tamper(db, sa.delete(LedgerEventRow).where(_row("A", 2)))
    async with db.sessions() as session:
        broken = await verify_chain(session)
    assert [(b.case_id, b.seq) for b in broken] == [("A", 2)]
    assert "missing" in broken[0].reason


async def test_verify_sees_a_deleted_first_event(db: Db):
    await _three_cases(db)
    await _tamper(db, sa.delete(LedgerEventRow).where(_row("C", 1)))
    async with db.sessions() as session:
        assert [(b.case_id, b.seq) for b in await verify_chain(session)] == [("C", 1)]


async def test_verify_sees_swapped_hashes(db: Db):
    await _three_cases(db)
    async with db.sessions() as session:
        second, third = (await list_events(session, "B"))[1:3]
    await _tamper(
        db, sa.update(LedgerEventRow).where(_row("B", 2)).values(hash=third.hash, prev_hash=third.prev_hash)
    )
    await _tamper(
        db, sa.update(LedgerEventRow).where(_row("B", 3)).values(hash=second.hash, prev_hash=second.prev_hash)
    )
    async with db.sessions() as session:
        broken = await verify_chain(session)
    assert [(b.case_id, b.seq) for b in broken] == [("B", 2)]
    assert "prev_hash" in broken[0].reason


async def test_verify_reports_every_broken_case(db: Db):
    await _three_cases(db)
    await _tamper(db, sa.update(LedgerEventRow).where(_row("A", 4)).values(outcome="不予许可"))
    await _tamper(db, sa.update(LedgerEventRow).where(_row("C", 1)).values(detail={"说明": "改过"}))
    async with db.sessions() as session:
        assert [(b.case_id, b.seq) for b in await verify_chain(session)] == [("A", 4), ("C", 1)]


async def test_append_refuses_an_event_its_step_model_does_not_parse(db: Db):
    card = event("k-card", "黄牌")
    untyped = SupervisionEventIn.model_validate({**card.model_dump(), "detail": {"stage": "review"}})
    with pytest.raises(UnreadableEvent, match="黄牌: scope: Field required"):
        await append_events(db.sessions, [event("k-ok"), untyped])
    async with db.sessions() as session:
        assert await list_events(session, CASE) == []  # nothing of the batch is written


async def test_verify_names_a_stored_event_that_does_not_parse(db: Db):
    """A row with a valid chain but a detail its step's model refuses (written around append_events,
    as an old or foreign writer might) is named, so the audit's silent skip is never the only trace."""
    await _three_cases(db)
    fields = {**event("B:4", "黄牌", case_id="B").model_dump(), "detail": {"scope": "stage"}}
    async with db.sessions() as session:
        last = (await list_events(session, "B"))[-1]
    fields["seq"] = last.seq + 1
    async with db.sessions.begin() as session:
        session.add(LedgerEventRow(**fields, prev_hash=last.hash, hash=chain_hash(last.hash, fields)))
    async with db.sessions() as session:
        broken = await verify_chain(session)
    assert [(b.case_id, b.seq) for b in broken] == [("B", 5)]
    assert "does not parse" in broken[0].reason and "limit: Field required" in broken[0].reason
