"""The demo the README's first command runs: a mixed batch of sample cases, fed over HTTP.

It talks to the portal exactly as the provincial portal and the officers' desks would: a portal token
submits, officer tokens answer. The samples and their answers are each matter's own, declared in the
matter registry (workflows/matters.py) and sent in the order of their file names. Some cases are
answered, some are left waiting so there is something to look at in the Temporal UI. Each sample's
dates are moved to start today (`dated_from`), so it works on any day. Running it again
submits the same submission ids and gets the same cases back (the portal's idempotency), and answers
only tasks still open.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from domain.calendar import local_date
from workflows.matters import MATTERS, DemoAnswer, MatterRegistry
from workflows.search_attributes import EVALUATION_STAGE

SUBMISSIONS = Path(__file__).resolve().parents[1] / "samples" / "submissions"
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class DemoCase:
    sample: str
    case_id: str
    applicant_token: str
    status: dict[str, Any] = field(default_factory=dict)


async def wait_until_up(portal_url: str, server_task: asyncio.Task[Any], within: float = 30.0) -> None:
    """Poll the portal until it answers (or its task died), with a deadline."""
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2.0) as http:
        while True:
            if server_task.done():
                server_task.result()
                raise RuntimeError("the portal stopped while starting")
            try:
                if (await http.get(f"{portal_url}/openapi.json")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the portal did not answer at {portal_url} within {within}s")
            await asyncio.sleep(0.1)


def _tokens(tokens_file: Path) -> dict[str, str]:
    """The development tokens by department ("highway", …) or role ("portal", "auditor")."""
    data: dict[str, str] = json.loads(tokens_file.read_text(encoding="utf-8"))
    return {name.removeprefix("officer:"): token for name, token in data.items()}


async def _status(http: httpx.AsyncClient, case: DemoCase, token: str) -> dict[str, Any]:
    response = await http.get(f"/api/v1/cases/{quote(case.case_id)}", headers=_bearer(token))
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _settled(
    http: httpx.AsyncClient, case: DemoCase, token: str, within: float = 30.0
) -> dict[str, Any]:
    """The case's status once it is closed or waiting for a person (an open task or a 补正)."""
    deadline = time.monotonic() + within
    while True:
        status = await _status(http, case, token)
        if status["outcome"] or status["open_tasks"] or status["stage"] == "supplement":
            return status
        if time.monotonic() > deadline:
            return status
        await asyncio.sleep(0.1)


def dated_from(today: date, document: dict[str, Any]) -> dict[str, Any]:
    """The sample with its dates moved so the earliest is `today`, the spans between them kept: a
    sample's travel window is valid on whatever day the demo runs (a permit cannot start in the past).
    Dates are the top-level ISO `YYYY-MM-DD` values; nothing else changes."""
    dates = {
        key: value for key, value in document.items() if isinstance(value, str) and _ISO_DAY.fullmatch(value)
    }
    if not dates:
        return document
    shift = today - min(date.fromisoformat(value) for value in dates.values())
    return {
        **document,
        **{key: (date.fromisoformat(value) + shift).isoformat() for key, value in dates.items()},
    }


async def feed_demo(portal_url: str, tokens_file: Path, matters: MatterRegistry = MATTERS) -> list[DemoCase]:
    tokens = _tokens(tokens_file)
    answers = {sample.file: sample.answers for matter in matters for sample in matter.demo}
    samples = [SUBMISSIONS / name for name in sorted(answers)]
    cases: list[DemoCase] = []
    async with httpx.AsyncClient(base_url=portal_url, timeout=30.0) as http:
        for n, path in enumerate(samples, 1):
            body = dated_from(local_date(datetime.now(UTC)), json.loads(path.read_text(encoding="utf-8")))
            response = await http.post("/api/v1/cases", json=body, headers=_bearer(tokens["portal"]))
            response.raise_for_status()
            created = response.json()
            cases.append(DemoCase(path.name, created["case_id"], created["applicant_token"]))
            print(f"[{n}/{len(samples)}] submitted {path.name} → {created['case_id']}", flush=True)
        for case in cases:
            for answer in answers[case.sample]:
                await _answer(http, case, tokens, answer)
        for case in cases:
            case.status = await _settled(http, case, case.applicant_token)
    return cases


async def _answer(
    http: httpx.AsyncClient, case: DemoCase, tokens: dict[str, str], answer: DemoAnswer
) -> None:
    """Answer a task as its department once it is open; skip it when an earlier run already did."""
    department, task_id = answer.department, answer.task_id
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        status = await _status(http, case, tokens[department])
        if status["outcome"]:
            return
        if any(t["task_id"] == task_id for t in status["open_tasks"]):
            body = {
                "task_id": task_id,
                "approve": answer.approve,
                "reason": answer.reason,
                "conditions": list(answer.conditions),
            }
            response = await http.post(
                f"/api/v1/cases/{quote(case.case_id)}/opinions",
                json=body,
                headers=_bearer(tokens[department]),
            )
            if response.status_code != 409:  # 409: answered meanwhile (a previous run)
                response.raise_for_status()
            print(f"    {department} answered {task_id} on {case.case_id}", flush=True)
            return
        await asyncio.sleep(0.1)


def print_where_to_look(
    cases: list[DemoCase],
    *,
    ui_port: int,
    portal_url: str,
    tokens_file: Path,
    logs: Sequence[str] = (),
) -> None:
    ui = f"http://127.0.0.1:{ui_port}/namespaces/default/workflows"
    print("\nWhere to look:", flush=True)
    print(f"  Temporal UI, every case:        {ui}", flush=True)
    query = quote("OnethingStage = 'review'")
    print(f"  Temporal UI, cases in review:   {ui}?query={query}", flush=True)
    print(f"  Portal API (OpenAPI):           {portal_url}/docs", flush=True)
    print(f"  Officer/portal/auditor tokens:  {tokens_file}", flush=True)
    for line in logs:
        print(line, flush=True)
    if not cases:
        return
    print("\nDemo cases:", flush=True)
    rating = 0
    for case in cases:
        status = case.status
        state = status.get("outcome") or status.get("stage")
        waiting = ", ".join(t["task_id"] for t in status.get("open_tasks", []))
        if status.get("rating_open"):
            rating += 1
            waiting = "好差评 window open: Running in the UI until rated or closed"
        print(f"  {case.case_id:<42} {state:<14} {waiting}", flush=True)
    if rating:
        # Otherwise a decided case that the UI lists as Running looks stuck.
        evaluation = quote(f"OnethingStage = '{EVALUATION_STAGE}'")
        print(
            f"\n{rating} decided case(s) wait for the applicant's rating (好差评): the workflow runs on "
            "until the applicant rates or the window closes, so the Temporal UI lists it as Running, "
            f"with stage {EVALUATION_STAGE!r} and the window's close in its details:\n"
            f"  {ui}?query={evaluation}",
            flush=True,
        )
    first = cases[0]
    print(
        f"\nOne case's status:\n  curl -H 'Authorization: Bearer {first.applicant_token}' "
        f"{portal_url}/api/v1/cases/{first.case_id}",
        flush=True,
    )
