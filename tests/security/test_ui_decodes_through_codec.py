"""An officer reads a case in the Temporal Web UI although the server holds only ciphertext.

`onething up` starts the dev server with `--ui-codec-endpoint <portal>/codec`; the UI sends the
encrypted payloads it shows to the portal's `/codec/decode`, which returns them in clear to the browser
only, and only with the codec credential of the officer's signed-in workbench session (the UI's
"include cross-origin credentials" setting sends it; the UI's Origin alone is refused). The raw
history on the server has no personal data (test_personal_data_in_temporal.py); here
headless Chromium opens the case's page and must find the agent's name and ID number in it, and the
browser must have fetched them from the portal's `/codec/decode`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.cli.test_up import ONETHING, free_port
from tests.factories import CLASS_III
from tests.polling import eventually
from tests.portal.conftest import application, bearer

CHROMIUM = shutil.which("chromium")
playwright = pytest.importorskip("playwright.async_api")
Response = playwright.Response

pytestmark = [
    pytest.mark.devserver,
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make system-deps)"),
]

# As the environment notes: without the background-networking flags Chromium keeps dialling out.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def start(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[str]:
    with log_path.open("w") as log:
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)


async def test_the_web_ui_shows_an_officer_the_decoded_case(tmp_path: Path):
    portal_port, ui_port = free_port(), free_port()
    command = [
        str(ONETHING),
        "up",
        *("--temporal-port", str(free_port()), "--ui-port", str(ui_port), "--portal-port", str(portal_port)),
    ]
    env = {**os.environ, "ONETHING_DATA_DIR": str(tmp_path / "data")}
    log_path = tmp_path / "up.log"
    stack = start(command, env, log_path)
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
            # The stack of `onething up` has the sample registry only: the sample's own vehicle.
            document = application(
                CLASS_III, tractor_plate=CLASS_III["tractor_plate"], trailer_plate=CLASS_III["trailer_plate"]
            )
            created = await http.post("/api/v1/cases", json=document, headers=bearer(tokens["portal"]))
            assert created.status_code in (200, 201, 202), created.text
            case_id = created.json()["case_id"]

            async def in_review() -> bool:
                status = await http.get(f"/api/v1/cases/{case_id}", headers=bearer(tokens["auditor"]))
                return status.status_code == 200 and bool(status.json().get("open_tasks"))

            await eventually(in_review, within=120)

        agent = document["agent"]
        async with playwright.async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page()
                # Before signing in, the UI's own origin decodes nothing (it used to be enough).
                await page.goto(f"http://127.0.0.1:{ui_port}/namespaces/default/workflows")
                refused = await page.evaluate(
                    """async (url) => (await fetch(url, {method: "POST", credentials: "include",
                        headers: {"Content-Type": "application/json"}, body: '{"payloads": []}'})).status""",
                    f"{portal}/codec/decode",
                )
                assert refused == 401
                # The officer signs in to the workbench in this browser: the session's codec cookie.
                await page.goto(f"{portal}/workbench/login")
                await page.fill('input[name="token"]', tokens["officer:highway"])
                await page.click('button[type="submit"]')
                await page.wait_for_url(f"{portal}/workbench")
                # The UI's codec setting "include cross-origin credentials", once per browser.
                await page.goto(f"http://127.0.0.1:{ui_port}/namespaces/default/workflows")
                await page.evaluate(
                    """(endpoint) => {
                        localStorage.setItem("endpoint", JSON.stringify(endpoint));
                        localStorage.setItem("includeCredentials", "true");
                        localStorage.setItem("overrideRemoteCodecConfiguration", "true");
                    }""",
                    f"{portal}/codec",
                )
                decodes: list[int] = []  # statuses of the UI's calls to the portal's codec endpoint
                page.on(
                    "response",
                    lambda r: (
                        decodes.append(r.status) if r.url.startswith(f"{portal}/codec/decode") else None
                    ),
                )
                await page.goto(f"http://127.0.0.1:{ui_port}/namespaces/default/workflows/{case_id}")

                async def decoded() -> bool:
                    text = await page.content()
                    return agent["name"] in text and agent["id_number"] in text

                # The input is decoded in the browser; the page is long-lived, so poll what it renders.
                await eventually(decoded, within=90, interval=0.5)
                assert 200 in decodes  # the clear text came from the portal's codec, not the server
            finally:
                await browser.close()

        stack_log = log_path.read_text(encoding="utf-8", errors="replace")
        assert agent["id_number"] not in stack_log and agent["phone"] not in stack_log
    finally:
        stack.send_signal(signal.SIGINT)
        try:
            stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            stack.kill()
