"""The permit rules over HTTP: a window that cannot be a validity gets no permit; a false credit
commitment bars its carrier (依法限制申请), whose next application is not accepted."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.calendar import SHANGHAI
from tests.factories import CLASS_I, CLASS_III
from tests.portal.conftest import Portal, application, bearer

CASES = "/api/v1/cases"
COMMITMENT = {"signed": True, "loading_media": ["装载照片.jpg", "装载视频.mp4"]}


def today() -> datetime:
    return datetime.now(SHANGHAI)


async def test_a_class_i_window_of_twelve_months_gets_no_permit(portal: Portal):
    start = today().date()
    document = application(
        CLASS_I, travel_from=start.isoformat(), travel_to=(start + timedelta(days=365)).isoformat()
    )
    response = await portal.http.post(CASES, json=document, headers=portal.auth("portal"))
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["detail"]] == ["travel_to"]
    assert not await portal.exists(f"oversize-transport-{document['submission_id']}")


async def test_a_class_i_window_that_starts_in_2020_gets_no_permit(portal: Portal):
    document = application(CLASS_I, travel_from="2020-01-01", travel_to="2020-01-05")
    response = await portal.http.post(CASES, json=document, headers=portal.auth("portal"))
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["detail"]] == ["travel_from"]
    assert not await portal.exists(f"oversize-transport-{document['submission_id']}")


async def test_a_multi_trip_request_is_told_which_condition_fails(portal: Portal):
    start = today().date()
    plan = {
        "hours": "每日22:00至次日6:00",
        "loading": "低平板半挂车",
        "goods": "钢梁",  # not the declared cargo (变压器)
        "escort": False,
        "same_loading_every_trip": True,
        "reinforcement_needed": False,
    }
    document = application(
        CLASS_I,
        travel_from=start.isoformat(),
        travel_to=(start + timedelta(days=120)).isoformat(),
        trips="multiple",
        transport_plan=plan,
    )
    response = await portal.http.post(CASES, json=document, headers=portal.auth("portal"))
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["detail"]] == ["transport_plan.goods"]


async def test_a_false_commitment_bars_the_carrier_and_its_next_application_is_not_accepted(portal: Portal):
    case = await portal.submit(application(CLASS_III, credit_commitment=COMMITMENT))
    case_id, token = case["case_id"], case["applicant_token"]
    await portal.wait_for(case_id, token, open_tasks=["countersign:police", "review:highway"])  # no 勘验
    carrier = CLASS_III["carrier_code"]
    bars = f"/api/v1/carriers/{carrier}/bars"
    body = {"case_id": case_id, "reason": "装载照片与现场不符"}

    # A case the commitment did not stand in for cannot be the reason for a bar (asked before the
    # bar, which would make the carrier's next application not accepted).
    plain = await portal.submit(application(CLASS_III))
    await portal.wait_for(
        plain["case_id"],
        plain["applicant_token"],
        open_tasks=["countersign:police", "inspection:highway", "review:highway"],
    )
    response = await portal.http.post(
        bars, json={**body, "case_id": plain["case_id"]}, headers=portal.auth("officer:highway")
    )
    assert response.status_code == 409 and response.json()["detail"][0]["field"] == "case_id"

    response = await portal.http.post(bars, json=body, headers=portal.auth("officer:police"))
    assert response.status_code == 403
    response = await portal.http.post(bars, json=body, headers=portal.auth("officer:highway"))
    assert response.status_code == 200, response.text
    first = response.json()
    assert first["created"] is True and first["barred_until"] > today().date().isoformat()
    again = await portal.http.post(bars, json=body, headers=portal.auth("officer:highway"))
    assert again.status_code == 200 and again.json() == {**first, "created": False}

    # The carrier's next application is not accepted while the bar runs (第62号令第十一条(三)).
    later = await portal.submit(application(CLASS_I))
    status = await portal.wait_for(later["case_id"], later["applicant_token"], outcome="not_accepted")
    assert any("限制申请" in reason for reason in status["reasons"])
    response = await portal.http.get(f"{CASES}/{later['case_id']}", headers=bearer(later["applicant_token"]))
    assert response.status_code == 200
