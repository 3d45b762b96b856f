"""Why the replay guard works: a changed workflow replays an old history only behind `workflow.patched`.

Three versions of one small workflow: v1 records a history; v2 adds a step behind a patch guard and
replays it; v2 without the guard fails the replay with a nondeterminism error — exactly what the
replay of tests/histories/ catches when someone changes a case workflow without a guard.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from temporalio import activity, workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker
from temporalio.workflow import NondeterminismError


@activity.defn
async def step(name: str) -> str:
    return name


async def _run_step(name: str) -> str:
    return await workflow.execute_activity(step, name, start_to_close_timeout=timedelta(seconds=10))


@workflow.defn(name="Guarded", sandboxed=False)
class V1:
    @workflow.run
    async def run(self) -> str:
        return await _run_step("review")


@workflow.defn(name="Guarded", sandboxed=False)
class V2Guarded:
    @workflow.run
    async def run(self) -> str:
        if workflow.patched("add-countersign"):
            await _run_step("countersign")
        return await _run_step("review")


@workflow.defn(name="Guarded", sandboxed=False)
class V2Unguarded:
    @workflow.run
    async def run(self) -> str:
        await _run_step("countersign")
        return await _run_step("review")


async def test_a_guarded_change_replays_and_an_unguarded_one_fails(
    time_skipping_env: WorkflowEnvironment, task_queue: str
):
    client = time_skipping_env.client
    async with Worker(client, task_queue=task_queue, workflows=[V1], activities=[step]):
        handle = await client.start_workflow(V1.run, id=f"guard-{uuid.uuid4()}", task_queue=task_queue)
        assert await handle.result() == "review"
    history = await handle.fetch_history()

    await Replayer(workflows=[V2Guarded]).replay_workflow(history)
    with pytest.raises(NondeterminismError):
        await Replayer(workflows=[V2Unguarded]).replay_workflow(history)
