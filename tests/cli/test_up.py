"""`onething up`, the README's main job, as a user runs it: a real dev server, worker and portal.

Marked devserver: each test starts the whole embedded stack in a subprocess on free ports.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from domain.calendar import SHANGHAI, calendar_outlook
from domain.notices import provisional_calendar
from tests.factories import CLASS_III
from tests.polling import eventually

pytestmark = pytest.mark.devserver
ONETHING = Path(sys.executable).parent / "onething"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def up_command(*extra: str) -> tuple[list[str], int]:
    portal = free_port()
    ports = ["--temporal-port", str(free_port()), "--ui-port", str(free_port()), "--portal-port", str(portal)]
    return [str(ONETHING), "up", *ports, *extra], portal


def test_make_run_feeds_the_demo_and_prints_where_to_look(tmp_path: Path):
    command, _ = up_command("--demo", "--exit-after-demo")
    env = {**os.environ, "ONETHING_DATA_DIR": str(tmp_path)}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "Where to look:" in out
    assert "OnethingStage%20%3D%20%27review%27" in out  # the ready query for cases in review
    assert "/docs" in out and "dev-tokens.json" in out
    demo = out[out.index("Demo cases:") :]
    assert "oversize-transport-DEMO-I-001" in demo and "approved" in demo
    assert "not_accepted" in demo and "supplement" in demo and "review:highway" in demo
    # 开办运输企业: one business licensed (its reviews answered), one waiting, one not accepted.
    lines = {line.split()[0]: line for line in demo.splitlines()[1:] if line.strip()}
    assert "approved" in lines["open-transport-business-DEMO-B-001"]
    assert "review:operating_licence" in lines["open-transport-business-DEMO-B-002"]
    assert "not_accepted" in lines["open-transport-business-DEMO-B-003"]
    assert "11010519491231002X" not in out + result.stderr  # no personal data in what it prints or logs
    # Said before it bites: from 1 November, a next year without a notice is in the banner.
    outlook = calendar_outlook(provisional_calendar(), datetime.now(SHANGHAI).date())
    for year in outlook:
        assert f"WARNING calendar: no State Council holiday notice for {year.year} yet" in out
    if not outlook:
        assert "WARNING calendar" not in out


async def test_stopping_and_restarting_mid_review_loses_no_case(tmp_path: Path):
    command, portal_port = up_command()
    env = {**os.environ, "ONETHING_DATA_DIR": str(tmp_path)}
    url = f"http://127.0.0.1:{portal_port}"

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )

    async def portal_up() -> bool:
        try:
            async with httpx.AsyncClient() as http:
                return (await http.get(f"{url}/openapi.json")).status_code == 200
        except httpx.TransportError:
            return False

    def stop(process: subprocess.Popen[str]) -> None:
        process.send_signal(signal.SIGINT)  # Ctrl-C
        assert process.wait(timeout=60) == 0

    first = start()
    try:
        await eventually(portal_up, within=90)
        tokens = json.loads((tmp_path / "dev-tokens.json").read_text())
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            submitted = await http.post(
                "/api/v1/cases", json=CLASS_III, headers={"Authorization": f"Bearer {tokens['portal']}"}
            )
            assert submitted.status_code == 202, submitted.text
            case = submitted.json()
            officer = {"Authorization": f"Bearer {tokens['officer:highway']}"}

            async def in_review() -> bool:
                status = (await http.get(f"/api/v1/cases/{case['case_id']}", headers=officer)).json()
                return [t["task_id"] for t in status["open_tasks"]] == ["review:highway"]

            await eventually(in_review, within=30)
    finally:
        stop(first)

    second = start()
    try:
        await eventually(portal_up, within=90)
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            for department, task in (("highway", "review:highway"), ("police", "countersign:police")):
                headers = {"Authorization": f"Bearer {tokens['officer:' + department]}"}

                async def task_open(task: str = task, headers: dict[str, str] = headers) -> bool:
                    status = (await http.get(f"/api/v1/cases/{case['case_id']}", headers=headers)).json()
                    return any(t["task_id"] == task for t in status["open_tasks"])

                await eventually(task_open, within=30)
                answer = await http.post(
                    f"/api/v1/cases/{case['case_id']}/opinions",
                    json={"task_id": task, "approve": True},
                    headers=headers,
                )
                assert answer.status_code == 200, answer.text

            async def approved() -> bool:
                status = (await http.get(f"/api/v1/cases/{case['case_id']}", headers=officer)).json()
                return status["outcome"] == "approved" and len(status["licence_ids"]) == 1

            await eventually(approved, within=30)
    finally:
        stop(second)
