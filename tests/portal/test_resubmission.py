"""A submission id names one submission: the same body again is the same case, another body a 409.

The portal retries a submission it is not sure arrived; that retry must find the case it started. A
different body under an id already used is a mistake (or an attempt to read another case's applicant
token): it must not answer 200 with the first case.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest

import portal.cases as portal_cases
from domain.calendar import local_date
from tests.factories import CLASS_III
from tests.portal.conftest import Portal, application
from workflows.client import case_id_for

CASES = "/api/v1/cases"


async def test_the_same_body_again_is_the_same_case_even_written_differently(portal: Portal):
    document = application(CLASS_III)
    first = await portal.submit(document)
    # The same submission with its keys in another order and the plate written with a separator.
    rewritten = dict(reversed(list(copy.deepcopy(document).items())))
    plate = document["tractor_plate"]  # 湘AV0001 → 湘A·v0001: a separator and a lower-case letter
    rewritten["tractor_plate"] = f"{plate[:2]}·{plate[2].lower()}{plate[3:]}"
    response = await portal.http.post(
        CASES,
        content=json.dumps(rewritten, ensure_ascii=False, indent=1).encode(),
        headers={**portal.auth("portal"), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == first


async def test_another_body_under_a_used_submission_id_is_409_naming_it(portal: Portal):
    document = application(CLASS_III)
    first = await portal.submit(document)
    other = copy.deepcopy(document)
    other["agent"]["phone"] = "13900139000"
    response = await portal.http.post(CASES, json=other, headers=portal.auth("portal"))
    assert response.status_code == 409, response.text
    [problem] = response.json()["detail"]
    assert problem["field"] == "submission_id"
    assert "applicant_token" not in response.text and first["applicant_token"] not in response.text
    # The first case is untouched: the same body still finds it.
    assert await portal.submit(document, expected=200) == first


async def test_a_resend_after_its_window_began_is_still_the_case_it_made(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
):
    """The portal resends a submission it is not sure arrived, perhaps days later: the window may have
    started by then, and the admission check would refuse it. The case made on the day of receipt
    stands: the same body is 200 with it, another body 409; a submission no case was made for is 422."""
    document = application(CLASS_III)
    first = await portal.submit(document)
    received = local_date(datetime.now(UTC))
    month_later = received + timedelta(days=40)
    monkeypatch.setattr(portal_cases, "local_date", lambda _: month_later)

    assert await portal.submit(document, expected=200) == first
    other = {**copy.deepcopy(document), "agent": {**document["agent"], "phone": "13900139000"}}
    response = await portal.http.post(CASES, json=other, headers=portal.auth("portal"))
    assert response.status_code == 409 and response.json()["detail"][0]["field"] == "submission_id"
    fresh = {**copy.deepcopy(document), "submission_id": f"{document['submission_id']}-new"}
    response = await portal.http.post(CASES, json=fresh, headers=portal.auth("portal"))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == "travel_from"
    assert not await portal.exists(case_id_for("oversize-transport", fresh["submission_id"]))
