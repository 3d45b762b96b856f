"""The portal API in process against the time-skipping server, with a real worker and store."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import datetime

from structlog.testing import capture_logs

from domain.calendar import SHANGHAI
from portal.auth import APPLICANT_SECRET_FILE
from seal.sm2 import DEFAULT_USER_ID, SM2_WITH_SM3_OID, verify_licence
from store.licences import get_licence
from tests.factories import CLASS_I, CLASS_II_URBAN, CLASS_III, CLASS_III_TASKS, with_request
from tests.portal.conftest import Portal, application, bearer

CASES = "/api/v1/cases"


async def test_class_i_is_approved_and_its_licence_verifies(portal: Portal):
    document = application(CLASS_I)
    submitted = await portal.submit(document, expected=202)
    case_id = submitted["case_id"]
    assert case_id == f"oversize-transport-{document['submission_id']}"
    assert submitted["status_url"] == f"{CASES}/{case_id}"
    token = submitted["applicant_token"]

    status = await portal.wait_for(case_id, token, outcome="approved")
    assert set(status) >= {
        "case_id",
        "matter",
        "stage",
        "outcome",
        "permit_class",
        "due",
        "card",
        "open_tasks",
        "licence_ids",
    }
    assert (status["matter"], status["stage"], status["permit_class"]) == (
        "oversize-transport",
        "closed",
        "I",
    )
    assert status["open_tasks"] == []
    [licence_id] = status["licence_ids"]

    # The licence is public: no token. Fetching it counts; only the holder's fetch activates it
    # (激活率: tests/portal/test_licence_activation.py).
    response = await portal.http.get(f"/api/v1/licences/{licence_id}")
    assert response.status_code == 200, response.text
    licence = response.json()
    assert licence["identifier"] == licence_id
    assert licence["related_matter"] == "oversize-transport"
    assert licence["public_key"] == portal.deps.seal_key.public_key_hex
    signed_data = base64.b64decode(licence["signed_data"])
    signature = base64.b64decode(licence["signature"])
    assert json.loads(signed_data)["identifier"] == licence_id
    assert signature[0] == 0x30  # DER SEQUENCE
    async with portal.deps.sessions() as session:
        stored = await get_licence(session, licence_id)
    assert stored is not None and stored.fetch_count == 1 and stored.first_fetched_at is not None

    response = await portal.http.get(f"/api/v1/licences/{licence_id}/verification")
    assert response.json() == {"valid": True, "reasons": []}
    async with portal.deps.sessions() as session:
        stored = await get_licence(session, licence_id)
    assert stored is not None and stored.fetch_count == 1  # verifying is not fetching

    today = datetime.now(SHANGHAI).date()
    assert verify_licence(signed_data, signature, licence["public_key"], today) == []
    tampered = bytearray(signed_data)
    tampered[20] ^= 0x01
    assert verify_licence(bytes(tampered), signature, licence["public_key"], today) != []

    response = await portal.http.get("/api/v1/seal/public-key")
    assert response.json() == {
        "public_key": portal.deps.seal_key.public_key_hex,
        "algorithm": "SM2-with-SM3",
        "oid": SM2_WITH_SM3_OID,
        "user_id": DEFAULT_USER_ID.decode(),
    }

    # The same submission_id again: the same case and the same applicant token, 200 not 202.
    again = await portal.submit(document, expected=200)
    assert again == submitted


async def test_applicant_token_is_the_case_id_and_its_hmac(portal: Portal, tmp_path):
    submitted = await portal.submit(application(CLASS_III))
    secret = (tmp_path / APPLICANT_SECRET_FILE).read_bytes().strip()
    case_id = submitted["case_id"]
    tag = hmac.new(secret, case_id.encode(), hashlib.sha256).hexdigest()
    named = base64.urlsafe_b64encode(case_id.encode()).decode().rstrip("=")
    assert submitted["applicant_token"] == f"{named}.{tag}"
    assert (tmp_path / APPLICANT_SECRET_FILE).stat().st_mode & 0o777 == 0o600


async def test_unknown_licence_and_case_are_404(portal: Portal):
    for path in ("/api/v1/licences/1.2.156.3005.2.nope", "/api/v1/licences/1.2.156.3005.2.nope/verification"):
        response = await portal.http.get(path)
        assert response.status_code == 404
        assert response.json()["detail"][0]["field"] == "licence_id"
    response = await portal.http.get(f"{CASES}/oversize-transport-NOPE", headers=portal.auth("auditor"))
    assert response.status_code == 404
    assert response.json()["detail"][0]["field"] == "case_id"
    response = await portal.http.get(f"{CASES}/no-such-matter-X", headers=portal.auth("officer:highway"))
    assert response.status_code == 404


async def test_class_ii_urban_answered_by_officers_over_http(portal: Portal):
    submitted = await portal.submit(application(CLASS_II_URBAN))
    case_id, token = submitted["case_id"], submitted["applicant_token"]
    # 并联审批: the highway and urban-road reviews and the police countersign, all at once.
    opened = ["countersign:police", "review:highway", "review:urban_road"]
    status = await portal.wait_for(case_id, token, open_tasks=opened)
    assert {t["task_id"]: t["department"] for t in status["open_tasks"]} == {
        "review:highway": "highway",
        "review:urban_road": "urban_road",
        "countersign:police": "police",
    }
    assert all(
        set(t) == {"task_id", "department", "kind", "title", "due", "holder"} for t in status["open_tasks"]
    )

    for department in ("urban_road", "highway"):
        response = await portal.http.post(
            f"{CASES}/{case_id}/opinions",
            json={"task_id": f"review:{department}", "approve": True},
            headers=portal.auth(f"officer:{department}"),
        )
        assert response.status_code == 200, response.text
        assert f"review:{department}" not in [t["task_id"] for t in response.json()["open_tasks"]]

    conditions = ["夜间 22:00—次日 6:00 通行", "前后各一辆护送车"]
    response = await portal.http.post(
        f"{CASES}/{case_id}/opinions",
        json={"task_id": "countersign:police", "approve": True, "conditions": conditions},
        headers=portal.auth("officer:police"),
    )
    assert response.status_code == 200, response.text

    final = await portal.wait_for(case_id, token, outcome="approved")
    assert final["conditions"] == conditions
    async with portal.deps.sessions() as session:
        licence = await get_licence(session, final["licence_ids"][0])
    assert licence is not None and licence.payload["particulars"]["conditions"] == conditions


async def test_bad_submissions_name_every_field_and_start_nothing(portal: Portal):
    missing_height = application(CLASS_I)
    del missing_height["request"]["loaded"]["height_m"]
    several = application(with_request(CLASS_I, loaded__height_m=40), carrier_code="91430100MA4L00001X")
    several["request"]["cross_province"] = "false"  # strict: a string is not a boolean
    cases = [
        (missing_height, ["request.loaded.height_m"]),
        (application(with_request(CLASS_I, loaded__height_m=40)), ["request.loaded.height_m"]),
        (application(CLASS_I, carrier_code="91430100MA4L00001X"), ["carrier_code"]),
        (application(CLASS_I, matter="taxi-licence"), ["matter"]),
        (application(CLASS_I, matter=None), ["matter"]),
        (several, ["carrier_code", "request.cross_province", "request.loaded.height_m"]),
        (application(CLASS_I, unexpected="x"), ["unexpected"]),
    ]
    for document, fields in cases:
        response = await portal.http.post(CASES, json=document, headers=portal.auth("portal"))
        assert response.status_code == 422, (fields, response.text)
        problems = response.json()["detail"]
        assert sorted(p["field"] for p in problems) == fields
        assert all(p["message"] for p in problems)
        assert not await portal.exists(f"oversize-transport-{document['submission_id']}")
        assert not await portal.exists(f"{document['matter']}-{document['submission_id']}")

    for raw, message in ((b"{not json", "not valid JSON"), (b"[1, 2]", "expected a JSON object")):
        response = await portal.http.post(CASES, content=raw, headers=json_from("portal", portal))
        assert response.status_code == 422
        assert response.json() == {"detail": [{"field": "body", "message": message}]}


def json_from(caller: str, portal: Portal) -> dict[str, str]:
    """A raw body's headers: the caller's token and the JSON content type the portal requires (415)."""
    return {**portal.auth(caller), "Content-Type": "application/json"}


async def test_oversized_bodies_are_413_and_start_nothing(portal: Portal):
    document = application(CLASS_I)
    # Valid JSON once the padding is ignored: only the size limit stands between it and a case.
    padded = json.dumps(document).encode() + b" " * (300 * 1024)
    response = await portal.http.post(CASES, content=padded, headers=json_from("portal", portal))
    assert response.status_code == 413
    assert response.json()["detail"][0]["field"] == "body"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it is read
        yield json.dumps(document).encode()
        for _ in range(40):
            yield b" " * 8192

    response = await portal.http.post(CASES, content=chunks(), headers=json_from("portal", portal))
    assert response.status_code == 413
    assert not await portal.exists(f"oversize-transport-{document['submission_id']}")

    # Under the limit, the same document starts its case.
    await portal.submit(document, expected=202)


async def test_opinion_body_and_refusal_rules(portal: Portal):
    submitted = await portal.submit(application(CLASS_III))
    case_id, token = submitted["case_id"], submitted["applicant_token"]
    await portal.wait_for(case_id, token, open_tasks=CLASS_III_TASKS)
    url, highway = f"{CASES}/{case_id}/opinions", portal.auth("officer:highway")

    response = await portal.http.post(
        url, json={"task_id": "review:highway", "approve": "yes"}, headers=highway
    )
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["detail"]] == ["approve"]
    response = await portal.http.post(
        url, json={"task_id": "review:highway", "approve": True, "department": "police"}, headers=highway
    )
    assert response.status_code == 422  # the department comes from the token only
    assert [p["field"] for p in response.json()["detail"]] == ["department"]
    response = await portal.http.post(
        url, json={"task_id": "review:highway", "approve": False}, headers=highway
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [{"field": "reason", "message": "a refusal must give its reason"}]

    for task_id in ("review:nope", "review:province:广东"):  # no such task in this case
        response = await portal.http.post(url, json={"task_id": task_id, "approve": True}, headers=highway)
        assert response.status_code == 409, response.text
        assert response.json()["detail"][0]["field"] == "task_id"

    response = await portal.http.post(
        url,
        json={"task_id": "review:highway", "approve": False, "reason": "K12 桥梁承载力不足"},
        headers=highway,
    )
    assert response.status_code == 200, response.text
    final = await portal.wait_for(case_id, token, outcome="refused")
    assert any("K12 桥梁承载力不足" in r for r in final["reasons"])


async def test_supplement_happy_path_and_409(portal: Portal):
    submitted = await portal.submit(application(CLASS_III, materials=["车货外廓尺寸图"]))
    case_id, token = submitted["case_id"], submitted["applicant_token"]
    status = await portal.wait_for(case_id, token, stage="supplement")
    assert [p["field"] for p in status["problems"]] == ["materials"]
    url = f"{CASES}/{case_id}/supplements"

    for body, fields in (({"materials": "护送方案"}, ["materials"]), ({"colour": "red"}, ["colour"])):
        response = await portal.http.post(url, json=body, headers=bearer(token))
        assert response.status_code == 422, response.text
        assert [p["field"] for p in response.json()["detail"]] == fields

    response = await portal.http.post(url, json={}, headers=bearer(token))
    assert response.status_code == 409  # the validator: a supplement must add something
    assert response.json()["detail"][0]["field"] == "materials"

    response = await portal.http.post(url, json={"materials": ["护送方案"]}, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["stage"] != "supplement"  # the answer shows the case after it took it
    assert response.json()["clock_stopped"] is None
    await portal.wait_for(
        case_id,
        token,
        stage="review",
        open_tasks=["countersign:police", "inspection:highway", "review:highway"],
    )

    response = await portal.http.post(url, json={"materials": ["护送方案"]}, headers=bearer(token))
    assert response.status_code == 409
    assert response.json()["detail"][0] == {"field": "stage", "message": "no 补正 is open for this case"}


async def test_withdrawal_happy_path_and_409(portal: Portal):
    submitted = await portal.submit(application(CLASS_III))
    case_id, token = submitted["case_id"], submitted["applicant_token"]
    await portal.wait_for(case_id, token, open_tasks=CLASS_III_TASKS)
    url = f"{CASES}/{case_id}/withdrawal"

    response = await portal.http.post(url, json={"reason": 5}, headers=bearer(token))
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["detail"]] == ["reason"]

    response = await portal.http.post(url, json={"reason": "项目推迟"}, headers=bearer(token))
    assert response.status_code == 200, response.text
    await portal.wait_for(case_id, token, outcome="withdrawn", stage="closed")

    response = await portal.http.post(url, headers=bearer(token))  # no body: allowed, but too late
    assert response.status_code == 409
    assert response.json()["detail"][0]["field"] == "stage"


async def test_request_log_has_route_status_case_and_no_secrets(portal: Portal):
    document = application(CLASS_III)
    with capture_logs() as logs:
        submitted = await portal.submit(document)
        await portal.status(submitted["case_id"], submitted["applicant_token"])
        await portal.http.get(f"{CASES}/{submitted['case_id']}")
    requests = [e for e in logs if e["event"] == "request"]
    assert [(e["method"], e["path"], e["status"]) for e in requests] == [
        ("POST", CASES, 202),
        ("GET", f"{CASES}/{{case_id}}", 200),
        ("GET", f"{CASES}/{{case_id}}", 401),
    ]
    assert all(e["case_id"] == submitted["case_id"] for e in requests)
    assert [e["role"] for e in requests] == ["portal", "applicant", None]
    flat = json.dumps(logs, default=str, ensure_ascii=False)
    for secret in (*portal.tokens.values(), submitted["applicant_token"], document["agent"]["id_number"]):
        assert secret not in flat


async def test_openapi_documents_the_hand_parsed_bodies(portal: Portal):
    response = await portal.http.get("/openapi.json")
    schema = response.json()
    body = schema["paths"]["/api/v1/cases"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    # One schema per matter, told apart by `matter`.
    assert body == {
        "oneOf": [
            {"$ref": "#/components/schemas/OversizeSubmission"},
            {"$ref": "#/components/schemas/OpenBusinessSubmission"},
        ]
    }
    supplements = schema["paths"]["/api/v1/cases/{case_id}/supplements"]["post"]["requestBody"]
    # Both matters have a 补正 round now: one schema each.
    assert supplements["content"]["application/json"]["schema"] == {
        "oneOf": [
            {"$ref": "#/components/schemas/OversizeSupplement"},
            {"$ref": "#/components/schemas/OpenBusinessSupplement"},
        ]
    }
    components = schema["components"]["schemas"]
    expected = {
        "OversizeSubmission",
        "OversizeSupplement",
        "OversizeRequest",
        "OpenBusinessSubmission",
        "OpenBusinessSupplement",
        "CaseView",
    }
    assert expected <= set(components)
    refs = [m["$ref"] for m in _refs(schema)]
    assert all(r.removeprefix("#/components/schemas/") in components for r in refs)
    assert (await portal.http.get("/docs")).status_code == 200


def _refs(node: object) -> list[dict[str, str]]:
    if isinstance(node, dict):
        found = [node] if "$ref" in node else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []
