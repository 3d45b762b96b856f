"""The ledger lists a case's steps in the order the workflow took them, even when they overlap.

An officer's last answer is written (审核) by the update handler while the main run, seeing every task
answered, goes on to 决定 at once: two ledger writes could be in flight together. Here every 审核
write is held back until a 决定 is stored (or two seconds pass): if the workflow let the two race,
决定 is stored first and this test fails; with ledger writes taken in turn, 决定 is not even
attempted until 审核 is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from temporalio import activity
from temporalio.testing import WorkflowEnvironment

from activities.ledger import SupervisionBatch, record_supervision
from bootstrap.deps import Deps
from domain.case import CaseStatus, Opinion, Outcome
from store.ledger import list_events, verify_chain
from tests.factories import BUSINESS, BUSINESS_HEAVY, business
from tests.polling import eventually
from tests.workflows.conftest import worker_with
from workflows.client import start_case
from workflows.open_business import OpenTransportBusinessCase

LICENCE = "review:operating_licence"


class HeldReviews:
    """record_supervision, but a 审核 write waits until a 决定 is stored (at most two seconds)."""

    def __init__(self) -> None:
        self.decision_stored = asyncio.Event()
        self.held = 0

    @activity.defn(name="record_supervision")
    async def record(self, batch: SupervisionBatch) -> list[int]:
        steps = {event.step for event in batch.events}
        if "审核" in steps:
            self.held += 1
            # No 决定 in flight after two seconds: the workflow waited for this write, as it should.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.decision_stored.wait(), timeout=2)
        seqs = await record_supervision(batch)
        if "决定" in steps:
            self.decision_stored.set()
        return seqs


@pytest_asyncio.fixture
async def held(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> AsyncIterator[tuple[Deps, HeldReviews]]:
    gate = HeldReviews()
    async with worker_with(
        time_skipping_env, tmp_path, task_queue, {record_supervision: gate.record}
    ) as deps:
        yield deps, gate


async def test_the_last_review_is_in_the_ledger_before_the_decision_it_triggers(
    time_skipping_env: WorkflowEnvironment, task_queue: str, held: tuple[Deps, HeldReviews]
):
    deps, gate = held
    handle, _ = await start_case(time_skipping_env.client, business(BUSINESS), task_queue)
    tasks = [LICENCE, *(f"review:certificate:{plate}" for plate in BUSINESS_HEAVY)]

    async def all_open() -> bool:
        status = await handle.query(OpenTransportBusinessCase.status)
        return len(status.open_tasks) == len(tasks)

    await eventually(all_open)
    for task_id in tasks:
        opinion = Opinion(task_id=task_id, department="road_transport", approve=True)
        await handle.execute_update(OpenTransportBusinessCase.submit_opinion, opinion)
    final: CaseStatus = await handle.result()
    assert final.outcome is Outcome.APPROVED
    assert gate.held == len(tasks)

    async with deps.sessions() as session:
        steps = [event.step for event in await list_events(session, handle.id)]
        assert await verify_chain(session) == []
    reviews_end = len(steps) - 1 - steps[::-1].index("审核")
    assert reviews_end < steps.index("决定"), steps
    assert steps == ["收件", "受理", *["承办"] * 4, *["审核"] * 4, "决定", *["制证"] * 4, "办结"]
