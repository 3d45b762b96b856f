"""Headless Chromium on the embedded stack (`onething up`): an officer signs in to the workbench, finds
the case in the inbox, opens it, approves, and the case moves on; an applicant rates a closed case.
Playwright drives Debian's chromium; nothing is downloaded."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.test_up import ONETHING, free_port
from tests.factories import CLASS_I, CLASS_III
from tests.polling import eventually
from tests.portal.conftest import application, bearer
from tests.security.test_ui_decodes_through_codec import CHROMIUM, CHROMIUM_ARGS, start

playwright = pytest.importorskip("playwright.async_api")

pytestmark = [
    pytest.mark.devserver,
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make system-deps)"),
]


async def test_an_officer_approves_in_the_workbench_and_an_applicant_rates(tmp_path: Path):
    portal_port = free_port()
    command = [
        str(ONETHING),
        "up",
        *(
            "--temporal-port",
            str(free_port()),
            "--ui-port",
            str(free_port()),
            "--portal-port",
            str(portal_port),
        ),
    ]
    env = {**os.environ, "ONETHING_DATA_DIR": str(tmp_path / "data")}
    stack = start(command, env, tmp_path / "up.log")
    portal = f"http://127.0.0.1:{portal_port}"
    try:
        async with httpx.AsyncClient(base_url=portal, timeout=30) as http:

            async def portal_up() -> bool:
                try:
                    return (await http.get("/openapi.json")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(portal_up, within=120)
            tokens = json.loads((tmp_path / "data" / "dev-tokens.json").read_text(encoding="utf-8"))

            async def submit(document: dict[str, Any]) -> dict[str, Any]:
                created = await http.post("/api/v1/cases", json=document, headers=bearer(tokens["portal"]))
                assert created.status_code in (200, 202), created.text
                answer: dict[str, Any] = created.json()
                return answer

            async def status_of(case_id: str) -> dict[str, Any]:
                answer: dict[str, Any] = (
                    await http.get(f"/api/v1/cases/{case_id}", headers=bearer(tokens["auditor"]))
                ).json()
                return answer

            # The stack of `onething up` has the sample registry only: the samples' own vehicles.
            review = await submit(application(CLASS_III, **SAMPLE_VEHICLE_OF_III))
            closed = await submit(application(CLASS_I, **SAMPLE_VEHICLE_OF_I))
            await eventually(lambda: _has(status_of(review["case_id"]), "open_tasks"), within=120)
            await eventually(lambda: _has(status_of(closed["case_id"]), "rating_open"), within=120)

            async with playwright.async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    officer = await browser.new_page()
                    await officer.goto(f"{portal}/workbench/login")
                    await officer.fill("input[name=token]", tokens["officer:highway"])
                    await officer.click("button[type=submit]")
                    await officer.click(f"a:has-text('{review['case_id']}')")  # found in the inbox
                    await officer.click("form[action$='/opinion'] button")  # 准予 is checked
                    # The review is answered; the 勘验 and the police countersign beside it still wait.
                    await eventually(
                        lambda: _answered(status_of(review["case_id"]), "review:highway"), within=60
                    )

                    applicant = await (await browser.new_context()).new_page()
                    await applicant.goto(f"{portal}/workbench/login")
                    await applicant.fill("input[name=token]", closed["applicant_token"])
                    await applicant.click("button[type=submit]")
                    await applicant.select_option("form[action$='/rating'] select[name=score]", "2")
                    await applicant.click("form[action$='/rating'] button")
                    await eventually(lambda: _equals(status_of(closed["case_id"]), "rating", 2), within=60)
                finally:
                    await browser.close()
    finally:
        stack.send_signal(signal.SIGINT)
        try:
            stack.wait(timeout=60)
        except Exception:
            stack.kill()


SAMPLE_VEHICLE_OF_I = {"tractor_plate": CLASS_I["tractor_plate"], "trailer_plate": CLASS_I["trailer_plate"]}
SAMPLE_VEHICLE_OF_III = {
    "tractor_plate": CLASS_III["tractor_plate"],
    "trailer_plate": CLASS_III["trailer_plate"],
}


async def _has(status: Any, key: str) -> bool:
    return bool((await status).get(key))


async def _answered(status: Any, task_id: str) -> bool:
    return task_id not in [t["task_id"] for t in (await status)["open_tasks"]]


async def _equals(status: Any, key: str, value: Any) -> bool:
    return (await status).get(key) == value
