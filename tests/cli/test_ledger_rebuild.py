"""`onething ledger rebuild`: a lost ledger is recovered from the Temporal histories (real dev server)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from temporalio.testing import WorkflowEnvironment

from bootstrap.deps import configure, dispose
from domain.case import Outcome
from services.ledger_rebuild import rebuild_ledger
from store.ledger import list_events, verify_chain
from store.schema import LedgerEventRow
from tests.factories import CLASS_I, CLASS_II_URBAN, from_today, submission
from tests.polling import eventually
from tests.workflows.conftest import sample_deps
from worker import WORKFLOWS, build_worker
from workflows.client import start_case
from workflows.oversize_transport import OversizeTransportCase

pytestmark = pytest.mark.devserver


async def test_deleted_ledger_rows_are_restored_exactly(
    dev_server_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
):
    client = dev_server_env.client
    deps = await sample_deps(tmp_path)
    configure(deps)
    tag = uuid.uuid4().hex[:8]
    try:
        async with build_worker(client, task_queue):
            done, _ = await start_case(
                client, submission(from_today(CLASS_I), submission_id=f"RB-I-{tag}"), task_queue
            )
            open_case, _ = await start_case(
                client, submission(from_today(CLASS_II_URBAN), submission_id=f"RB-II-{tag}"), task_queue
            )

            async def settled() -> bool:
                first = await done.query(OversizeTransportCase.status)
                second = await open_case.query(OversizeTransportCase.status)
                return (
                    first.outcome is Outcome.APPROVED and len(second.open_tasks) == 3
                )  # with the countersign

            await eventually(settled)
            async with deps.sessions() as session:
                before = {c: await list_events(session, c) for c in (done.id, open_case.id)}
            query = f"WorkflowId = '{done.id}' OR WorkflowId = '{open_case.id}'"

            clean = await rebuild_ledger(client, deps.sessions, WORKFLOWS, query=query)
            assert clean.cases == 2 and clean.differences == []

            async with deps.sessions.begin() as session:
                await session.execute(sa.delete(LedgerEventRow).where(LedgerEventRow.case_id == done.id))
                await session.execute(
                    sa.delete(LedgerEventRow).where(
                        LedgerEventRow.case_id == open_case.id, LedgerEventRow.seq > 2
                    )
                )
            found = await rebuild_ledger(client, deps.sessions, WORKFLOWS, query=query)
            lost = len(before[done.id]) + len(before[open_case.id]) - 2
            assert len(found.differences) == lost and {d.problem for d in found.differences} == {"missing"}
            assert found.restored == 0

            restored = await rebuild_ledger(client, deps.sessions, WORKFLOWS, query=query, apply=True)
            assert restored.restored == lost
            for handle in (done, open_case):
                await handle.terminate("test done")
        async with deps.sessions() as session:
            after = {c: await list_events(session, c) for c in (done.id, open_case.id)}
            assert await verify_chain(session) == []
    finally:
        configure(None)
        await dispose(deps)

    def exact(events):
        return [(e.seq, e.step, e.actual_at, e.planned_at, e.outcome, e.detail, e.hash) for e in events]

    assert exact(after[done.id]) == exact(before[done.id])
    assert exact(after[open_case.id]) == exact(before[open_case.id])
