"""The cluster's wiring, run here: one dev server, the ledger on PostgreSQL, two `onething portal` and
two `onething worker` processes, each with a data directory of its own and the shared secrets from the
environment exactly as compose.yaml passes them (ONETHING_ENV=production: nothing is generated).

Cases submitted through one portal and answered through the other complete; their licences verify
through either; a worker killed with SIGKILL mid-case loses nothing. If one worker had a codec key of
its own, it could not decrypt what the portals encrypted and cases would stall (checked once by hand:
the wait for the outcomes then fails).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
import yaml
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from temporalio.testing import WorkflowEnvironment

from bootstrap.deps import dispose
from portal.auth import ensure_dev_tokens
from settings import venv_binary
from store.ledger import list_events
from store.schema import LicenceRow
from tests.conftest import POSTGRES_URL
from tests.factories import CLASS_I, CLASS_II_URBAN
from tests.faults.test_faults import EXPECTED_STEPS, tells_the_story
from tests.polling import eventually
from tests.portal.conftest import application
from tests.workflows.conftest import sample_deps
from workflows import search_attributes

pytestmark = [pytest.mark.devserver, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
ONETHING = Path(sys.executable).parent / "onething"
# Variables of the developer's shell that would otherwise leak into the processes.
OURS = ("ONETHING_", "DATABASE_URL", "TEMPORAL_")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def compose_environment(service: str) -> dict[str, Any]:
    services = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))["services"]
    environment: dict[str, Any] = services[service]["environment"]
    return environment


def cluster_secrets() -> dict[str, str]:
    """What an operator puts into .env: `onething secrets new`."""
    printed = subprocess.run(
        [str(ONETHING), "secrets", "new"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return dict(line.split("=", 1) for line in printed.splitlines() if line)


def spawn(args: list[str], env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(ONETHING), *args], env=env, stdout=log, stderr=log)


@pytest_asyncio.fixture
async def cluster_database() -> AsyncIterator[str]:
    """A database of the cluster's own on the test server, dropped afterwards: the cluster's processes
    migrate whatever database they are given, and the other PostgreSQL tests keep theirs in schemas."""
    name = f"onething_cluster_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def test_two_portals_and_two_workers_share_their_secrets_and_lose_nothing(
    tmp_path: Path, cluster_database: str
):
    deps = await sample_deps(tmp_path, cluster_database)  # migrates the ledger, loads the sample registry
    temporal_port = free_port()
    server = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(venv_binary("temporal")),
        port=temporal_port,
        search_attributes=search_attributes.ALL,
    )
    tokens_dir = tmp_path / "secrets"
    ensure_dev_tokens(tokens_dir, tokens_dir / "tokens.json")  # the staff tokens file compose mounts
    tokens = json.loads((tokens_dir / "dev-tokens.json").read_text(encoding="utf-8"))
    secrets = cluster_secrets()  # ONETHING_ENV=production, codec keys and key id, seal keys, applicant secret
    # The seal's private key goes to the workers alone, its public half to the portals (compose.yaml).
    seal = {"ONETHING_SEAL_PRIVATE_KEY": secrets.pop("ONETHING_SEAL_PRIVATE_KEY")}
    public = {"ONETHING_SEAL_PUBLIC_KEY": secrets.pop("ONETHING_SEAL_PUBLIC_KEY")}
    shared = {
        "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "TEMPORAL_NAMESPACE": "default",
        "DATABASE_URL": cluster_database,
        **secrets,
        "ONETHING_TOKENS_FILE": str(tokens_dir / "tokens.json"),
    }
    base = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}

    def env_of(name: str, **own: str) -> dict[str, str]:
        return {**base, **shared, "ONETHING_DATA_DIR": str(tmp_path / name), **own}

    workers = {
        f"worker-{n}": {"ONETHING_METRICS_ADDRESS": f"127.0.0.1:{free_port()}", **seal} for n in (1, 2)
    }
    portals = {f"portal-{n}": free_port() for n in (1, 2)}
    # Exactly the variables compose gives each kind of process, no more and no fewer.
    for name, own in workers.items():
        assert set(env_of(name, **own)) - set(base) == set(compose_environment("worker")), name
    for name in portals:
        assert set(env_of(name, **public)) - set(base) == set(compose_environment("portal")), name

    log = (tmp_path / "processes.log").open("ab")
    running = {name: spawn(["worker"], env_of(name, **own), log) for name, own in workers.items()}
    for name, port in portals.items():
        running[name] = spawn(["portal", "--port", str(port)], env_of(name, **public), log)
    urls = [f"http://127.0.0.1:{port}" for port in portals.values()]
    first, second = (httpx.AsyncClient(base_url=url, timeout=30) for url in urls)

    def auth(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[name]}"}

    try:
        for portal in (first, second):

            async def ready(portal: httpx.AsyncClient = portal) -> bool:
                try:
                    return (await portal.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, within=120)

        kinds: dict[str, str] = {}
        for n, (kind, sample) in enumerate([("I", CLASS_I)] * 3 + [("II", CLASS_II_URBAN)] * 3):
            # A fresh submission id each run: the ledger on PostgreSQL outlives the dev server.
            document = application({**sample, "submission_id": f"CLUSTER-{kind}-{n}"})
            response = await first.post("/api/v1/cases", json=document, headers=auth("portal"))
            assert response.status_code == 202, response.text
            kinds[response.json()["case_id"]] = kind

        async def status(portal: httpx.AsyncClient, case_id: str) -> dict[str, Any]:
            response = await portal.get(f"/api/v1/cases/{case_id}", headers=auth("auditor"))
            assert response.status_code == 200, response.text
            view: dict[str, Any] = response.json()
            return view

        async def some_case_waits_for_an_officer() -> bool:
            return any([(await status(second, c))["open_tasks"] for c, k in kinds.items() if k == "II"])

        await eventually(some_case_waits_for_an_officer, within=120)
        # Mid-case: the class II cases wait for their reviews. One worker dies without a word.
        running["worker-1"].send_signal(signal.SIGKILL)
        running["worker-1"].wait(timeout=30)

        async def all_decided() -> bool:
            decided = True
            for case_id in kinds:
                view = await status(second, case_id)
                for task in view["open_tasks"]:  # answered through the other portal
                    await second.post(
                        f"/api/v1/cases/{case_id}/opinions",
                        json={"task_id": task["task_id"], "approve": True},
                        headers=auth(f"officer:{task['department']}"),
                    )
                decided = decided and view["outcome"] == "approved" and len(view["licence_ids"]) == 1
            return decided

        await eventually(all_decided, within=240, interval=0.5)

        licence_ids = [(await status(first, c))["licence_ids"][0] for c in kinds]
        for portal in (first, second):
            for licence_id in licence_ids:
                verified = await portal.get(f"/api/v1/licences/{licence_id}/verification")
                assert verified.status_code == 200, verified.text
                assert verified.json() == {"valid": True, "reasons": []}, (licence_id, verified.json())
                fetched = (await portal.get(f"/api/v1/licences/{licence_id}")).json()
                assert fetched["public_key"] == public["ONETHING_SEAL_PUBLIC_KEY"]  # the workers' seal
            # A portal holding the public key alone publishes the key the workers seal with.
            published = (await portal.get("/api/v1/seal/public-key")).json()["public_key"]
            assert published == public["ONETHING_SEAL_PUBLIC_KEY"]
    finally:
        for process in running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in running.values():
            process.wait(timeout=60)
        log.close()
        await first.aclose()
        await second.aclose()
        await server.shutdown()

    # Nothing lost, nothing twice: one licence per case, the ledger's steps exactly once each.
    async with deps.sessions() as session:
        rows = await session.execute(sa.select(LicenceRow.case_id).where(LicenceRow.case_id.in_(kinds)))
        licences = Counter(case_id for (case_id,) in rows.all())
        for case_id, kind in kinds.items():
            steps = [e.step for e in await list_events(session, case_id)]
            assert tells_the_story(steps, EXPECTED_STEPS[kind]), (case_id, steps)
    await dispose(deps)
    assert licences == dict.fromkeys(kinds, 1)
