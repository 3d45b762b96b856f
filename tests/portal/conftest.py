"""The portal in process: its app on an ASGI transport, a real worker with real activities, per test.

The app gets the time-skipping server's client and the test's store, so it runs no lifespan. Dev
tokens are minted into the test's data directory; `Portal.auth(name)` makes the header for one.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

import cli.main as cli_main
from bootstrap.deps import Deps, configure, dispose
from codec import EncryptionCodec
from domain.calendar import SHANGHAI
from portal.app import create_app
from portal.auth import ensure_dev_tokens
from portal.config import DEFAULT_MAX_BODY_BYTES, PortalConfig
from settings import Settings
from tests.fleet import with_fleet_vehicle
from tests.polling import eventually
from tests.workflows.conftest import sample_deps
from worker import build_worker
from workflows.matters import MATTERS, MatterRegistry


def application(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A submission document with a fresh submission_id, valid from today (Shanghai) for 20 days.

    Today, so that the licence it yields verifies as valid now rather than "not yet valid".
    """
    data = copy.deepcopy(base)
    today = datetime.now(SHANGHAI).date()
    data["submission_id"] = f"{base['submission_id']}-{uuid.uuid4().hex[:8]}"
    data["travel_from"] = today.isoformat()
    data["travel_to"] = (today + timedelta(days=20)).isoformat()
    data = with_fleet_vehicle(data)  # one vehicle per permit (同一车辆重复办证)
    data.update(changes)
    return data


def portal_settings(data_dir: Path, task_queue: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=f"sqlite+aiosqlite:///{data_dir / 'onething.db'}",
        temporal_address="unused",
        temporal_namespace="default",
        task_queue=task_queue,
    )


def portal_config(data_dir: Path, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> PortalConfig:
    return PortalConfig(
        tokens_file=data_dir / "tokens.json", max_body_bytes=max_body_bytes, applicant_secret=None
    )


def dev_tokens(data_dir: Path) -> dict[str, str]:
    path = ensure_dev_tokens(data_dir, data_dir / "tokens.json")
    tokens: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return tokens


@dataclass
class Portal:
    app: FastAPI
    http: httpx.AsyncClient
    env: WorkflowEnvironment
    deps: Deps
    tokens: dict[str, str]

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    async def submit(self, document: dict[str, Any], expected: int = 202) -> dict[str, Any]:
        response = await self.http.post("/api/v1/cases", json=document, headers=self.auth("portal"))
        assert response.status_code == expected, response.text
        body: dict[str, Any] = response.json()
        return body

    async def status(self, case_id: str, token: str) -> dict[str, Any]:
        response = await self.http.get(f"/api/v1/cases/{case_id}", headers=bearer(token))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def wait_for(self, case_id: str, token: str, **expected: Any) -> dict[str, Any]:
        """Poll the status until every `expected` key has its value (open_tasks: a sorted id list;
        rectification_opened: whether a 整改 is there)."""

        async def check() -> dict[str, Any] | None:
            status = await self.status(case_id, token)
            seen = {
                **status,
                "open_tasks": sorted(t["task_id"] for t in status["open_tasks"]),
                "rectification_opened": status.get("rectification") is not None,
            }
            return status if all(seen[k] == v for k, v in expected.items()) else None

        return await eventually(check)

    async def exists(self, case_id: str) -> bool:
        try:
            await self.env.client.get_workflow_handle(case_id).describe()
        except RPCError as error:
            assert error.status == RPCStatusCode.NOT_FOUND
            return False
        return True


def onething(argv: Sequence[str]) -> int:
    """`onething ARGV` in this process (cli/main.py lists every command)."""
    return cli_main.main(list(argv))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(autouse=True)
def _no_portal_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own portal settings must not leak into the tests."""
    for name in (
        "ONETHING_TOKENS_FILE",
        "ONETHING_APPLICANT_SECRET",
        "ONETHING_PORTAL_MAX_BODY_BYTES",
        "ONETHING_PORTAL_READ_TIMEOUT_SECONDS",
    ):
        monkeypatch.delenv(name, raising=False)


@asynccontextmanager
async def running_portal(
    env: WorkflowEnvironment,
    data_dir: Path,
    task_queue: str,
    matters: MatterRegistry = MATTERS,
    *,
    client: Client | None = None,
    codec: EncryptionCodec | None = None,
) -> AsyncIterator[Portal]:
    """The portal and a worker built from `matters` (a test may add a matter of its own), both on
    `client` (default: the environment's, without a codec) and the portal with `codec`."""
    client = client or env.client
    deps = await sample_deps(data_dir, matters=matters)
    configure(deps)
    tokens = dev_tokens(data_dir)
    app = create_app(
        portal_settings(data_dir, task_queue),
        client=client,
        deps=deps,
        task_queue=task_queue,
        config=portal_config(data_dir),
        codec=codec,
        matters=matters,
    )
    try:
        async with (
            build_worker(client, task_queue, matters=matters),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal") as http,
        ):
            yield Portal(app=app, http=http, env=env, deps=deps, tokens=tokens)
    finally:
        configure(None)
        await dispose(deps)


@pytest_asyncio.fixture
async def portal(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> AsyncIterator[Portal]:
    async with running_portal(time_skipping_env, tmp_path, task_queue) as running:
        yield running
