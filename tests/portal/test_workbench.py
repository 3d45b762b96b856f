"""The web workbench over HTTP, on a real portal and worker: sign-in with a session cookie, CSRF on
every form, the inbox, the case page and its forms, the applicant's page, and escaping."""

from __future__ import annotations

import re
from typing import Any

import httpx

from store.ledger import list_events
from tests.factories import CLASS_I, CLASS_III, CLASS_III_TASKS
from tests.portal.conftest import Portal, application

MARKUP = '<script>alert("x")</script><b onmouseover=alert(1)>'


def workbench(portal: Portal) -> httpx.AsyncClient:
    """A browser of its own: its own cookie jar, on the same app."""
    return httpx.AsyncClient(transport=portal.http._transport, base_url="http://portal")


async def sign_in(browser: httpx.AsyncClient, token: str) -> httpx.Response:
    form = await browser.get("/workbench/login")
    assert form.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    return await browser.post("/workbench/login", data={"csrf": csrf.group(1), "token": token})


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html[:500]
    return found.group(1)


async def ledger_steps(portal: Portal, case_id: str) -> list[str]:
    async with portal.deps.sessions() as session:
        return [e.step for e in await list_events(session, case_id)]


async def in_review(portal: Portal) -> dict[str, Any]:
    case = await portal.submit(application(CLASS_III))
    await portal.wait_for(case["case_id"], case["applicant_token"], open_tasks=CLASS_III_TASKS)
    return case


async def test_sign_in_sets_a_strict_http_only_session_cookie_and_sign_out_ends_it(portal: Portal):
    async with workbench(portal) as browser:
        assert (await browser.get("/workbench")).headers["location"] == "/workbench/login"
        # No CSRF value: refused; unknown token: refused; neither signs in.
        assert (
            await browser.post("/workbench/login", data={"token": portal.tokens["auditor"]})
        ).status_code == 403
        assert (await sign_in(browser, "not-a-token")).status_code == 401
        signed = await sign_in(browser, portal.tokens["officer:highway"])
        assert (signed.status_code, signed.headers["location"]) == (303, "/workbench")
        cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith("onething_session="))
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/workbench" in cookie
        assert portal.tokens["officer:highway"] not in cookie  # the cookie is a session id, not the token
        home = await browser.get("/workbench")
        assert home.status_code == 200 and "待办任务" in home.text

        assert (await browser.post("/workbench/logout", data={})).status_code == 403  # CSRF on sign-out too
        out = await browser.post("/workbench/logout", data={"csrf": csrf_of(home.text)})
        assert out.status_code == 303
        assert (await browser.get("/workbench")).headers["location"] == "/workbench/login"


async def test_an_officer_finds_the_case_in_the_inbox_and_approves_it_and_the_case_moves_on(portal: Portal):
    case = await in_review(portal)
    case_id = case["case_id"]
    async with workbench(portal) as browser:
        await sign_in(browser, portal.tokens["officer:highway"])
        inbox = await browser.get("/workbench")
        assert case_id in inbox.text
        page = await browser.get(f"/workbench/cases/{case_id}")
        assert page.status_code == 200 and "提交意见" in page.text and "签收" in page.text
        csrf = csrf_of(page.text)

        # A form without its CSRF token changes nothing.
        before = await ledger_steps(portal, case_id)
        forged = await browser.post(
            f"/workbench/cases/{case_id}/opinion", data={"task_id": "review:highway", "decision": "approve"}
        )
        assert forged.status_code == 403
        assert await ledger_steps(portal, case_id) == before
        assert (await portal.status(case_id, case["applicant_token"]))["open_tasks"]

        claimed = await browser.post(
            f"/workbench/cases/{case_id}/claim", data={"csrf": csrf, "task_id": "review:highway"}
        )
        assert claimed.status_code == 303
        answer = {
            "csrf": csrf,
            "task_id": "review:highway",
            "decision": "approve",
            "conditions": "夜间通行\n限速 60",
        }
        approved = await browser.post(f"/workbench/cases/{case_id}/opinion", data=answer)
        assert (approved.status_code, approved.headers["location"]) == (303, f"/workbench/cases/{case_id}")
    remaining = ["countersign:police", "inspection:highway"]
    status = await portal.wait_for(case_id, case["applicant_token"], open_tasks=remaining)
    assert status["stage"] == "review"  # the review is answered; the 勘验 and the countersign beside it wait


async def test_markup_typed_into_the_workbench_shows_as_text(portal: Portal):
    case = await in_review(portal)
    case_id = case["case_id"]
    async with workbench(portal) as browser:
        await sign_in(browser, portal.tokens["officer:highway"])
        csrf = csrf_of((await browser.get(f"/workbench/cases/{case_id}")).text)
        stop = {"csrf": csrf, "task_id": "review:highway", "reason": "专家评审", "note": MARKUP}
        assert (await browser.post(f"/workbench/cases/{case_id}/clock-stop", data=stop)).status_code == 303
        refuse = {
            "csrf": csrf,
            "task_id": "review:highway",
            "decision": "refuse",
            "reason": MARKUP,
            "conditions": MARKUP,
        }
        assert (await browser.post(f"/workbench/cases/{case_id}/opinion", data=refuse)).status_code == 303
        await portal.wait_for(case_id, case["applicant_token"], outcome="refused")
        page = await browser.get(f"/workbench/cases/{case_id}")
        bad = await browser.post(
            f"/workbench/cases/{case_id}/transfer", data={"csrf": csrf, "task_id": MARKUP}
        )
    for html in (page.text, bad.text):
        assert "<script>" not in html and "<b onmouseover" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page.text  # shown, as text


async def test_the_applicant_signs_in_with_the_case_token_and_rates_the_closed_case(portal: Portal):
    case = await portal.submit(application(CLASS_I))
    other = await portal.submit(application(CLASS_III))
    case_id, token = case["case_id"], case["applicant_token"]
    await portal.wait_for(case_id, token, rating_open=True)
    async with workbench(portal) as browser:
        signed = await sign_in(browser, token)
        assert signed.headers["location"] == f"/workbench/cases/{case_id}"
        page = await browser.get(f"/workbench/cases/{case_id}")
        assert "评价" in page.text and "电子证照" in page.text and "办理过程" in page.text
        assert (await browser.get(f"/workbench/cases/{other['case_id']}")).status_code == 403
        csrf = csrf_of(page.text)
        refused = await browser.post(
            f"/workbench/cases/{case_id}/opinion", data={"csrf": csrf, "task_id": "x"}
        )
        assert refused.status_code == 403  # an applicant answers no task
        rated = await browser.post(f"/workbench/cases/{case_id}/rating", data={"csrf": csrf, "score": "4"})
        assert rated.status_code == 303
    assert (await portal.status(case_id, token))["rating"] == 4
    assert "评价" in await ledger_steps(portal, case_id)
