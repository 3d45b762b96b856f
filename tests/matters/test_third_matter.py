"""A third matter costs a domain module, a workflow, a pre-fill activity and one registry entry.

The matter (third_case.py and the modules next to it) lives in the tests only; the worker and the portal
are built from `MATTERS.plus(THIRD_MATTER)`, the same way the product builds them from `MATTERS`, and
the case runs over HTTP: portal → worker → ledger → status, and a licence that verifies.
"""

from __future__ import annotations

import uuid

from domain.licence import parse_licence_identifier
from store.ledger import list_events
from tests.matters.third_case import MATTER, RENEWAL_TASK
from tests.portal.conftest import Portal
from workflows import search_attributes as sa

CASES = "/api/v1/cases"
BUSINESS = "91430100MA4L001018"  # in the sample registry, owner of 湘AH1001


def renewal(**changes: str) -> dict[str, str]:
    return {
        "matter": MATTER,
        "submission_id": f"T3-{uuid.uuid4().hex[:8]}",
        "credit_code": BUSINESS,
        "plate": "湘AH1001",
        **changes,
    }


async def test_a_third_matter_from_one_registry_entry_runs_end_to_end_over_http(third_portal: Portal):
    portal = third_portal
    document = renewal()
    submitted = await portal.submit(document, expected=202)
    case_id, token = submitted["case_id"], submitted["applicant_token"]
    assert case_id == f"{MATTER}-{document['submission_id']}"

    status = await portal.wait_for(case_id, token, open_tasks=[RENEWAL_TASK])
    assert (status["matter"], status["stage"], status["permit_class"]) == (MATTER, "review", None)
    description = await portal.env.client.get_workflow_handle(case_id).describe()
    assert description.typed_search_attributes.get(sa.MATTER) == MATTER

    # No 补正 round in this matter: the registry entry says so, the portal answers 409.
    response = await portal.http.post(
        f"{CASES}/{case_id}/supplements", json={}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 409 and response.json()["detail"][0]["field"] == "stage"

    response = await portal.http.post(
        f"{CASES}/{case_id}/opinions",
        json={"task_id": RENEWAL_TASK, "approve": True},
        headers=portal.auth("officer:highway"),
    )
    assert response.status_code == 200, response.text

    status = await portal.wait_for(case_id, token, outcome="approved")
    [licence_id] = status["licence_ids"]
    # Licensing coded and numbered it from the entry's licence kind.
    assert parse_licence_identifier(licence_id).type_code == "DLYSZHF01"
    licence = await portal.http.get(f"/api/v1/licences/{licence_id}", headers=portal.auth("portal"))
    assert licence.status_code == 200, licence.text
    assert licence.json()["number"].startswith("湘换证")
    verification = await portal.http.get(f"/api/v1/licences/{licence_id}/verification")
    assert verification.json()["valid"] is True, verification.text

    async with portal.deps.sessions() as session:
        events = await list_events(session, case_id)
    steps = [event.step for event in events]
    assert {"收件", "受理", "承办", "审核", "决定", "制证", "办结"} <= set(steps), steps
    assert {event.matter for event in events} == {MATTER}


async def test_the_third_matter_refuses_to_accept_what_the_registries_contradict(third_portal: Portal):
    portal = third_portal
    submitted = await portal.submit(renewal(plate="湘AD1234"))  # another carrier's truck
    status = await portal.wait_for(submitted["case_id"], submitted["applicant_token"], outcome="not_accepted")
    assert status["reasons"] == ["车辆 湘AD1234：行驶证所有人不是申请企业"]


async def test_the_portal_documents_and_names_the_matters_of_its_registry(third_portal: Portal):
    portal = third_portal
    schema = (await portal.http.get("/openapi.json")).json()
    body = schema["paths"][CASES]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/RenewalSubmission"} in body["oneOf"]
    assert "RenewalSubmission" in schema["components"]["schemas"]

    response = await portal.http.post(CASES, json={"matter": "nope"}, headers=portal.auth("portal"))
    assert response.status_code == 422
    assert MATTER in response.json()["detail"][0]["message"]
