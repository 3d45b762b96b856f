"""record_supervision: a retried batch writes each event once (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.ledger import SupervisionBatch, record_supervision
from bootstrap.deps import Deps
from domain.events import SupervisionEventIn
from store.ledger import list_events, verify_chain
from store.schema import LedgerEventRow
from tests.ledger_events import sample_row

AT = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)


def event(case_id: str, step: str, key: str | None = None) -> SupervisionEventIn:
    return sample_row(step, case_id=case_id, key=key or f"{case_id}:{step}", actual_at=AT)


async def record(*events: SupervisionEventIn) -> list[int]:
    seqs: list[int] = await ActivityEnvironment().run(
        record_supervision, SupervisionBatch(events=list(events))
    )
    return seqs


async def rows(deps: Deps) -> int:
    async with deps.sessions() as session:
        return await session.scalar(sa.select(sa.func.count()).select_from(LedgerEventRow)) or 0


async def test_same_batch_twice_writes_each_event_once(db_deps: Deps):
    batch = (event("case-1", "受理"), event("case-1", "承办"))

    first = await record(*batch)
    again = await record(*batch)

    assert first == again == [1, 2]
    assert await rows(db_deps) == 2
    async with db_deps.sessions() as session:
        assert [e.step for e in await list_events(session, "case-1")] == ["受理", "承办"]
        assert await verify_chain(session) == []


async def test_a_retry_that_adds_an_event_appends_only_the_new_one(deps: Deps):
    await record(event("case-1", "受理"))
    assert await record(event("case-1", "受理"), event("case-1", "承办"), event("case-2", "受理")) == [
        1,
        2,
        1,
    ]
    assert await rows(deps) == 3


async def test_empty_batch_writes_nothing(deps: Deps):
    assert await record() == []
    assert await rows(deps) == 0


async def test_a_key_owned_by_another_case_is_non_retryable(deps: Deps):
    await record(event("case-A", "受理", key="shared-key"))
    with pytest.raises(ApplicationError) as caught:
        await record(event("case-B", "受理", key="shared-key"))
    assert caught.value.type == "LedgerConflict"
    assert caught.value.non_retryable
    assert await rows(deps) == 1
