"""A licence's stored verdicts are about the row as it is (migration 0010), so a report may read them
alone: an UPDATE of what they judged clears them, and the upgrade clears those stale before it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from store.db import migrate
from store.licences import record_fetch, save_licence_once
from store.schema import LicenceRow
from tests.store.conftest import Db
from tests.store.test_licences import ISSUED, licence

VERDICTS = (
    LicenceRow.seal_valid,
    LicenceRow.sealed_sha256,
    LicenceRow.record_valid,
    LicenceRow.record_sha256,
)

CHANGES: dict[str, Any] = {
    "payload": {"identifier": "another", "particulars": {}},
    "signed_data": b'{"identifier":"another"}',
    "signature": bytes(range(255, -1, -1)),
    "public_key": "04" + "cd" * 64,
}


async def _verdicts(db: Db, licence_id: str) -> tuple[Any, ...]:
    async with db.sessions() as session:
        row = (await session.execute(sa.select(*VERDICTS).where(LicenceRow.licence_id == licence_id))).one()
    return tuple(row)


async def _issue(db: Db, licence_id: str = licence().licence_id, case_id: str = "case-1") -> None:
    async with db.sessions.begin() as session:
        await save_licence_once(session, licence(case_id=case_id, licence_id=licence_id), [], seal_valid=True)


@pytest.mark.parametrize("column", sorted(CHANGES))
async def test_changing_what_the_verdicts_judged_clears_them(db: Db, column: str):
    await _issue(db)
    seal, sealed, record, recorded = await _verdicts(db, licence().licence_id)
    assert seal is True and record is False and sealed and recorded
    async with db.sessions.begin() as session:
        await session.execute(sa.update(LicenceRow).values({column: CHANGES[column]}))
    assert await _verdicts(db, licence().licence_id) == (None, None, None, None)


async def test_a_fetch_or_an_unchanged_value_keeps_the_verdicts(db: Db):
    await _issue(db)
    stored = await _verdicts(db, licence().licence_id)
    async with db.sessions.begin() as session:
        await record_fetch(session, licence().licence_id, ISSUED + timedelta(hours=1), by_holder=True)
        await session.execute(sa.update(LicenceRow).values(signature=licence().signature))
    assert await _verdicts(db, licence().licence_id) == stored


async def test_0010_clears_the_verdicts_made_stale_before_it(unmigrated_db: Db):
    db = unmigrated_db
    await migrate(db.engine, "0009")
    for n in (1, 2, 3):
        await _issue(db, licence_id=f"licence-{n}", case_id=f"case-{n}")
    fresh = await _verdicts(db, "licence-3")
    async with db.sessions.begin() as session:  # no trigger yet: the verdicts stay, about other bytes
        await session.execute(
            sa.update(LicenceRow).where(LicenceRow.licence_id == "licence-1").values(signature=b"\x30\x00")
        )
        await session.execute(
            sa.update(LicenceRow)
            .where(LicenceRow.licence_id == "licence-2")
            .values(payload={"identifier": "edited"})
        )
    await migrate(db.engine)
    seal, sealed, record, recorded = await _verdicts(db, "licence-1")
    assert (seal, sealed) == (None, None) and record is False and recorded  # the record is unchanged
    seal, sealed, record, recorded = await _verdicts(db, "licence-2")
    assert seal is True and sealed and (record, recorded) == (None, None)
    assert await _verdicts(db, "licence-3") == fresh
