"""The portal and a worker built from the product's registry plus the third matter (registry_entry.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from tests.matters.registry_entry import WITH_THIRD_MATTER
from tests.portal.conftest import Portal, running_portal
from tests.portal.conftest import _no_portal_env as _no_portal_env  # autouse here too


@pytest_asyncio.fixture
async def third_portal(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> AsyncIterator[Portal]:
    async with running_portal(time_skipping_env, tmp_path, task_queue, matters=WITH_THIRD_MATTER) as portal:
        yield portal
