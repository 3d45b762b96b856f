"""Real cases for the audit: a worker with real activities on the time-skipping server and a fresh
SQLite store, so a report is computed from the ledger and licences the workflows really write."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest_asyncio
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from bootstrap.deps import Deps, configure, dispose
from domain.case import CaseStatus, Opinion
from domain.open_business_case import OpenBusinessSubmission
from domain.oversize_case import OversizeSubmission
from tests.polling import eventually
from tests.workflows.conftest import sample_deps
from worker import build_worker
from workflows.client import start_case

Handle = WorkflowHandle[Any, CaseStatus]


@dataclass
class Stack:
    client: Client
    task_queue: str
    deps: Deps
    env: WorkflowEnvironment

    async def start(
        self, sub: OversizeSubmission | OpenBusinessSubmission, answers: tuple[tuple[str, str], ...] = ()
    ) -> Handle:
        """Start a case under a fresh submission id; approve each (task id, department) as it opens."""
        unique = sub.model_copy(update={"submission_id": f"{sub.submission_id}-{uuid.uuid4().hex[:8]}"})
        handle, _ = await start_case(self.client, unique, self.task_queue)
        for task_id, department in answers:

            async def is_open(task_id: str = task_id) -> bool:
                status = await handle.query("status", result_type=CaseStatus)
                return any(t.task_id == task_id for t in status.open_tasks)

            await eventually(is_open)
            await handle.execute_update(
                "submit_opinion", Opinion(task_id=task_id, department=department, approve=True)
            )
        return handle


@pytest_asyncio.fixture
async def stack(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> AsyncIterator[Stack]:
    deps = await sample_deps(tmp_path)
    configure(deps)
    try:
        async with build_worker(time_skipping_env.client, task_queue):
            yield Stack(time_skipping_env.client, task_queue, deps, time_skipping_env)
    finally:
        configure(None)
        await dispose(deps)
