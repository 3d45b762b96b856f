"""签收, 转办 and 督办 on a running case: the holder, the ledger events, the notices, the refusals.

Recorded as the `task-actions` histories (tests/histories/task-actions/) so the replay guard covers
cases that took these messages.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from temporalio.client import WorkflowUpdateFailedError

from domain.case import Opinion, TaskClaim, TaskTransfer, Urge
from domain.events import TaskClaimed, TaskTransferred, TaskUrged
from store.schema import OutboxRow
from tests.factories import CLASS_III, submission
from tests.polling import eventually
from tests.workflows.conftest import Cases
from tests.workflows.test_supervision import _status_with_open_task, events
from workflows.oversize_transport import OversizeTransportCase

TASK = "review:highway"


async def rejected(handle, update, argument) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(update, argument)
    cause = failure.value.cause
    return getattr(cause, "message", str(cause))


async def test_claim_transfer_and_urge_show_the_holder_and_reach_the_ledger(cases: Cases):
    handle = await cases.start(submission(CLASS_III))
    await eventually(lambda: _status_with_open_task(handle))

    claim = TaskClaim(task_id=TASK, department="highway", officer="officer:highway")
    status = await handle.execute_update(OversizeTransportCase.claim_task, claim)
    assert status.open_tasks[0].holder == "officer:highway"
    assert "held by" not in await rejected(handle, OversizeTransportCase.claim_task, claim)  # already yours
    other = TaskClaim(task_id=TASK, department="highway", officer="officer:highway:2")
    assert (await rejected(handle, OversizeTransportCase.claim_task, other)).startswith("holder:")
    police = TaskClaim(task_id=TASK, department="police", officer="officer:police")
    assert (await rejected(handle, OversizeTransportCase.claim_task, police)).startswith("department:")

    transfer = TaskTransfer(
        task_id=TASK,
        department="highway",
        to_officer="officer:highway:2",
        reason="休假",
        officer="officer:highway",
    )
    status = await handle.execute_update(OversizeTransportCase.transfer_task, transfer)
    assert status.open_tasks[0].holder == "officer:highway:2"
    # Only the holder hands it on.
    again = transfer.model_copy(update={"to_officer": "officer:highway:3"})
    assert (await rejected(handle, OversizeTransportCase.transfer_task, again)).startswith("holder:")

    urge = Urge(task_id=TASK, note="请尽快办理", supervisor="supervisor")
    status = await handle.execute_update(OversizeTransportCase.urge_task, urge)
    assert status.open_tasks[0].holder == "officer:highway:2"
    unknown = Urge(task_id="review:nope", supervisor="supervisor")
    assert (await rejected(handle, OversizeTransportCase.urge_task, unknown)).startswith("task_id:")

    opinion = Opinion(task_id=TASK, department="highway", approve=True, officer="officer:highway:2")
    await handle.execute_update(OversizeTransportCase.submit_opinion, opinion)
    assert (await rejected(handle, OversizeTransportCase.urge_task, urge)).startswith("task_id:")

    typed = [e.event() for e in await events(cases, handle.id)]
    [claimed] = [e for e in typed if isinstance(e, TaskClaimed)]
    [transferred] = [e for e in typed if isinstance(e, TaskTransferred)]
    [urged] = [e for e in typed if isinstance(e, TaskUrged)]
    assert (claimed.task_id, claimed.officer, claimed.department) == (TASK, "officer:highway", "highway")
    assert (transferred.from_officer, transferred.to_officer, transferred.reason) == (
        "officer:highway",
        "officer:highway:2",
        "休假",
    )
    assert (urged.holder, urged.supervisor, urged.actor_role, urged.note) == (
        "officer:highway:2",
        "supervisor",
        "supervisor",
        "请尽快办理",
    )
    async with cases.deps.sessions() as session:
        keys = set(
            await session.scalars(sa.select(OutboxRow.idempotency_key).where(OutboxRow.case_id == handle.id))
        )
    assert f"{handle.id}:notice:urge:{TASK}:1" in keys
    assert f"{handle.id}:notice:transfer:{TASK}:1" in keys
    await handle.terminate("test done")
