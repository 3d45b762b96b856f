"""The case messages of portal/actions.py end to end over HTTP: a real portal, worker and store on the
time-skipping server (clock pinned at Thu 2026-09-24 09:00 Shanghai; dates as in
tests/workflows/test_supervision.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from domain.calendar import end_of_day
from store.ledger import list_events
from tests.factories import CLASS_I, CLASS_III, CLASS_III_TASKS
from tests.portal.conftest import Portal, application, bearer

CASES = "/api/v1/cases"
TASK = "review:highway"


def eod(month: int, day: int) -> str:
    return end_of_day(date(2026, month, day)).isoformat()


def same_instant(value: str, expected: str) -> bool:
    return datetime.fromisoformat(value) == datetime.fromisoformat(expected)


async def post(
    portal: Portal, path: str, caller: str, body: Any = None, expected: int = 200
) -> dict[str, Any]:
    headers = portal.auth(caller) if caller in portal.tokens else bearer(caller)
    response = await portal.http.post(f"{CASES}/{path}", json=body, headers=headers)
    assert response.status_code == expected, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def steps_of(portal: Portal, case_id: str) -> list[str]:
    async with portal.deps.sessions() as session:
        return [e.step for e in await list_events(session, case_id)]


async def in_review(portal: Portal) -> tuple[str, str]:
    case = await portal.submit(application(CLASS_III))
    await portal.wait_for(case["case_id"], case["applicant_token"], open_tasks=CLASS_III_TASKS)
    return case["case_id"], case["applicant_token"]


async def test_an_officer_stops_and_resumes_the_clock_and_every_due_moves(portal: Portal):
    case_id, token = await in_review(portal)
    before = await portal.status(case_id, token)
    assert same_instant(before["open_tasks"][0]["due"], eod(9, 30))
    assert same_instant(before["due"], eod(10, 12))

    bad = await post(
        portal, f"{case_id}/clock-stops", "officer:highway", {"task_id": TASK, "reason": "下雨"}, 422
    )
    assert bad["detail"][0]["field"] == "reason"
    stopped = await post(
        portal,
        f"{case_id}/clock-stops",
        "officer:highway",
        {"task_id": TASK, "reason": "加固改造", "note": "K12 桥"},
    )
    assert stopped["clock_stopped"] == "加固改造"  # the answer is the case after the stop
    again = await post(
        portal, f"{case_id}/clock-stops", "officer:highway", {"task_id": TASK, "reason": "专家评审"}, 409
    )
    assert again["detail"][0]["field"] == "stage"
    police = await post(portal, f"{case_id}/clock-resumes", "officer:police", {}, 403)
    assert police["detail"][0]["field"] == "department"

    await portal.env.sleep(timedelta(days=14))  # Sep 24 → Oct 8: Sep 28, 29, 30 and Oct 8 stopped
    resumed = await post(portal, f"{case_id}/clock-resumes", "officer:highway")
    assert resumed["clock_stopped"] is None
    assert same_instant(resumed["open_tasks"][0]["due"], eod(10, 12))  # Sep 30 + 4 working days
    assert same_instant(resumed["due"], eod(10, 16))  # Oct 12 + 4
    steps = await steps_of(portal, case_id)
    assert "停表" in steps and "复表" in steps
    again = await post(portal, f"{case_id}/clock-resumes", "officer:highway", {}, 409)
    assert again["detail"][0]["field"] == "stage"


async def test_a_rating_of_one_opens_the_rectification_for_the_responsible_department(portal: Portal):
    case = await portal.submit(application(CLASS_I))
    case_id, token = case["case_id"], case["applicant_token"]
    early = await portal.submit(application(CLASS_III))
    await portal.wait_for(early["case_id"], early["applicant_token"], open_tasks=CLASS_III_TASKS)
    closed = await post(portal, f"{early['case_id']}/rating", early["applicant_token"], {"score": 5}, 409)
    assert closed["detail"][0]["field"] == "stage"  # not closed yet: no rating

    await portal.wait_for(case_id, token, outcome="approved", rating_open=True)
    for bad in ({"score": 7}, {"score": "1"}, {}):
        answer = await post(portal, f"{case_id}/rating", token, bad, 422)
        assert answer["detail"][0]["field"] == "score"
    rated = await post(portal, f"{case_id}/rating", token, {"score": 1, "comment": "等待时间长"})
    assert rated["rating"] == 1
    status = await portal.wait_for(case_id, token, rectification_opened=True)
    assert status["rectification"]["department"] == "highway"
    assert status["rectification"]["kind"] == "rectification"

    wrong = await post(portal, f"{case_id}/rectification-reply", "officer:police", {"reply": "x"}, 403)
    assert wrong["detail"][0]["field"] == "department"
    early_visit = await post(portal, f"{case_id}/return-visit", "supervisor", {"satisfied": True}, 409)
    assert early_visit["detail"][0]["field"] == "stage"
    replied = await post(
        portal, f"{case_id}/rectification-reply", "officer:highway", {"reply": "已优化审批流程"}
    )
    assert replied["rectification_replied"] is True
    await post(portal, f"{case_id}/return-visit", "supervisor", {"satisfied": True, "note": "申请人满意"})

    steps = await steps_of(portal, case_id)
    assert steps[steps.index("办结") :] == ["办结", "评价", "整改", "整改答复", "回访"]


async def test_claim_transfer_and_a_supervisors_urge_reach_the_case_and_the_ledger(portal: Portal):
    case_id, _ = await in_review(portal)
    tasks = f"{case_id}/tasks/{TASK}"
    claimed = await post(portal, f"{tasks}/claim", "officer:highway")
    assert claimed["open_tasks"][0]["holder"] == "officer:highway"
    held = await post(portal, f"{tasks}/claim", "officer:highway:2", None, 409)
    assert held["detail"][0]["field"] == "holder"

    for body, field in (
        ({"to_officer": "officer:police", "reason": "休假"}, "to_officer"),  # not of the department
        ({"to_officer": "officer:highway", "reason": "休假"}, "to_officer"),  # oneself
        ({"to_officer": "officer:highway:2"}, "reason"),
    ):
        answer = await post(portal, f"{tasks}/transfer", "officer:highway", body, 422)
        assert answer["detail"][0]["field"] == field
    moved = await post(
        portal, f"{tasks}/transfer", "officer:highway", {"to_officer": "officer:highway:2", "reason": "休假"}
    )
    assert moved["open_tasks"][0]["holder"] == "officer:highway:2"

    urged = await post(portal, f"{tasks}/urge", "supervisor", {"note": "请尽快办理"})
    assert urged["open_tasks"][0]["holder"] == "officer:highway:2"
    missing = await post(portal, f"{case_id}/tasks/review:nope/urge", "supervisor", {}, 409)
    assert missing["detail"][0]["field"] == "task_id"

    steps = await steps_of(portal, case_id)
    assert [s for s in steps if s in ("签收", "转办", "督办")] == ["签收", "转办", "督办"]
    async with portal.deps.sessions() as session:
        [urge] = [e.event() for e in await list_events(session, case_id) if e.step == "督办"]
    assert (urge.holder, urge.supervisor, urge.note) == ("officer:highway:2", "supervisor", "请尽快办理")
