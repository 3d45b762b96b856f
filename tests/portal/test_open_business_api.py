"""开办运输企业一件事 over HTTP: the same POST /api/v1/cases, officers' opinions, licences that verify."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from tests.factories import BUSINESS, BUSINESS_HEAVY, BUSINESS_LIGHT, DANGEROUS_GOODS
from tests.portal.conftest import Portal

CASES = "/api/v1/cases"
LICENCE = "review:operating_licence"


def application(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(base)
    data["submission_id"] = f"{base['submission_id']}-{uuid.uuid4().hex[:8]}"
    data.update(changes)
    return data


async def test_a_business_is_licensed_with_a_certificate_per_heavy_truck_over_http(portal: Portal):
    document = application(BUSINESS)
    submitted = await portal.submit(document, expected=202)
    case_id, token = submitted["case_id"], submitted["applicant_token"]
    assert case_id == f"open-transport-business-{document['submission_id']}"

    tasks = sorted([LICENCE, *(f"review:certificate:{plate}" for plate in BUSINESS_HEAVY)])
    status = await portal.wait_for(case_id, token, open_tasks=tasks)
    assert (status["matter"], status["stage"], status["permit_class"]) == (
        "open-transport-business",
        "review",
        None,
    )
    assert {t["department"] for t in status["open_tasks"]} == {"road_transport"}

    # A department without a task in the case is refused before the workflow sees anything.
    response = await portal.http.post(
        f"{CASES}/{case_id}/opinions",
        json={"task_id": LICENCE, "approve": True},
        headers=portal.auth("officer:police"),
    )
    assert response.status_code == 403
    # This matter has no 补正 round.
    response = await portal.http.post(
        f"{CASES}/{case_id}/supplements",
        json={"materials": ["x"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 409
    assert response.json()["detail"][0]["field"] == "stage"

    for task_id in tasks:
        response = await portal.http.post(
            f"{CASES}/{case_id}/opinions",
            json={"task_id": task_id, "approve": True},
            headers=portal.auth("officer:road_transport"),
        )
        assert response.status_code == 200, response.text
    status = await portal.wait_for(case_id, token, outcome="approved")
    assert status["open_tasks"] == []
    assert any(BUSINESS_LIGHT in reason for reason in status["reasons"])
    assert len(status["licence_ids"]) == 4
    for licence_id in status["licence_ids"]:
        response = await portal.http.get(f"/api/v1/licences/{licence_id}")
        assert response.status_code == 200
        assert response.json()["related_matter"] == "open-transport-business"
        verification = await portal.http.get(f"/api/v1/licences/{licence_id}/verification")
        assert verification.json() == {"valid": True, "reasons": []}

    # The same submission again: the same case.
    assert await portal.submit(document, expected=200) == submitted


async def test_dangerous_goods_are_not_accepted_and_bad_submissions_name_the_field(portal: Portal):
    submitted = await portal.submit(application(DANGEROUS_GOODS))
    status = await portal.wait_for(submitted["case_id"], submitted["applicant_token"], outcome="not_accepted")
    assert any("危险货物" in reason for reason in status["reasons"])
    assert [p["field"] for p in status["problems"]] == ["scope"]

    for changes, field in (
        ({"trucks": ["湘AH1001", "湘AH1001"]}, "trucks"),
        ({"credit_code": "91430100MA4L001019"}, "credit_code"),
        ({"scope": ["道路旅客运输"]}, "scope.0"),
        ({"premises": {"address": "x", "area_m2": "1200", "tenure": "owned"}}, "premises.area_m2"),
    ):
        response = await portal.http.post(
            CASES, json=application(BUSINESS, **changes), headers=portal.auth("portal")
        )
        assert response.status_code == 422, (changes, response.text)
        assert field in [d["field"] for d in response.json()["detail"]], response.json()
