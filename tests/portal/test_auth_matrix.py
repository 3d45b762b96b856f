"""Who may call what: every endpoint against every kind of caller, on two live cases.

401: no token, or one we do not know (with `WWW-Authenticate: Bearer`). 403: a known token whose role,
department or case does not fit. 409: a task that is not open (answered, or not yet opened).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from tests.factories import CLASS_III
from tests.portal.conftest import Portal, application, bearer

CASES = "/api/v1/cases"
OPINION = {"task_id": "review:highway", "approve": True}


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: Any = None

    def describe(self) -> str:
        return f"{self.method} {self.path}"


async def expect(portal: Portal, call: Call, headers: dict[str, str], status: int, who: str) -> Any:
    response = await portal.http.request(call.method, call.path, json=call.body, headers=headers)
    assert response.status_code == status, (
        f"{call.describe()} as {who}: {response.status_code} {response.text}"
    )
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer"), who
    if status >= 400:
        assert response.json()["detail"][0]["message"], who
    return response.json()


async def test_every_endpoint_refuses_the_wrong_caller(portal: Portal):
    mine = await portal.submit(application(CLASS_III))
    other = await portal.submit(application(CLASS_III))
    case_id, applicant = mine["case_id"], bearer(mine["applicant_token"])
    others_applicant = bearer(other["applicant_token"])
    await portal.wait_for(case_id, mine["applicant_token"], open_tasks=["review:highway"])

    nobody: dict[str, str] = {}
    unknown = bearer(secrets.token_urlsafe(32))
    unknown_hex = bearer(secrets.token_hex(32))  # shaped like an applicant token, but issued for no case
    not_bearer = {"Authorization": f"Basic {portal.tokens['portal']}"}
    submit = Call("POST", CASES, application(CLASS_III))
    status = Call("GET", f"{CASES}/{case_id}")
    opinion = Call("POST", f"{CASES}/{case_id}/opinions", OPINION)
    supplement = Call("POST", f"{CASES}/{case_id}/supplements", {"materials": ["护送方案"]})
    withdrawal = Call("POST", f"{CASES}/{case_id}/withdrawal", {"reason": "项目推迟"})

    for call in (submit, status, opinion, supplement, withdrawal):
        for who, headers in (
            ("nobody", nobody),
            ("an unknown token", unknown),
            ("an unknown hex token", unknown_hex),
            ("a Basic credential", not_bearer),
        ):
            await expect(portal, call, headers, 401, who)

    # Submitting is the portal's alone.
    for who in ("officer:highway", "auditor"):
        await expect(portal, submit, portal.auth(who), 403, who)
    await expect(portal, submit, applicant, 403, "an applicant")

    # Status: the case's applicant, any officer, an auditor; not the portal, not another applicant.
    for who, headers in (
        ("the applicant", applicant),
        ("officer:police", portal.auth("officer:police")),
        ("officer:province:湖北", portal.auth("officer:province:湖北")),
        ("auditor", portal.auth("auditor")),
    ):
        await expect(portal, status, headers, 200, who)
    await expect(portal, status, others_applicant, 403, "another case's applicant")
    await expect(portal, status, portal.auth("portal"), 403, "the portal")

    # Opinions: officers only, and only of the task's department.
    for who, headers in (
        ("the applicant", applicant),
        ("another case's applicant", others_applicant),
        ("auditor", portal.auth("auditor")),
        ("the portal", portal.auth("portal")),
        ("officer:police (wrong department)", portal.auth("officer:police")),
        ("officer:urban_road (wrong department)", portal.auth("officer:urban_road")),
    ):
        await expect(portal, opinion, headers, 403, who)
    answered = await expect(portal, opinion, portal.auth("officer:highway"), 200, "officer:highway")
    assert "review:highway" not in [t["task_id"] for t in answered["open_tasks"]]
    body = await expect(portal, opinion, portal.auth("officer:highway"), 409, "officer:highway again")
    assert body["detail"][0]["field"] == "task_id"
    # Answered and of another department: not open comes first, so 409 rather than 403.
    await expect(portal, opinion, portal.auth("officer:police"), 409, "officer:police on an answered task")

    # Supplements and withdrawal: the case's applicant only.
    for call in (supplement, withdrawal):
        for who, headers in (
            ("officer:highway", portal.auth("officer:highway")),
            ("auditor", portal.auth("auditor")),
            ("the portal", portal.auth("portal")),
            ("another case's applicant", others_applicant),
        ):
            await expect(portal, call, headers, 403, who)
    await expect(portal, supplement, applicant, 409, "the applicant, with no 补正 open")
    await expect(portal, withdrawal, applicant, 200, "the applicant")

    # Nothing above started a case for the refused submissions.
    assert not await portal.exists(f"oversize-transport-{submit.body['submission_id']}")


async def test_an_applicant_token_for_a_case_that_does_not_exist_finds_nothing(portal: Portal):
    # Tokens are derived, so a token for any id can exist; it still only opens that id: 404.
    case_id = "oversize-transport-NEVER-SUBMITTED"
    token = portal.app.state.portal.applicants.token_for(case_id)
    response = await portal.http.get(f"{CASES}/{case_id}", headers=bearer(token))
    assert response.status_code == 404
    response = await portal.http.post(f"{CASES}/{case_id}/withdrawal", json={}, headers=bearer(token))
    assert response.status_code == 404
