"""Health and metrics on the real binaries: `onething portal` and `onething worker` against a dev server
that is stopped and started again under them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import IO

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from settings import venv_binary
from tests.factories import CLASS_III
from tests.polling import eventually
from tests.portal.conftest import application
from workflows import search_attributes

pytestmark = [pytest.mark.devserver, pytest.mark.timeout(400)]

ONETHING = Path(sys.executable).parent / "onething"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def dev_server(data_dir: Path, port: int) -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(venv_binary("temporal")),
        dev_server_database_filename=str(data_dir / "temporal.db"),
        port=port,
        search_attributes=search_attributes.ALL,
    )


def spawn(args: list[str], env: dict[str, str], logs: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(ONETHING), *args], env=env, stdout=logs, stderr=logs)


async def test_readyz_names_temporal_while_it_is_down_and_a_submission_answers_503(tmp_path: Path):
    temporal_port, portal_port, metrics_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "ONETHING_DATA_DIR": str(tmp_path),
        "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "ONETHING_TASK_QUEUE": "health",
        "ONETHING_METRICS_ADDRESS": f"127.0.0.1:{metrics_port}",
    }
    url = f"http://127.0.0.1:{portal_port}"
    server = await dev_server(tmp_path, temporal_port)
    logs = (tmp_path / "processes.log").open("wb")
    portal = spawn(["portal", "--port", str(portal_port), "--dev-tokens"], env, logs)
    worker = spawn(["worker"], env, logs)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:

            async def readiness() -> httpx.Response | None:
                try:
                    return await http.get("/readyz")
                except httpx.TransportError:
                    return None

            async def ready() -> bool:
                response = await readiness()
                return response is not None and response.status_code == 200

            await eventually(ready, within=90)
            assert (await http.get("/healthz")).status_code == 200
            tokens = json.loads((tmp_path / "dev-tokens.json").read_text())
            portal_token = {"Authorization": f"Bearer {tokens['portal']}"}

            async def worker_metrics() -> str | None:
                try:
                    async with httpx.AsyncClient() as scraper:
                        text = (await scraper.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
                except httpx.TransportError:
                    return None
                return text if "temporal_num_pollers" in text else None

            # The SDK's runtime telemetry: the worker's pollers on our task queue, with seconds as units.
            scraped = await eventually(worker_metrics, within=60)
            assert 'task_queue="health"' in scraped

            await server.shutdown()

            async def temporal_not_ready() -> dict[str, str] | None:
                response = await readiness()
                if response is None or response.status_code != 503:
                    return None
                return {p["field"]: p["message"] for p in response.json()["detail"]}

            problems = await eventually(temporal_not_ready, within=60)
            assert set(problems) == {"temporal"}, problems
            assert f"127.0.0.1:{temporal_port}" in problems["temporal"]
            assert (await http.get("/healthz")).status_code == 200  # alive: a restart would not help

            # A submission meanwhile: the portal says Temporal is unavailable, not an internal error.
            refused = await http.post("/api/v1/cases", json=application(CLASS_III), headers=portal_token)
            assert refused.status_code == 503, refused.text
            assert refused.json()["detail"][0]["field"] == "server"

            server = await dev_server(tmp_path, temporal_port)
            await eventually(ready, within=90)
            accepted = await http.post("/api/v1/cases", json=application(CLASS_III), headers=portal_token)
            assert accepted.status_code == 202, accepted.text

            metrics = (await http.get("/metrics")).text
            assert 'requests_total{method="POST",route="/api/v1/cases",status="503"} 1.0' in metrics
            assert 'route="/readyz",status="503"' in metrics
    finally:
        for process in (portal, worker):
            process.terminate()
        for process in (portal, worker):
            process.wait(timeout=30)
        logs.close()
        await server.shutdown()
