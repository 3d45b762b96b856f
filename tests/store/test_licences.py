"""Issued licences: a retried issuance stores one licence and one set of outbox messages."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from store.licences import (
    IssuedLicence,
    LicenceIdClash,
    LicenceIn,
    get_licence,
    payload_text,
    record_digest,
    record_fetch,
    save_licence_once,
)
from store.outbox import OutboxMessageIn, list_messages
from store.schema import LicenceRow, OutboxRow
from tests.store.conftest import Db

ISSUED = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
CASE = "oversize-permit-SUB-0001"


def licence(
    case_id: str = CASE, key: str = "permit", licence_id: str = "1.2.156.3005.2.11100000000.X.1.001.A"
) -> LicenceIn:
    return LicenceIn(
        licence_id=licence_id,
        case_id=case_id,
        licence_key=key,
        matter="oversize-permit",
        type_code="11100000000",
        number="湘超限2026000001",
        holder_name="长沙示例重型物流有限公司",
        holder_code="91430100MA4L00001J",
        issued_at=ISSUED,
        valid_from=date(2026, 3, 5),
        valid_to=date(2026, 3, 20),
        payload={"identifier": licence_id, "particulars": {"route": ["G4", "G60"]}},
        signed_data='{"identifier":"…"}'.encode(),
        signature=bytes(range(256)),  # not UTF-8: must survive storage and JSON
        public_key="04" + "ab" * 64,
        status="valid",
    )


def messages(case_id: str = CASE) -> list[OutboxMessageIn]:
    return [
        OutboxMessageIn(
            idempotency_key=f"{case_id}:permit:{d}", destination=d, case_id=case_id, payload={"d": d}
        )
        for d in ("licence_repository", "checkpoint", "notice")
    ]


async def count(db: Db, row_type: type) -> int:
    async with db.sessions() as session:
        return await session.scalar(sa.select(sa.func.count()).select_from(row_type)) or 0


async def test_saving_twice_stores_one_licence_and_one_set_of_messages(db: Db):
    async with db.sessions.begin() as session:
        first, created = await save_licence_once(session, licence(), messages(), now=ISSUED)
    # The retry computes the same licence again (same id, same key) and the same messages.
    async with db.sessions.begin() as session:
        again, created_again = await save_licence_once(session, licence(), messages(), now=ISSUED)
    assert (created, created_again) == (True, False)
    assert again == first
    assert await count(db, LicenceRow) == 1
    async with db.sessions() as session:
        queued = await list_messages(session, CASE)
    assert [m.destination for m in queued] == ["licence_repository", "checkpoint", "notice"]


async def test_a_retry_with_different_content_returns_the_first_licence(db: Db):
    async with db.sessions.begin() as session:
        first, _ = await save_licence_once(session, licence(), messages())
    other = licence().model_copy(update={"licence_id": "another-id", "number": "湘超限2026009999"})
    extra = [OutboxMessageIn(idempotency_key="new", destination="notice", case_id=CASE, payload={})]
    async with db.sessions.begin() as session:
        found, created = await save_licence_once(session, other, extra)
    assert not created and found.licence_id == first.licence_id
    assert await count(db, LicenceRow) == 1
    assert await count(db, OutboxRow) == 3


async def test_concurrent_issuances_store_one_licence(db: Db):
    async def issue() -> tuple[IssuedLicence, bool]:
        async with db.sessions.begin() as session:
            return await save_licence_once(session, licence(), messages())

    results = await asyncio.gather(*(issue() for _ in range(5)))
    assert sorted(created for _, created in results) == [False] * 4 + [True]
    assert await count(db, LicenceRow) == 1
    assert await count(db, OutboxRow) == 3


async def test_a_licence_id_already_another_cases_is_refused_and_nothing_is_written(db: Db):
    async with db.sessions.begin() as session:
        await save_licence_once(session, licence(), [])
    with pytest.raises(LicenceIdClash, match="another case"):
        async with db.sessions.begin() as session:
            await save_licence_once(session, licence(case_id="oversize-transport-OTHER"), messages())
    assert await count(db, LicenceRow) == 1
    assert await count(db, OutboxRow) == 0


async def test_licence_and_messages_roll_back_together(db: Db):
    async with db.sessions() as session:
        await save_licence_once(session, licence(), messages())
        await session.rollback()
    assert await count(db, LicenceRow) == 0
    assert await count(db, OutboxRow) == 0


async def test_each_key_of_a_case_is_its_own_licence(db: Db):
    async with db.sessions.begin() as session:
        await save_licence_once(session, licence(), [])
        _, created = await save_licence_once(
            session, licence(key="certificate:湘AD1234", licence_id="id-2"), []
        )
    assert created
    assert await count(db, LicenceRow) == 2


async def test_stored_licence_is_exact(db: Db):
    async with db.sessions.begin() as session:
        await save_licence_once(session, licence(), [])
    async with db.sessions() as session:
        stored = await get_licence(session, licence().licence_id)
        missing = await get_licence(session, "nope")
    assert stored is not None and missing is None
    assert stored.signature == bytes(range(256))
    assert stored.signed_data == licence().signed_data
    assert stored.issued_at == ISSUED and stored.valid_to == date(2026, 3, 20)
    assert stored.payload == licence().payload
    assert (stored.first_fetched_at, stored.fetch_count) == (None, 0)
    assert IssuedLicence.model_validate_json(stored.model_dump_json()) == stored


async def test_the_record_verdict_is_stored_over_the_record_as_stored(db: Db):
    """The audit trusts it while the digest of the stored text and signed bytes still matches."""
    async with db.sessions.begin() as session:
        await save_licence_once(session, licence(), [])
    async with db.sessions() as session:
        text = await session.scalar(sa.select(payload_text()))
        row = (await session.scalars(sa.select(LicenceRow))).one()
    assert row.record_valid is False  # a test record: it does not parse as a catalogue
    assert row.record_sha256 == record_digest(text, licence().signed_data)
    assert row.record_sha256 != record_digest(text + " ", licence().signed_data)


async def test_the_record_digest_is_over_the_text_read_back_even_for_awkward_records(db: Db):
    """Computed at save from the column's bound text, never re-read: it must equal the text as read."""
    awkward = {"名": "湘A·挂\u2028", "nul": "a\x00b", "quote": '"\\', "n": [1.5, -0.0, 10**20], "e": {}}
    record = licence().model_copy(update={"payload": awkward})
    async with db.sessions.begin() as session:
        await save_licence_once(session, record, [])
    async with db.sessions() as session:
        text = await session.scalar(sa.select(payload_text()))
        row = (await session.scalars(sa.select(LicenceRow))).one()
    assert text is not None and row.record_sha256 == record_digest(text, record.signed_data)


async def test_record_fetch_counts_and_keeps_the_first_time(db: Db):
    async with db.sessions.begin() as session:
        await save_licence_once(session, licence(), [])
    first_fetch = ISSUED + timedelta(hours=1)
    async with db.sessions.begin() as session:
        once = await record_fetch(session, licence().licence_id, first_fetch)
    async with db.sessions.begin() as session:
        twice = await record_fetch(session, licence().licence_id, first_fetch + timedelta(days=1))
        missing = await record_fetch(session, "nope", first_fetch)
    assert once is not None and (once.first_fetched_at, once.fetch_count) == (first_fetch, 1)
    assert twice is not None and (twice.first_fetched_at, twice.fetch_count) == (first_fetch, 2)
    assert missing is None
