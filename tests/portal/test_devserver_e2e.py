"""End to end on the real dev server: the portal served by uvicorn over TCP, a real worker, the CLI.

The portal runs in this event loop (uvicorn.Server in a task, on a socket bound to a free port); the
CLI, which is synchronous, runs in a thread so it does not block the server it talks to.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from bootstrap.deps import configure, dispose
from portal.app import create_app
from tests.factories import CLASS_I, CLASS_II_URBAN, CLASS_II_URBAN_TASKS
from tests.polling import eventually
from tests.portal.conftest import application, bearer, dev_tokens, portal_config, portal_settings
from tests.portal.conftest import onething as run_cli
from tests.workflows.conftest import sample_deps
from worker import build_worker

pytestmark = pytest.mark.devserver


@dataclass
class Served:
    url: str
    http: httpx.AsyncClient
    tokens: dict[str, str]

    def auth(self, name: str) -> dict[str, str]:
        return bearer(self.tokens[name])

    async def wait_for(self, case_id: str, token: str, **expected: Any) -> dict[str, Any]:
        async def check() -> dict[str, Any] | None:
            response = await self.http.get(f"/api/v1/cases/{case_id}", headers=bearer(token))
            assert response.status_code == 200, response.text
            status: dict[str, Any] = response.json()
            seen = {**status, "open_tasks": sorted(t["task_id"] for t in status["open_tasks"])}
            return status if all(seen[k] == v for k, v in expected.items()) else None

        return await eventually(check, within=30)


@contextlib.asynccontextmanager
async def uvicorn_serving(app: FastAPI) -> AsyncIterator[str]:
    """`app` served by uvicorn on a free port of 127.0.0.1, with its lifespan; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with httpx.AsyncClient(base_url=url) as http:

            async def answers() -> bool:
                assert not serving.done(), "uvicorn stopped"
                try:
                    return (await http.get("/api/v1/seal/public-key")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(answers, within=15)
        yield url
    finally:
        server.should_exit = True
        await serving
        sock.close()


@pytest_asyncio.fixture
async def served(
    dev_server_env: WorkflowEnvironment, tmp_path: Path, task_queue: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Served]:
    for name in (
        "ONETHING_TOKEN",
        "ONETHING_PORTAL_URL",
        "ONETHING_TOKENS_FILE",
        "ONETHING_APPLICANT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ONETHING_DATA_DIR", str(tmp_path))  # where the CLI finds dev-tokens.json
    deps = await sample_deps(tmp_path)
    configure(deps)
    tokens = dev_tokens(tmp_path)
    app = create_app(
        portal_settings(tmp_path, task_queue),
        client=dev_server_env.client,
        deps=deps,
        task_queue=task_queue,
        config=portal_config(tmp_path),
    )
    try:
        async with (
            build_worker(dev_server_env.client, task_queue),
            uvicorn_serving(app) as url,
            httpx.AsyncClient(base_url=url) as http,
        ):
            yield Served(url=url, http=http, tokens=tokens)
    finally:
        configure(None)
        await dispose(deps)


async def onething(argv: Sequence[str]) -> int:
    return await asyncio.to_thread(run_cli, argv)


def printed_json(capsys: pytest.CaptureFixture[str]) -> Any:
    """The CLI's JSON line; the server and worker in this process log to stdout too."""
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return json.loads(lines[-1])


async def test_class_i_over_tcp_issues_a_licence_that_verifies(served: Served):
    document = application(CLASS_I)
    response = await served.http.post("/api/v1/cases", json=document, headers=served.auth("portal"))
    assert response.status_code == 202, response.text
    submitted = response.json()

    final = await served.wait_for(submitted["case_id"], submitted["applicant_token"], outcome="approved")
    [licence_id] = final["licence_ids"]
    licence = (await served.http.get(f"/api/v1/licences/{licence_id}")).json()
    assert licence["identifier"] == licence_id
    verification = await served.http.get(f"/api/v1/licences/{licence_id}/verification")
    assert verification.json() == {"valid": True, "reasons": []}

    again = await served.http.post("/api/v1/cases", json=document, headers=served.auth("portal"))
    assert again.status_code == 200
    assert again.json() == submitted


async def test_class_ii_answered_by_officers_over_tcp_and_with_the_cli(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    # Submitted with the CLI (portal dev token from the data directory), answered over HTTP and the CLI.
    application_file = tmp_path / "application.json"
    application_file.write_text(json.dumps(application(CLASS_II_URBAN), ensure_ascii=False), encoding="utf-8")
    assert await onething(["submit", str(application_file), "--url", served.url]) == 0
    submitted = printed_json(capsys)
    case_id, token = submitted["case_id"], submitted["applicant_token"]

    # The reviews and the police countersign open at once (并联审批).
    await served.wait_for(case_id, token, open_tasks=CLASS_II_URBAN_TASKS)
    response = await served.http.post(
        f"/api/v1/cases/{case_id}/opinions",
        json={"task_id": "review:urban_road", "approve": True},
        headers=served.auth("officer:urban_road"),
    )
    assert response.status_code == 200, response.text
    decide = ["decide", case_id, "--url", served.url]
    assert await onething([*decide, "--as", "highway", "--task", "review:highway", "--approve"]) == 0
    capsys.readouterr()

    # Answered already: a 409, on stderr with the server's message, exit 2.
    assert await onething([*decide, "--as", "highway", "--task", "review:highway", "--approve"]) == 2
    assert "HTTP 409: task_id:" in capsys.readouterr().err

    await served.wait_for(case_id, token, open_tasks=["countersign:police"])
    police = [*decide, "--as", "police", "--task", "countersign:police", "--approve"]
    assert await onething([*police, "--condition", "夜间 22:00—次日 6:00 通行"]) == 0
    capsys.readouterr()

    final = await served.wait_for(case_id, token, outcome="approved")
    assert final["conditions"] == ["夜间 22:00—次日 6:00 通行"]
    assert await onething(["status", case_id, "--url", served.url]) == 0  # auditor dev token
    assert printed_json(capsys)["outcome"] == "approved"


async def test_without_a_client_the_lifespan_connects_and_builds_the_store(
    dev_server_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # What `onething portal` runs: create_app(settings) alone, Temporal address and store from settings.
    for name in ("ONETHING_APPLICANT_SECRET", "ONETHING_SEAL_PRIVATE_KEY", "ONETHING_TOKENS_FILE"):
        monkeypatch.delenv(name, raising=False)
    target = dev_server_env.client.service_client.config.target_host
    settings = replace(portal_settings(tmp_path, "unused"), temporal_address=target)
    tokens = dev_tokens(tmp_path)
    app = create_app(settings, config=portal_config(tmp_path))
    async with uvicorn_serving(app) as url, httpx.AsyncClient(base_url=url) as http:
        response = await http.get("/api/v1/cases/oversize-transport-NONE", headers=bearer(tokens["auditor"]))
        assert response.status_code == 404  # Temporal answered: no such workflow
        key = (await http.get("/api/v1/seal/public-key")).json()["public_key"]
    assert key == json.loads((tmp_path / "seal-dev-key.json").read_text())["public_key"]
    assert (tmp_path / "onething.db").exists()
