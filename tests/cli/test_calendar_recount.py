"""`onething calendar add` on the real dev server: the open cases with provisional dues are found by
`OnethingDuesProvisional = true` (visibility) and recount (时限重算) without any restart.

The worker counts on no transcribed notice at all, so every year is provisional and the case started
now (whatever today is) has provisional dues; the notices added are TEST data: weekends only.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from bootstrap.deps import Deps, configure, dispose
from cli.main import main
from codec import codec_from_env, encrypted_converter
from domain.calendar import SHANGHAI, WorkingCalendar
from store.ledger import list_events
from tests.factories import CLASS_III, from_today, submission
from tests.polling import eventually
from tests.workflows.conftest import Cases, sample_deps
from worker import build_worker
from workflows import search_attributes as sa
from workflows.oversize_transport import OversizeTransportCase

pytestmark = pytest.mark.devserver


@pytest_asyncio.fixture
async def stack(
    dev_server_env: WorkflowEnvironment, tmp_path: Path, task_queue: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Cases]:
    data_dir = tmp_path / "data"
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'onething.db'}"
    target = dev_server_env.client.service_client.config.target_host
    for name, value in {
        "ONETHING_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": target,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ONETHING_CODEC_KEYS", raising=False)
    # The CLI encrypts its signal with the data dir's codec key: the worker decodes with the same one.
    client = await Client.connect(target, data_converter=encrypted_converter(codec_from_env({}, data_dir)))
    deps: Deps = replace(await sample_deps(tmp_path, database_url), calendar=WorkingCalendar([]))
    configure(deps)
    try:
        async with build_worker(client, task_queue):
            yield Cases(dev_server_env, client, task_queue, deps)
    finally:
        configure(None)
        await dispose(deps)


def weekends_only(path: Path, year: int) -> Path:
    notice = {
        "year": year,
        "source": f"TEST notice for {year}: weekends only",
        "holidays": [],
        "make_up_workdays": [],
    }
    path.write_text(json.dumps(notice), encoding="utf-8")
    return path


async def test_calendar_add_recounts_the_open_cases_found_by_the_search_attribute(
    stack: Cases, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    handle = await stack.start(submission(from_today(CLASS_III)))

    async def provisional_and_visible():
        status = await handle.query(OversizeTransportCase.status)
        if not (status.statutory_due and status.dues_provisional):
            return None
        query = f'WorkflowId = "{handle.id}" AND {sa.DUES_PROVISIONAL.name} = true'
        return (await stack.client.count_workflows(query)).count == 1

    await eventually(provisional_and_visible, within=30)
    status = await handle.query(OversizeTransportCase.status)
    years = sorted({datetime.now(SHANGHAI).year, status.statutory_due.astimezone(SHANGHAI).year})
    outputs = []
    for year in years:
        argv = ["calendar", "add", str(weekends_only(tmp_path / f"{year}.json", year))]
        code = await asyncio.to_thread(main, argv)  # the command runs its own event loop
        out, err = capsys.readouterr()
        assert code == 0, err
        # The worker in this process logs to stdout as well: the command's answer is its JSON line.
        outputs.append(json.loads(next(line for line in out.splitlines() if line.startswith('{"year"'))))
    assert outputs[0]["recount"]["signalled"] >= 1

    async def recounted():
        status = await handle.query(OversizeTransportCase.status)
        return status if not status.dues_provisional else None

    await eventually(recounted, within=30)
    async with stack.deps.sessions() as session:
        steps = [e.step for e in await list_events(session, handle.id)]
    assert "时限重算" in steps
    await handle.terminate("test done")
