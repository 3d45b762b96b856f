"""`onething up`, the README's main job, as a user runs it: a real dev server, worker and portal.

Marked devserver: each test starts the whole embedded stack in a subprocess on free ports.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
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
from tests.factories import CLASS_III, CLASS_III_TASKS, from_today
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
    # Decided cases run on for their 好差评 window: the summary says so, with the UI's query for them.
    assert "好差评 window open" in lines["oversize-transport-DEMO-I-001"]
    assert "好差评 window open" not in lines["oversize-transport-DEMO-III-001"]  # still in review
    assert "wait for the applicant's rating (好差评)" in out
    assert "OnethingStage%20%3D%20%27evaluation%27" in out
    # The console is the start-up, the demo and where to look; the JSON logs are in their files.
    assert not [line for line in out.splitlines() if line.startswith("{")]
    assert (tmp_path / "logs" / "up.log").stat().st_size > 0
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
                "/api/v1/cases",
                json=from_today(CLASS_III),
                headers={"Authorization": f"Bearer {tokens['portal']}"},
            )
            assert submitted.status_code == 202, submitted.text
            case = submitted.json()
            officer = {"Authorization": f"Bearer {tokens['officer:highway']}"}

            async def in_review() -> bool:
                status = (await http.get(f"/api/v1/cases/{case['case_id']}", headers=officer)).json()
                return sorted(t["task_id"] for t in status["open_tasks"]) == CLASS_III_TASKS

            await eventually(in_review, within=30)
    finally:
        stop(first)

    second = start()
    try:
        await eventually(portal_up, within=90)
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            for department, task in (
                ("highway", "review:highway"),
                ("highway", "inspection:highway"),
                ("police", "countersign:police"),
            ):
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


# --- a run a person can read, and one that supervises what it starts (issue 16, items 5 and 6) -------


def children(pid: int) -> list[int]:
    """The direct children of `pid`, from /proc (every thread's list: a child belongs to its forker)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie holds no port; it waits only for its parent to read its status


def port_holders(port: int) -> list[int]:
    """The pids listening on `port` (ss, from iproute2)."""
    listed = subprocess.run(
        ["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, check=False
    ).stdout
    return [int(pid) for pid in re.findall(r"pid=(\d+)", listed)]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def ports_of(command: list[str]) -> dict[str, int]:
    return {command[i]: int(command[i + 1]) for i in range(len(command) - 1) if command[i].endswith("-port")}


@pytest.mark.parametrize("option", ["--portal-port", "--temporal-port"])
def test_a_busy_port_is_one_line_naming_it_and_nothing_starts(tmp_path: Path, option: str):
    command, _ = up_command()
    busy = ports_of(command)[option]
    with socket.socket() as foreign:  # another program's server, listening on the port
        foreign.bind(("127.0.0.1", busy))
        foreign.listen()
        env = {**os.environ, "ONETHING_DATA_DIR": str(tmp_path)}
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert f"port {busy} ({option}) is in use" in lines[0]
    assert f'make run ARGS="{option} {busy + 1}"' in lines[0]
    assert not (tmp_path / "temporal.db").exists()  # refused before any server started


def test_make_run_passes_args_to_onething_up():
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        ["make", "-n", "-C", str(root), "run", "ARGS=--portal-port 8001"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "onething up --demo --portal-port 8001" in result.stdout


def start_up(tmp_path: Path) -> tuple[subprocess.Popen[str], list[str], str]:
    command, portal_port = up_command()
    env = {**os.environ, "ONETHING_DATA_DIR": str(tmp_path)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return process, command, f"http://127.0.0.1:{portal_port}"


async def portal_answers(url: str) -> bool:
    try:
        async with httpx.AsyncClient() as http:
            return (await http.get(f"{url}/healthz")).status_code == 200
    except httpx.TransportError:
        return False


def read_until(process: subprocess.Popen[str], text: str) -> str:
    """What `up` printed up to and including the line containing `text` (or all of it, if it ended)."""
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if text in line:
            break
    return "".join(seen)


async def test_up_ends_non_zero_with_one_line_when_its_dev_server_dies(tmp_path: Path):
    process, _, _ = start_up(tmp_path)
    try:
        started = await asyncio.wait_for(asyncio.to_thread(read_until, process, "Running."), timeout=90)
        (server,) = children(process.pid)  # the dev server: `up` runs the worker and portal itself
        os.kill(server, signal.SIGKILL)
        rest, err = process.communicate(timeout=90)
        out = started + rest
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 1
    assert "the Temporal dev server on port" in err and "was killed by signal 9" in err, err
    assert str(tmp_path / "logs" / "up.log") in err  # where to look for more
    assert "Traceback" not in out + err
    # The console had the start-up and where the logs are, not the logs themselves.
    assert "Up: Temporal UI" in out and str(tmp_path / "logs" / "temporal.log") in out
    assert not [line for line in out.splitlines() if line.startswith("{")]
    assert '"event": "worker started"' in (tmp_path / "logs" / "up.log").read_text()


async def test_sigkill_of_up_leaves_no_process_holding_its_ports(tmp_path: Path):
    process, command, url = start_up(tmp_path)
    try:
        await eventually(lambda: portal_answers(url), within=90)
        started = children(process.pid)
        assert started, "the dev server runs as a child of `up`"
    finally:
        process.kill()  # SIGKILL: no handler of `up` runs
        process.communicate()

    async def all_gone() -> bool:
        return not any(alive(pid) for pid in started)

    await eventually(all_gone, within=30)
    for option, port in ports_of(command).items():
        # Free, or taken since by a process of another test (the suite runs on two workers and ports
        # come from the shared ephemeral range): never by one that works in this `up`'s data directory.
        holders = port_holders(port)
        assert port_free(port) or not any(str(tmp_path) in cmdline(pid) for pid in holders), (
            f"{option} {port} still held by {holders}"
        )
