"""Fault suite: nothing is lost and nothing happens twice when the machine misbehaves.

A real dev server on a SQLite file, real `onething worker` processes, the portal (`onething portal`)
through which applications arrive and officers answer, and a downstream receiver that refuses its
first twenty deliveries. While 200 cases of mixed classes run, the worker is killed with SIGKILL again and
again and restarted, and the dev server is stopped and started once. Afterwards every case must have
reached its correct end with exactly one licence per approved case, the ledger must hold exactly the
expected events per case with valid hash chains, and every outbox message must have been delivered.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import sqlalchemy as sa
from temporalio.testing import WorkflowEnvironment

from bootstrap.deps import dispose
from domain.case import Outcome
from settings import venv_binary
from store.ledger import list_events, verify_chain
from store.outbox import list_messages
from store.schema import LedgerEventRow, LicenceRow
from tests import figures
from tests.factories import CLASS_I, CLASS_II_URBAN, CLASS_III, with_request
from tests.polling import eventually
from tests.portal.conftest import application
from tests.workflows.conftest import calendar_for_tests, sample_deps
from workflows import search_attributes

pytestmark = [pytest.mark.devserver, pytest.mark.slow, pytest.mark.timeout(900)]

ONETHING = Path(sys.executable).parent / "onething"
ROUND_INTERVAL_S = 1.0
WORKER_KILLS = 6
KILL_EVERY_S = 6.0
"""The worker is killed this often once every case is submitted, on a clock of its own: counted in
rounds of answers, the kills depended on how long a round took, and a faster engine ended every case
before the last ones came."""
MIX = [("I", CLASS_I, 80), ("II", CLASS_II_URBAN, 40), ("III", CLASS_III, 40), ("NA", None, 40)]
EXPECTED_OUTCOME = {
    "I": Outcome.APPROVED,
    "II": Outcome.APPROVED,
    "III": Outcome.APPROVED,
    "NA": Outcome.NOT_ACCEPTED,
}
# The police countersign (会签) runs beside the reviews: their answers come in any order.
PARALLEL_II = ("承办", "承办", "承办", "审核", "审核", "会签")
PARALLEL_III = ("承办", "承办", "承办", "审核", "审核", "会签")  # the review, its 勘验, the countersign
EXPECTED_STEPS: dict[str, list[str | tuple[str, ...]]] = {
    "I": ["收件", "受理", "承办", "审核", "决定", "制证", "办结"],
    "II": ["收件", "受理", PARALLEL_II, "决定", "制证", "办结"],
    "III": ["收件", "受理", PARALLEL_III, "决定", "制证", "办结"],
    "NA": ["收件", "不予受理", "办结"],
}


def tells_the_story(steps: list[str], expected: list[str | tuple[str, ...]]) -> bool:
    """`steps` in the expected order, where a tuple is a block whose steps may come in any order (but
    each 承办 before the answers, as a task opens before it is answered)."""
    at = 0
    for part in expected:
        if isinstance(part, str):
            if steps[at : at + 1] != [part]:
                return False
            at += 1
        else:
            block = steps[at : at + len(part)]
            opened = block.count("承办")
            if Counter(block) != Counter(part) or block[:opened] != ["承办"] * opened:
                return False
            at += len(part)
    return at == len(steps)


NOT_ACCEPTED = with_request(CLASS_I, cargo__divisible=True)


def own_window(document: dict[str, Any], n: int) -> dict[str, Any]:
    """A one-day travel window n days from today: with more cases of a kind than the tests' fleet has
    vehicles, no two permits for one vehicle overlap (同一车辆重复办证 would refuse the second)."""
    day = (date.fromisoformat(document["travel_from"]) + timedelta(days=n)).isoformat()
    return {**document, "travel_from": day, "travel_to": day}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FlakyReceiver:
    """The licence repository, checkpoints and notices: 503 for the first `refuse_first` deliveries,
    then 200; counts each idempotency key it accepted (the header is percent-encoded UTF-8)."""

    def __init__(self, refuse_first: int) -> None:
        self.refuse_first = refuse_first
        self.refused = 0
        self.received: Counter[str] = Counter()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if receiver.refused < receiver.refuse_first:
                    receiver.refused += 1
                    self.send_response(503)
                else:
                    receiver.received[unquote(self.headers["Idempotency-Key"])] += 1
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 64  # the relay sends a batch at once; the default backlog of 5 resets some

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Stack:
    def __init__(self, data_dir: Path, receiver: FlakyReceiver) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.db_url = f"sqlite+aiosqlite:///{data_dir / 'onething.db'}"
        self.task_queue = f"faults-{uuid.uuid4().hex[:8]}"
        calendar_file = data_dir / "calendar.json"
        calendar_file.write_text(json.dumps(_synthetic_notices()))
        self.env_vars = {
            **os.environ,
            "ONETHING_DATA_DIR": str(data_dir),
            "DATABASE_URL": self.db_url,
            "TEMPORAL_ADDRESS": f"127.0.0.1:{self.port}",
            "ONETHING_TASK_QUEUE": self.task_queue,
            "ONETHING_CALENDAR_FILES": str(calendar_file),
            **{
                f"ONETHING_PUSH_URL_{d}": receiver.url for d in ("LICENCE_REPOSITORY", "CHECKPOINT", "NOTICE")
            },
        }
        self.server: WorkflowEnvironment | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.portal: subprocess.Popen[bytes] | None = None
        self.portal_url = f"http://127.0.0.1:{free_port()}"

    async def start_server(self) -> None:
        self.server = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(venv_binary("temporal")),
            dev_server_database_filename=str(self.data_dir / "temporal.db"),
            dev_server_extra_args=[
                "--sqlite-pragma",
                "journal_mode=wal",
                "--sqlite-pragma",
                "synchronous=normal",
            ],
            port=self.port,
            search_attributes=search_attributes.ALL,
        )

    async def stop_server(self) -> None:
        assert self.server is not None
        await self.server.shutdown()

    def start_worker(self) -> None:
        log = open(self.data_dir / "worker.log", "ab")  # noqa: SIM115 - handed to the child process
        self.worker = subprocess.Popen([str(ONETHING), "worker"], env=self.env_vars, stdout=log, stderr=log)

    def start_portal(self) -> None:
        log = open(self.data_dir / "portal.log", "ab")  # noqa: SIM115 - handed to the child process
        port = self.portal_url.rsplit(":", 1)[1]
        command = [str(ONETHING), "portal", "--port", port, "--dev-tokens"]
        self.portal = subprocess.Popen(command, env=self.env_vars, stdout=log, stderr=log)

    def stop_portal(self) -> None:
        if self.portal is not None and self.portal.poll() is None:
            self.portal.send_signal(signal.SIGINT)
            self.portal.wait(timeout=60)

    def kill_worker(self) -> None:
        assert self.worker is not None
        self.worker.send_signal(signal.SIGKILL)
        self.worker.wait(timeout=30)

    def stop_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.send_signal(signal.SIGINT)
            self.worker.wait(timeout=60)


def _synthetic_notices() -> list[dict[str, Any]]:
    """Test-only calendar years after the official data, so the worker never waits for next year's notice."""
    official = {2024, 2025, 2026}
    return [
        {"year": n.year, "source": n.source, "holidays": [], "make_up_workdays": []}
        for n in calendar_for_tests().notices
        if n.year not in official
    ]


async def test_kill_the_worker_restart_the_server_fail_downstream_and_lose_nothing(tmp_path: Path):
    receiver = FlakyReceiver(refuse_first=20)
    stack = Stack(tmp_path, receiver)
    deps = await sample_deps(tmp_path, stack.db_url)  # migrates and loads the sample registry
    await stack.start_server()
    stack.start_worker()
    stack.start_portal()
    http = httpx.AsyncClient(base_url=stack.portal_url, timeout=30)
    cases: dict[str, str] = {}
    started = time.monotonic()
    deadline = started + 600
    kills = 0
    server_restarted = False
    try:
        await eventually(lambda: portal_answers(http), within=60)
        tokens = json.loads((tmp_path / "dev-tokens.json").read_text(encoding="utf-8"))
        portal = Officers(http, tokens, deps.sessions)
        documents = [
            (kind, own_window(application(base or NOT_ACCEPTED, submission_id=f"F{kind}-{n:03d}"), n))
            for kind, base, count in MIX
            for n in range(count)
        ]
        # Twenty at a time, as a portal takes them from many applicants at once.
        for first in range(0, len(documents), 20):
            batch = documents[first : first + 20]
            ids = await asyncio.gather(*(portal.submit(document) for _, document in batch))
            cases.update({case_id: kind for case_id, (kind, _) in zip(ids, batch, strict=True)})
        submitted_s = time.monotonic() - started

        done: set[str] = set()
        open_at_last_kill = 0

        async def inject_faults() -> None:
            nonlocal kills, server_restarted, open_at_last_kill
            for _ in range(WORKER_KILLS):
                await asyncio.sleep(KILL_EVERY_S)
                stack.kill_worker()
                stack.start_worker()
                kills += 1
                open_at_last_kill = len(cases) - len(done)
                if kills == 2:
                    await stack.stop_server()
                    await stack.start_server()
                    server_restarted = True

        faults = asyncio.create_task(inject_faults())
        while len(done) < len(cases) or not faults.done():
            assert time.monotonic() < deadline, f"only {len(done)} of {len(cases)} cases ended"
            await portal.answer_open_tasks(cases, done)
            # One round of reads and answers per second: polling without a pause would spend the two
            # cores on queries (each one a replay on a freshly restarted worker) instead of the cases.
            await asyncio.sleep(ROUND_INTERVAL_S)
        await faults  # its errors, if any
        cases_ended_s = time.monotonic() - started

        async def everything_delivered() -> bool:
            async with deps.sessions() as session:
                return all(m.delivered_at is not None for m in await list_messages(session))

        await eventually(everything_delivered, within=max(deadline - time.monotonic(), 1.0), interval=0.5)
        delivered_s = time.monotonic() - started
    finally:
        await http.aclose()
        stack.stop_portal()
        stack.stop_worker()
        if stack.server is not None:
            await stack.stop_server()

    async with deps.sessions() as session:
        licences = Counter(r.case_id for r in (await session.execute(sa.select(LicenceRow.case_id))).all())
        steps_ok = 0
        for case_id, kind in cases.items():
            steps = [e.step for e in await list_events(session, case_id)]
            assert tells_the_story(steps, EXPECTED_STEPS[kind]), (case_id, steps)
            steps_ok += 1
        broken = await verify_chain(session)
        messages = await list_messages(session)
    await dispose(deps)

    approved = [c for c, k in cases.items() if EXPECTED_OUTCOME[k] is Outcome.APPROVED]
    duplicates = sum(n - 1 for n in licences.values())
    lost = sum(1 for c in approved if licences[c] == 0)
    redelivered = sum(n - 1 for n in receiver.received.values())
    figures.line(
        "fault suite",
        f"faults: cases={len(cases)} approved={len(approved)} licences={sum(licences.values())} "
        f"duplicates={duplicates} lost={lost} worker_kills={kills} server_restarts={int(server_restarted)} "
        f"open_at_last_kill={open_at_last_kill} "
        f"ledger_cases_exact={steps_ok} broken_chains={len(broken)} outbox={len(messages)} "
        f"refused_by_receiver={receiver.refused} delivered_keys={len(receiver.received)} "
        f"redelivered={redelivered} submitted_after_s={submitted_s:.0f} "
        f"cases_ended_after_s={cases_ended_s:.0f} "
        f"delivered_after_s={delivered_s:.0f}",
    )
    assert duplicates == 0 and lost == 0
    assert set(licences) == set(approved)
    assert broken == []
    assert {m.idempotency_key for m in messages} == set(receiver.received)
    assert receiver.refused > 0  # the downstream outage did happen
    assert kills == WORKER_KILLS and server_restarted
    assert open_at_last_kill > 0  # the last kill still found cases under way


async def portal_answers(http: httpx.AsyncClient) -> bool:
    try:
        return (await http.get("/openapi.json")).status_code == 200
    except httpx.TransportError:
        return False


class Officers:
    """The portal's callers: 一网通办 submits; officers answer what their inbox shows, as they would.

    The open tasks come from the inbox (GET /api/v1/tasks, a read model of the ledger) and a case is
    looked at (a workflow query) only once the ledger says it ended: querying every case each round
    would spend the worker on replays after each kill instead of on the cases.
    """

    def __init__(self, http: httpx.AsyncClient, tokens: dict[str, str], sessions: Any) -> None:
        self.http = http
        self.tokens = tokens
        self.sessions = sessions

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    async def submit(self, document: dict[str, Any]) -> str:
        """Submit, resending while the portal cannot reach Temporal (503) or the connection drops (a
        pooled connection the portal closed at its keep-alive timeout just as the request went out):
        the same submission id names the same case, so a resend never starts a second one."""

        async def accepted() -> str | None:
            try:
                response = await self.http.post("/api/v1/cases", json=document, headers=self.auth("portal"))
            except httpx.TransportError:
                return None
            if response.status_code == 503:
                return None
            assert response.status_code in (200, 202), response.text
            return str(response.json()["case_id"])

        return await eventually(accepted, within=120, interval=0.5)

    async def open_tasks(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params = {"state": "open", "limit": "200", **({"cursor": cursor} if cursor else {})}
            response = await self.http.get("/api/v1/tasks", params=params, headers=self.auth("auditor"))
            if response.status_code != 200:
                return items
            page = response.json()
            items += page["items"]
            cursor = page["next"]
            if cursor is None:
                return items

    async def answer_open_tasks(self, cases: dict[str, str], done: set[str]) -> None:
        """Every open task in the inbox approved by its department; a case the ledger says ended is
        checked once for the right outcome. An answer that fails (worker or server down: 503, or the
        task already answered: 409) is tried next round, as the task is still in the inbox."""
        # All answers of a round at once, at most 40 in flight: an answer to a case whose worker was
        # just killed waits for the server to hand the case to another worker, and must not hold up
        # the answers behind it.
        in_flight = asyncio.Semaphore(40)

        async def answer(task: dict[str, Any]) -> None:
            async with in_flight:
                try:
                    await self.http.post(
                        f"/api/v1/cases/{task['case_id']}/opinions",
                        json={"task_id": task["task_id"], "approve": True},
                        headers=self.auth(f"officer:{task['department']}"),
                    )
                except httpx.TransportError:
                    return

        try:
            tasks = [t for t in await self.open_tasks() if t["case_id"] in cases]
        except httpx.TransportError:
            return
        await asyncio.gather(*(answer(t) for t in tasks))
        async with self.sessions() as session:
            ended = set(
                (
                    await session.execute(
                        sa.select(LedgerEventRow.case_id).where(LedgerEventRow.step == "办结")
                    )
                ).scalars()
            )
        for case_id in sorted((ended & set(cases)) - done):
            try:
                response = await self.http.get(f"/api/v1/cases/{case_id}", headers=self.auth("auditor"))
            except httpx.TransportError:
                return
            if response.status_code != 200:
                continue
            view = response.json()
            assert view["outcome"] == EXPECTED_OUTCOME[cases[case_id]].value, (case_id, view)
            done.add(case_id)
