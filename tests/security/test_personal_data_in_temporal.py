"""Personal data never reaches the Temporal server in clear; officers read it through the codec endpoint."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from bootstrap.deps import configure, dispose
from codec import codec_from_env, encrypted_converter
from domain.case import Stage
from portal.app import create_app
from portal.auth import ensure_dev_tokens
from settings import Settings, venv_binary
from tests.factories import AGENT, CLASS_III, from_today, submission
from tests.polling import eventually
from tests.workflows.conftest import sample_deps
from worker import build_worker
from workflows.client import start_case
from workflows.oversize_transport import OversizeTransportCase

pytestmark = pytest.mark.devserver
PERSONAL = [AGENT["name"], AGENT["id_number"], AGENT["phone"]]


def _decoded_strings(value: object) -> list[str]:
    """Every string in the history JSON, plus the base64-decoded bytes of every field that is base64."""
    found: list[str] = []
    if isinstance(value, dict):
        for item in value.values():
            found += _decoded_strings(item)
    elif isinstance(value, list):
        for item in value:
            found += _decoded_strings(item)
    elif isinstance(value, str):
        found.append(value)
        if re.fullmatch(r"[A-Za-z0-9+/=]{8,}", value):
            with contextlib.suppress(ValueError):
                found.append(base64.b64decode(value).decode("utf-8", errors="ignore"))
    return found


def raw_history(workflow_id: str, address: str) -> str:
    """The history exactly as the server stores it, read with the official CLI (no codec)."""
    command = [str(venv_binary("temporal")), "workflow", "show", "--workflow-id", workflow_id]
    command += ["--address", address, "--output", "json"]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout


async def test_raw_history_holds_no_personal_data_and_the_codec_endpoint_reveals_it_to_officers(
    dev_server_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
):
    target = dev_server_env.client.service_client.config.target_host
    codec = codec_from_env({}, tmp_path)
    client = await Client.connect(target, data_converter=encrypted_converter(codec))
    deps = await sample_deps(tmp_path)
    configure(deps)
    sub = submission(from_today(CLASS_III), submission_id=f"PII-{uuid.uuid4().hex[:10]}")
    try:
        async with build_worker(client, task_queue):
            handle, _ = await start_case(client, sub, task_queue)

            async def in_review() -> bool:
                return (await handle.query(OversizeTransportCase.status)).stage is Stage.REVIEW

            await eventually(in_review)
            raw = raw_history(handle.id, target)
            await handle.terminate("test done")
    finally:
        configure(None)
        await dispose(deps)

    history = json.loads(raw)
    assert history["events"], "the history must have been read"
    everything = "\n".join(_decoded_strings(history))
    for value in PERSONAL:
        assert value not in raw
        assert value not in everything, f"{value!r} readable in the raw history"

    # The first event's input, as the Web UI would send it to the codec endpoint.
    started = history["events"][0]["workflowExecutionStartedEventAttributes"]["input"]
    settings = Settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", target, "default", task_queue)
    tokens = json.loads(ensure_dev_tokens(tmp_path).read_text())
    app = create_app(settings, client=client, deps=deps, task_queue=task_queue, codec=codec)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal") as http:
        anonymous = await http.post("/codec/decode", json=started)
        assert anonymous.status_code == 401
        applicant_like = await http.post(
            "/codec/decode", json=started, headers={"Authorization": "Bearer nope"}
        )
        assert applicant_like.status_code == 401
        portal_token = {"Authorization": f"Bearer {tokens['portal']}"}
        assert (await http.post("/codec/decode", json=started, headers=portal_token)).status_code == 403
        officer = {"Authorization": f"Bearer {tokens['officer:highway']}"}
        decoded = await http.post("/codec/decode", json=started, headers=officer)
        assert decoded.status_code == 200, decoded.text
    plain = base64.b64decode(decoded.json()["payloads"][0]["data"]).decode()
    assert AGENT["name"] in plain and AGENT["id_number"] in plain
