"""What officers see: the official `temporal` CLI finds a case by every custom search attribute and
shows its summary, and the Web UI's workflow list (headless Chromium) shows the case."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from bootstrap.deps import configure, dispose
from domain.case import Stage
from settings import venv_binary
from tests.conftest import DEV_UI_PORT
from tests.factories import CLASS_III, from_today, submission
from tests.polling import eventually
from tests.workflows.conftest import sample_deps
from worker import build_worker
from workflows.client import start_case
from workflows.oversize_transport import OversizeTransportCase

pytestmark = pytest.mark.devserver
CHROMIUM = shutil.which("chromium")


@pytest_asyncio.fixture
async def case_in_review(
    dev_server_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> AsyncIterator[WorkflowHandle]:
    deps = await sample_deps(tmp_path)
    configure(deps)
    sub = submission(from_today(CLASS_III), submission_id=f"UI-{uuid.uuid4().hex[:10]}")
    try:
        async with build_worker(dev_server_env.client, task_queue):
            handle, _ = await start_case(dev_server_env.client, sub, task_queue)

            async def in_review() -> bool:
                return (await handle.query(OversizeTransportCase.status)).stage is Stage.REVIEW

            await eventually(in_review)
            yield handle
            await handle.terminate("test done")
    finally:
        configure(None)
        await dispose(deps)


def temporal(env: WorkflowEnvironment, *args: str) -> str:
    address = env.client.service_client.config.target_host
    result = subprocess.run(
        [str(venv_binary("temporal")), *args, "--address", address, "--namespace", "default", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


@pytest.mark.parametrize(
    "query",
    [
        "OnethingMatter = 'oversize-transport'",
        "OnethingPermitClass = 'III'",
        "OnethingStage = 'review'",
        "OnethingDue > '2026-01-01T00:00:00Z'",
        "OnethingCard = 'none'",
        "OnethingRegion = '湖南'",
    ],
)
async def test_the_temporal_cli_finds_the_case_by_each_search_attribute(
    dev_server_env: WorkflowEnvironment, case_in_review: WorkflowHandle, query: str
):
    async def listed() -> bool:
        out = temporal(
            dev_server_env, "workflow", "list", "--query", f"{query} AND WorkflowId = '{case_in_review.id}'"
        )
        return case_in_review.id in out

    await eventually(listed)


async def test_the_temporal_cli_shows_the_summary_without_personal_data(
    dev_server_env: WorkflowEnvironment, case_in_review: WorkflowHandle
):
    described = temporal(dev_server_env, "workflow", "describe", "--workflow-id", case_in_review.id)
    assert "大件运输一件事" in described and "长沙 → 株洲" in described
    document = json.loads(described)
    text = json.dumps(document, ensure_ascii=False)
    for personal in ("测试经办人甲", "11010519491231002X", "13800138000"):
        assert personal not in text


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make system-deps)")
async def test_the_web_ui_lists_the_case(case_in_review: WorkflowHandle, tmp_path: Path):
    url = f"http://127.0.0.1:{DEV_UI_PORT}/namespaces/default/workflows"

    def dom() -> str:
        result = subprocess.run(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={tmp_path / 'chromium'}",
                "--virtual-time-budget=15000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        return result.stdout

    async def shown() -> bool:
        return case_in_review.id in dom()

    await eventually(shown, within=120, interval=1.0)
