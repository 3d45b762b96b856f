"""A worker on the time-skipping server with real activities on a fresh SQLite store per test."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bootstrap.deps import Deps, build_deps, configure, dispose
from domain.calendar import WorkingCalendar, YearNotice
from domain.notices import official_calendar
from domain.open_business_case import OpenBusinessSubmission
from domain.oversize_case import OversizeSubmission
from settings import Settings
from store.registries import RegistrySnapshot, import_snapshot
from tests.fleet import fleet_records
from worker import ACTIVITIES, WORKFLOWS, build_worker, workflow_runner
from workflows.client import start_case
from workflows.matters import MATTERS, MatterRegistry

SAMPLE_REGISTRY = Path(__file__).resolve().parents[2] / "samples" / "registry.sample.json"


async def sample_deps(
    data_dir: Path, database_url: str | None = None, matters: MatterRegistry = MATTERS
) -> Deps:
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url or f"sqlite+aiosqlite:///{data_dir / 'onething.db'}",
        temporal_address="unused",
        temporal_namespace="default",
        task_queue="unused",
    )
    deps = replace(
        await build_deps(settings, env={}, licence_kinds=matters.licence_kinds), calendar=calendar_for_tests()
    )
    await import_snapshot(deps.sessions, sample_registry_with_fleet())
    return deps


def sample_registry_with_fleet() -> RegistrySnapshot:
    """The sample registry and the tests' fleet (tests/fleet.py): one vehicle per permit in a test."""
    registry = json.loads(SAMPLE_REGISTRY.read_text(encoding="utf-8"))
    for table, rows in fleet_records().items():
        registry[table] = [*registry[table], *rows]
    return RegistrySnapshot.model_validate(registry)


HISTORIES = Path(__file__).resolve().parents[1] / "histories"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-histories",
        metavar="VERSION",
        help="save every workflow history of these tests under tests/histories/VERSION/ for the replay "
        "guard (name VERSION after the workflow change, e.g. the patch id)",
    )


def calendar_for_tests() -> WorkingCalendar:
    """The official notices, plus SYNTHETIC years (weekends only) after the last one.

    Tests on the real dev server run at the wall-clock date; this keeps the dues they compute official
    (and their hand counts simple) the week they first reach a year whose State Council notice is not
    in the data yet. Never used outside tests: the product counts such a year provisionally
    (domain.notices.provisional_notice) and marks every due counted through it.
    """
    official = official_calendar()
    last = max(official.years)
    synthetic = [
        YearNotice(
            year=y,
            source="SYNTHETIC test year: weekends only",
            holidays=frozenset(),
            make_up_workdays=frozenset(),
        )
        for y in range(last + 1, last + 11)
    ]
    return WorkingCalendar([*official.notices, *synthetic])


@dataclass
class Cases:
    """What a workflow test needs: the client, the task queue, the activities' store."""

    env: WorkflowEnvironment
    client: Client
    task_queue: str
    deps: Deps
    started: list[WorkflowHandle[Any, Any]] = field(default_factory=list)

    async def start(
        self, submission: OversizeSubmission | OpenBusinessSubmission
    ) -> WorkflowHandle[Any, Any]:
        unique = submission.model_copy(
            update={"submission_id": f"{submission.submission_id}-{uuid.uuid4().hex[:8]}"}
        )
        handle, created = await start_case(self.client, unique, self.task_queue)
        assert created
        self.started.append(handle)
        return handle

    async def save_histories(self, version: str, test_name: str) -> None:
        folder = HISTORIES / version
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_-]+", "_", test_name).strip("_")
        for n, handle in enumerate(self.started):
            history = await handle.fetch_history()
            (folder / f"{name}-{n}.json").write_text(history.to_json())


@asynccontextmanager
async def worker_with(
    env: WorkflowEnvironment,
    data_dir: Path,
    task_queue: str,
    stand_ins: Mapping[Callable[..., Any], Callable[..., Any]],
) -> AsyncIterator[Deps]:
    """A worker of every workflow and activity, with some activities replaced by a test's stand-ins
    (registered under the same names), on a fresh sample store; yields the store's deps."""
    deps = await sample_deps(data_dir)
    configure(deps)
    activities = [stand_ins.get(a, a) for a in ACTIVITIES]
    try:
        async with Worker(
            env.client,
            task_queue=task_queue,
            workflows=WORKFLOWS,
            activities=activities,
            workflow_runner=workflow_runner(),
        ):
            yield deps
    finally:
        configure(None)
        await dispose(deps)


@pytest_asyncio.fixture
async def cases(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, task_queue: str, request: pytest.FixtureRequest
) -> AsyncIterator[Cases]:
    deps = await sample_deps(tmp_path)
    configure(deps)
    try:
        async with build_worker(time_skipping_env.client, task_queue):
            book = Cases(time_skipping_env, time_skipping_env.client, task_queue, deps)
            yield book
            if version := request.config.getoption("--record-histories"):
                await book.save_histories(version, request.node.name)
    finally:
        configure(None)
        await dispose(deps)
