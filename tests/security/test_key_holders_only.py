"""Around the portal, straight to the Temporal frontend: a case takes no message it did not get from a
key holder (issue 17, item 2), against the real dev server with the `temporal` CLI an attacker has.

The portal and a worker share the codec key, as in a deployment. Each attempt is the CLI's
`workflow update execute`, the way the issue's probe did it; after each, the task it aimed at is still
open and nothing was written to the case's history:

- a plain JSON payload naming a department and an officer (the probe of the issue);
- a payload sealed by the codec endpoint with an officer's token, naming another department (anything
  may be sealed there, so the worker refuses what it seals: "for the UI");
- the sealed answer of a real highway officer, copied out of one case's history into an update to
  another case (the ciphertext is readable by anyone with frontend access).

The portal's own answers, sealed for their case, still go through.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from codec import codec_from_env, encrypted_converter
from settings import venv_binary
from tests.factories import CLASS_III, CLASS_III_TASKS
from tests.polling import eventually
from tests.portal.conftest import application, bearer, running_portal

pytestmark = pytest.mark.devserver


@dataclass
class Stack:
    http: httpx.AsyncClient
    client: Client
    address: str
    tokens: dict[str, str]

    async def case_in_review(self) -> tuple[str, str]:
        document = application(CLASS_III, submission_id=f"DOOR-{uuid.uuid4().hex[:10]}")
        response = await self.http.post("/api/v1/cases", json=document, headers=bearer(self.tokens["portal"]))
        assert response.status_code == 202, response.text
        case_id, token = response.json()["case_id"], response.json()["applicant_token"]
        await self.wait_for_open(case_id, token, CLASS_III_TASKS)
        return case_id, token

    async def open_tasks(self, case_id: str, token: str) -> list[str]:
        response = await self.http.get(f"/api/v1/cases/{case_id}", headers=bearer(token))
        assert response.status_code == 200, response.text
        return sorted(t["task_id"] for t in response.json()["open_tasks"])

    async def wait_for_open(self, case_id: str, token: str, expected: list[str]) -> None:
        async def check() -> bool:
            return await self.open_tasks(case_id, token) == expected

        await eventually(check, within=30)

    async def history(self, case_id: str) -> dict[str, Any]:
        """The history as the server keeps it, read with the CLI (no codec)."""
        out = await temporal(
            "workflow", "show", "--workflow-id", case_id, "--address", self.address, "--output", "json"
        )
        assert out.returncode == 0, out.stderr
        history: dict[str, Any] = json.loads(out.stdout)
        return history


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


async def temporal(*args: str) -> Ran:
    """The CLI as a child process, awaited: the worker answering it runs in this event loop."""
    process = await asyncio.create_subprocess_exec(
        str(venv_binary("temporal")),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())


async def direct_update(
    stack: Stack, case_id: str, data: bytes, metadata: Mapping[str, str] | None = None
) -> Ran:
    """`temporal workflow update execute --name submit_opinion`, with a payload of our choosing."""
    args = ["workflow", "update", "execute", "--workflow-id", case_id, "--name", "submit_opinion"]
    args += ["--address", stack.address]
    if metadata is None:
        return await temporal(*args, "--input", data.decode())
    for key, value in metadata.items():
        args += ["--input-meta", f"{key}={value}"]
    return await temporal(*args, "--input-base64", "--input", base64.b64encode(data).decode())


def update_inputs(history: dict[str, Any]) -> list[dict[str, Any]]:
    """The input payloads of the updates a history accepted."""
    return [
        payload
        for event in history["events"]
        if "workflowExecutionUpdateAcceptedEventAttributes" in event
        for payload in event["workflowExecutionUpdateAcceptedEventAttributes"]["acceptedRequest"]["input"][
            "args"
        ]["payloads"]
    ]


def metadata_of(payload: dict[str, Any]) -> dict[str, str]:
    return {key: base64.b64decode(value).decode() for key, value in payload["metadata"].items()}


@asynccontextmanager
async def stack_on(env: WorkflowEnvironment, data_dir: Path, task_queue: str) -> AsyncIterator[Stack]:
    """The portal and a worker on a client that seals with the stack's codec key, as `onething up`."""
    address = env.client.service_client.config.target_host
    codec = codec_from_env({}, data_dir)
    client = await Client.connect(address, data_converter=encrypted_converter(codec))
    async with running_portal(env, data_dir, task_queue, client=client, codec=codec) as portal:
        yield Stack(portal.http, client, address, portal.tokens)


async def test_a_case_takes_no_update_that_no_key_holder_sealed_for_it(
    dev_server_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
):
    async with stack_on(dev_server_env, tmp_path, task_queue) as stack:
        case_id, token = await stack.case_in_review()

        # 1. The probe: a plain payload that names the department and the officer.
        plain = {"task_id": "review:highway", "department": "highway", "approve": True, "officer": "mallory"}
        ran = await direct_update(stack, case_id, json.dumps(plain).encode())
        assert ran.returncode != 0
        assert "refused-not-sealed-by-a-key-holder" in ran.stdout + ran.stderr

        # 2. A forged department, sealed by the codec endpoint for a highway officer's token.
        forged = {"task_id": "countersign:police", "department": "police", "approve": True, "officer": "x"}
        plain_payload = {
            "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
            "data": base64.b64encode(json.dumps(forged).encode()).decode(),
        }
        sealed = await stack.http.post(
            "/codec/encode",
            json={"payloads": [plain_payload]},
            headers=bearer(stack.tokens["officer:highway"]),
        )
        assert sealed.status_code == 200, sealed.text
        [ui_sealed] = sealed.json()["payloads"]
        assert metadata_of(ui_sealed)["onething-sealed-for"] == "ui"
        ran = await direct_update(stack, case_id, base64.b64decode(ui_sealed["data"]), metadata_of(ui_sealed))
        assert ran.returncode != 0
        assert "refused-sealed-for-the-ui" in ran.stdout + ran.stderr

        # Nothing moved: every task still open, no update in the history (rejected before its validator).
        assert await stack.open_tasks(case_id, token) == CLASS_III_TASKS
        assert update_inputs(await stack.history(case_id)) == []

        # 3. A real officer's sealed answer to another case, copied into an update to this one.
        other_id, other_token = await stack.case_in_review()
        answered = await stack.http.post(
            f"/api/v1/cases/{other_id}/opinions",
            json={"task_id": "review:highway", "approve": True},
            headers=bearer(stack.tokens["officer:highway"]),
        )
        assert answered.status_code == 200, answered.text  # the portal's own answer goes through
        [copied] = update_inputs(await stack.history(other_id))
        assert metadata_of(copied)["onething-case"] == other_id
        ran = await direct_update(stack, case_id, base64.b64decode(copied["data"]), metadata_of(copied))
        assert ran.returncode != 0
        assert "refused-sealed-for-another-case" in ran.stdout + ran.stderr
        # And with the case in its metadata rewritten to this one, the tag no longer verifies.
        rewritten = {**metadata_of(copied), "onething-case": case_id}
        ran = await direct_update(stack, case_id, base64.b64decode(copied["data"]), rewritten)
        assert ran.returncode != 0
        assert "refused-not-decryptable-with-our-keys" in ran.stdout + ran.stderr

        assert await stack.open_tasks(case_id, token) == CLASS_III_TASKS
        assert update_inputs(await stack.history(case_id)) == []
        assert "review:highway" not in await stack.open_tasks(other_id, other_token)

        # A signal around the portal is dropped by the worker, and the case carries on as before.
        ran = await temporal(
            "workflow", "signal", "--workflow-id", case_id, "--name", "recount_dues",
            "--input", '{"year": 2026}', "--address", stack.address,
        )  # fmt: skip
        assert ran.returncode == 0  # the server takes any signal; the worker drops this one
        answered = await stack.http.post(
            f"/api/v1/cases/{case_id}/opinions",
            json={"task_id": "review:highway", "approve": True},
            headers=bearer(stack.tokens["officer:highway"]),
        )
        assert answered.status_code == 200, answered.text
