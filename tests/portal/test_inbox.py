"""The inbox (GET /api/v1/tasks) on what the workflows really write: cases submitted over HTTP, run by a
real worker, their ledger events projected into the read model (store/inbox.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from domain.calendar import local_date
from store.inbox import rebuild
from store.schema import InboxTaskRow
from tests.factories import CLASS_I, CLASS_II_URBAN, CLASS_II_URBAN_TASKS, CLASS_III, CLASS_III_TASKS
from tests.polling import eventually
from tests.portal.conftest import Portal, application, bearer
from tests.portal.test_case_actions import post

TASKS = "/api/v1/tasks"


async def inbox(portal: Portal, caller: str, expected: int = 200, **params: Any) -> dict[str, Any]:
    headers = portal.auth(caller) if caller in portal.tokens else bearer(caller)
    response = await portal.http.get(TASKS, params=params, headers=headers)
    assert response.status_code == expected, response.text
    body: dict[str, Any] = response.json()
    return body


def reviews(page: dict[str, Any]) -> list[dict[str, Any]]:
    """The highway reviews of a page (a class III case also has its 勘验 in the highway inbox)."""
    return [item for item in page["items"] if item["task_id"] == "review:highway"]


def ids(page: dict[str, Any]) -> list[tuple[str, str]]:
    return [(item["case_id"], item["task_id"]) for item in page["items"]]


async def submitted(portal: Portal, document: dict[str, Any], tasks: list[str]) -> tuple[str, str]:
    case = await portal.submit(application(document))
    await portal.wait_for(case["case_id"], case["applicant_token"], open_tasks=tasks)
    return case["case_id"], case["applicant_token"]


async def rows(portal: Portal) -> list[dict[str, Any]]:
    async with portal.deps.sessions() as session:
        found = await session.scalars(
            sa.select(InboxTaskRow).order_by(InboxTaskRow.case_id, InboxTaskRow.task_id)
        )
        return [{c.name: getattr(r, c.name) for c in InboxTaskRow.__table__.columns} for r in found]


async def test_each_officer_sees_their_departments_open_tasks_sorted_by_due(portal: Portal):
    urban, urban_token = await submitted(portal, CLASS_II_URBAN, CLASS_II_URBAN_TASKS)
    iii, _ = await submitted(portal, CLASS_III, CLASS_III_TASKS)

    # The inbox follows the ledger, written just after the case opened its tasks: wait for it.
    expected = sorted([(urban, "review:highway"), (iii, "review:highway"), (iii, "inspection:highway")])

    async def all_three() -> dict[str, Any] | None:
        page = await inbox(portal, "officer:highway")
        return page if sorted(ids(page)) == expected else None

    highway = await eventually(all_three)
    dues = [datetime.fromisoformat(item["due"]) for item in highway["items"]]
    assert dues == sorted(dues) and highway["next"] is None
    status = await portal.status(urban, urban_token)
    [item] = [i for i in highway["items"] if i["case_id"] == urban]
    [task] = [t for t in status["open_tasks"] if t["task_id"] == "review:highway"]
    assert (item["matter"], item["permit_class"], item["kind"], item["title"], item["department"]) == (
        "oversize-transport",
        "II",
        "review",
        task["title"],
        "highway",
    )
    assert datetime.fromisoformat(item["due"]) == datetime.fromisoformat(task["due"])
    assert (item["state"], item["holder"], item["card"], item["clock_stopped"]) == ("open", None, None, None)
    calendar = portal.deps.calendar
    today, due_day = local_date(datetime.now().astimezone()), local_date(datetime.fromisoformat(item["due"]))
    expected_left = (
        calendar.working_days_between(today, due_day)
        if due_day >= today
        else -calendar.working_days_between(due_day, today)
    )
    assert item["working_days_left"] == expected_left

    assert ids(await inbox(portal, "officer:urban_road")) == [(urban, "review:urban_road")]
    # The police countersign runs beside the reviews (并联审批): in the police inbox at once.
    assert sorted(ids(await inbox(portal, "officer:police"))) == sorted(
        [(urban, "countersign:police"), (iii, "countersign:police")]
    )
    assert len((await inbox(portal, "supervisor"))["items"]) == 6
    assert len((await inbox(portal, "auditor", department="urban_road"))["items"]) == 1
    refused = await inbox(portal, "officer:police", 403, department="highway")
    assert refused["detail"][0]["field"] == "department"
    assert (await inbox(portal, "officer:highway", 422, state="done"))["detail"][0]["field"] == "state"
    assert (await inbox(portal, "officer:highway", 422, card="purple"))["detail"][0]["field"] == "card"
    assert (await inbox(portal, "officer:highway", 422, cursor="nope"))["detail"][0]["field"] == "cursor"
    assert ids(await inbox(portal, "officer:highway", matter="open-business")) == []

    # Paginated: one at a time, the same order.
    first = await inbox(portal, "officer:highway", limit=1)
    second = await inbox(portal, "officer:highway", limit=1, cursor=first["next"])
    third = await inbox(portal, "officer:highway", limit=1, cursor=second["next"])
    assert ids(first) + ids(second) + ids(third) == ids(highway) and third["next"] is None

    # 签收 shows the holder; an answered task moves from 待办 to 已办.
    await post(portal, f"{iii}/tasks/review:highway/claim", "officer:highway")
    [held] = [
        i
        for i in (await inbox(portal, "officer:highway"))["items"]
        if (i["case_id"], i["task_id"]) == (iii, "review:highway")
    ]
    assert held["holder"] == "officer:highway"
    await post(portal, f"{iii}/opinions", "officer:highway", {"task_id": "review:highway", "approve": True})
    assert sorted(ids(await inbox(portal, "officer:highway"))) == sorted(
        [(urban, "review:highway"), (iii, "inspection:highway")]
    )
    done = await inbox(portal, "officer:highway", state="answered")
    assert ids(done) == [(iii, "review:highway")] and done["items"][0]["answer"] == "approve"

    # The read model is a projection: thrown away and folded again from the ledger, it is the same.
    live = await rows(portal)
    assert live and await rebuild(portal.deps.sessions) == len(live)
    assert await rows(portal) == live


async def test_a_stopped_clock_and_its_moved_due_show_in_the_inbox(portal: Portal):
    case_id, _ = await submitted(portal, CLASS_III, CLASS_III_TASKS)
    [before] = reviews(await inbox(portal, "officer:highway"))
    await post(
        portal,
        f"{case_id}/clock-stops",
        "officer:highway",
        {"task_id": "review:highway", "reason": "专家评审"},
    )
    [stopped] = reviews(await inbox(portal, "officer:highway"))
    assert (stopped["clock_stopped"], stopped["working_days_left"]) == ("专家评审", None)
    await portal.env.sleep(timedelta(days=14))
    resumed = await post(portal, f"{case_id}/clock-resumes", "officer:highway")
    [after] = reviews(await inbox(portal, "officer:highway"))
    assert after["clock_stopped"] is None
    assert datetime.fromisoformat(after["due"]) == datetime.fromisoformat(resumed["open_tasks"][0]["due"])
    assert datetime.fromisoformat(after["due"]) > datetime.fromisoformat(before["due"])


async def test_a_rating_of_one_puts_the_rectification_in_the_responsible_departments_inbox(portal: Portal):
    case = await portal.submit(application(CLASS_I))
    case_id, token = case["case_id"], case["applicant_token"]
    await portal.wait_for(case_id, token, rating_open=True)
    assert ids(await inbox(portal, "officer:highway")) == []  # class I: approved by rules, nothing to do
    await post(portal, f"{case_id}/rating", token, {"score": 1})

    async def rectification() -> dict[str, Any] | None:
        page = await inbox(portal, "officer:highway")
        return page if ids(page) == [(case_id, "rectification")] else None

    [item] = (await eventually(rectification))["items"]
    assert (item["kind"], item["title"], item["department"], item["state"]) == (
        "rectification",
        "差评整改",
        "highway",
        "open",
    )
    assert ids(await inbox(portal, "officer:police")) == []
    await post(portal, f"{case_id}/rectification-reply", "officer:highway", {"reply": "已优化审批流程"})
    assert ids(await inbox(portal, "officer:highway")) == []
    assert ids(await inbox(portal, "officer:highway", state="answered")) == [(case_id, "rectification")]


async def test_cards_reach_the_inbox_and_filter_it(portal: Portal):
    case_id, token = await submitted(portal, CLASS_III, CLASS_III_TASKS)
    await portal.env.sleep(timedelta(days=35))  # past the task's, the promised and the statutory limits
    status = await portal.wait_for(case_id, token, card="red-statutory")
    [item] = reviews(await inbox(portal, "officer:highway", card="red-statutory"))
    assert (item["case_id"], item["card"]) == (case_id, status["card"])
    assert ids(await inbox(portal, "officer:highway", card="warning")) == []
