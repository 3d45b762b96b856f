"""E-supervision timers on the time-skipping server, whose clock starts at 2026-09-24 09:00 (Shanghai).

Working days after Thu 2026-09-24 (2026 notice: 中秋 Sep 25–27, 国庆 Oct 1–7, 调休 Sat Oct 10):
Mon 9-28 (1), Tue 9-29 (2), Wed 9-30 (3), Thu 10-8 (4), Fri 10-9 (5), Sat 10-10 (6, 调休),
Mon 10-12 (7), 10-13 (8), 10-14 (9), 10-15 (10), 10-16 (11), 10-19 (12), 10-20 (13), 10-21 (14),
10-22 (15). Every date below is counted from that list by hand.
"""

from __future__ import annotations

from datetime import date, timedelta

from temporalio.api.sdk.v1 import WorkflowMetadata

from domain.calendar import end_of_day
from domain.case import (
    ClockResume,
    ClockStop,
    Opinion,
    Outcome,
    Rating,
    RectificationReply,
    ReturnVisit,
    Stage,
)
from domain.events import ClockResumed
from domain.oversize_case import OversizeSupplement
from store.ledger import SupervisionEvent, list_events
from tests.conftest import PINNED_START
from tests.factories import CLASS_I, CLASS_III, submission
from tests.polling import eventually
from tests.workflows.conftest import Cases
from workflows import search_attributes as sa
from workflows.oversize_transport import OversizeTransportCase

CARDS = ("催办", "黄牌", "红牌", "超法定时限")


def eod(month: int, day: int):
    return end_of_day(date(2026, month, day))


async def events(cases: Cases, case_id: str) -> list[SupervisionEvent]:
    async with cases.deps.sessions() as session:
        return await list_events(session, case_id)


async def test_an_unanswered_review_warns_then_yellow_then_red_across_national_day(cases: Cases):
    handle = await cases.start(submission(CLASS_III))
    status = await eventually(lambda: _status_with_open_task(handle))
    assert status.stage is Stage.REVIEW
    assert status.open_tasks[0].due == eod(9, 30)  # review limit 3 working days
    assert status.due == eod(10, 12)  # promised 7 (Hunan), the 调休 Saturday counted
    assert status.statutory_due == eod(10, 22)  # class III: 15 working days (Art. 15)

    await cases.env.sleep(timedelta(days=35))

    written = [e for e in await events(cases, handle.id) if e.step in CARDS]
    # (step, limit, the limit's due = planned_at, raised at); a warning is raised one working day
    # before its limit. The review, the on-site check (勘验, 3 working days) and the police
    # countersign (2) run side by side, each watched against its own limit.
    expected = {
        ("催办", "task:countersign:police", eod(9, 29), eod(9, 28)),
        ("黄牌", "task:countersign:police", eod(9, 29), eod(9, 29)),
        ("催办", "task:review:highway", eod(9, 30), eod(9, 29)),
        ("黄牌", "task:review:highway", eod(9, 30), eod(9, 30)),
        ("催办", "task:inspection:highway", eod(9, 30), eod(9, 29)),
        ("黄牌", "task:inspection:highway", eod(9, 30), eod(9, 30)),
        ("黄牌", "stage:review", eod(9, 30), eod(9, 30)),
        ("催办", "promised", eod(10, 12), eod(10, 10)),
        ("红牌", "promised", eod(10, 12), eod(10, 12)),
        ("超法定时限", "statutory", eod(10, 22), eod(10, 22)),
    }
    assert len(written) == len(expected)
    assert [e.actual_at for e in written] == sorted(e.actual_at for e in written)  # in the order raised
    for event in written:
        [(step, limit, due, raised)] = [x for x in expected if x[:2] == (event.step, event.event().limit)]
        assert event.planned_at == due, (step, limit)
        # Raised at that instant (timer resolution aside), give or take the worker's reaction time.
        late = event.actual_at - raised
        assert timedelta(seconds=-1) < late < timedelta(minutes=1), (event.step, event.actual_at)
    assert {e.department for e in written if e.event().limit == "task:countersign:police"} == {"police"}
    assert {e.department for e in written if e.event().limit == "task:review:highway"} == {"highway"}
    assert (await handle.query(OversizeTransportCase.status)).card == "red-statutory"
    await handle.terminate("test done")


async def _status_with_open_task(handle):
    status = await handle.query(OversizeTransportCase.status)
    return status if status.open_tasks else None


async def test_a_supplement_pause_moves_the_promised_due_by_the_stopped_working_days(cases: Cases):
    handle = await cases.start(submission(CLASS_III, materials=["车货外廓尺寸图"]))

    async def in_supplement():
        status = await handle.query(OversizeTransportCase.status)
        return status if status.stage is Stage.SUPPLEMENT else None

    before = await eventually(in_supplement)
    assert before.due == eod(10, 12)
    assert before.clock_stopped == "补正"

    await cases.env.sleep(timedelta(days=6))  # Sep 24 09:00 → Sep 30 09:00: Sep 28, 29, 30 stopped
    await handle.execute_update(OversizeTransportCase.supplement, OversizeSupplement(materials=["护送方案"]))
    after = await eventually(lambda: _status_with_open_task(handle))
    assert after.due == eod(10, 15)  # Oct 12 + 3 working days
    resumed = [e for e in await events(cases, handle.id) if e.step == "复表"]
    assert len(resumed) == 1
    [resumption] = [e.event() for e in resumed]
    assert isinstance(resumption, ClockResumed)
    assert resumption.stopped_working_days == 3
    assert resumption.promised_due == eod(10, 15)
    # The statutory clock starts at 受理, after the supplement: Sep 30 + 15 working days.
    assert after.statutory_due == eod(10, 27)
    await handle.terminate("test done")


async def test_an_officer_stops_the_clock_for_reinforcement_and_every_due_moves(cases: Cases):
    handle = await cases.start(submission(CLASS_III))
    status = await eventually(lambda: _status_with_open_task(handle))
    assert status.open_tasks[0].due == eod(9, 30)

    stop = ClockStop(department="highway", reason="加固改造", note="K12 桥梁需加固")
    await handle.execute_update(OversizeTransportCase.stop_clock, stop)
    await cases.env.sleep(timedelta(days=14))  # Sep 24 → Oct 8: Sep 28, 29, 30, Oct 8 stopped
    await handle.execute_update(OversizeTransportCase.resume_clock, ClockResume(department="highway"))

    status = await handle.query(OversizeTransportCase.status)
    assert status.clock_stopped is None
    assert status.open_tasks[0].due == eod(10, 12)  # Sep 30 + 4 working days (Oct 8, 9, 10, 12)
    assert status.due == eod(10, 16)  # Oct 12 + 4
    assert status.statutory_due == eod(10, 28)  # Oct 22 + 4
    steps = [e.step for e in await events(cases, handle.id)]
    assert "停表" in steps and "复表" in steps
    assert not any(step in CARDS for step in steps)  # nothing ran out while the clock stood still
    await handle.terminate("test done")


async def test_a_rating_of_one_opens_a_rectification_with_its_own_timers(cases: Cases):
    handle = await cases.start(submission(CLASS_I))

    async def closed():
        status = await handle.query(OversizeTransportCase.status)
        return status if status.outcome is Outcome.APPROVED else None

    await eventually(closed)
    await handle.execute_update(OversizeTransportCase.rate, Rating(score=1, comment="等待时间长"))

    async def rectifying():
        status = await handle.query(OversizeTransportCase.status)
        return status if status.rectification is not None else None

    status = await eventually(rectifying)
    assert status.rating == 1
    assert status.rectification.department == "highway"
    # Opened on Sep 24; 5 working days: Sep 28, 29, 30, Oct 8, Oct 9.
    assert status.rectification.due == eod(10, 9)
    await cases.env.sleep(timedelta(days=20))
    reply = RectificationReply(department="highway", reply="已优化审批流程")
    await handle.execute_update(OversizeTransportCase.reply_to_rating, reply)
    visit = ReturnVisit(department="highway", satisfied=True)
    await handle.execute_update(OversizeTransportCase.record_return_visit, visit)
    final = await handle.result()
    assert final.rating == 1

    steps = [(e.step, getattr(e.event(), "limit", None)) for e in await events(cases, handle.id)]
    tail = steps[steps.index(("办结", None)) :]
    assert tail == [
        ("办结", None),
        ("评价", None),
        ("整改", None),
        ("催办", "rectification"),
        ("黄牌", "rectification"),
        ("整改答复", None),
        ("回访", None),
    ]


async def test_the_ui_says_why_a_decided_case_runs_on(cases: Cases):
    """办结 is done, yet the workflow runs for its 好差评 window (and a 整改): the UI's stage and details
    say so, while the status API's stage stays closed."""
    handle = await cases.start(submission(CLASS_I))

    async def shown() -> tuple[str | None, str]:
        stage = (await handle.describe()).typed_search_attributes.get(sa.STAGE)
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        return stage, metadata.current_details

    async def in_window():
        status = await handle.query(OversizeTransportCase.status)
        return status if status.rating_open else None

    status = await eventually(in_window)
    assert status.stage is Stage.CLOSED and status.outcome is Outcome.APPROVED
    stage, details = await shown()
    assert stage == "evaluation"
    assert details.startswith("**好差评 window open** until ") and "**Stage** closed" in details

    await handle.execute_update(OversizeTransportCase.rate, Rating(score=1, comment="等待时间长"))

    async def rectifying():
        stage, details = await shown()
        return details if stage == "rectification" else None

    assert "**整改** the highway department" in await eventually(rectifying)
    reply = RectificationReply(department="highway", reply="已优化审批流程")
    await handle.execute_update(OversizeTransportCase.reply_to_rating, reply)
    visit = ReturnVisit(department="highway", satisfied=True)
    await handle.execute_update(OversizeTransportCase.record_return_visit, visit)
    await handle.result()
    stage, details = await shown()
    assert stage == "closed" and details.startswith("**办结**; the 好差评 window is over")


async def test_a_good_rating_closes_without_rectification(cases: Cases):
    handle = await cases.start(submission(CLASS_I))

    async def rateable():
        status = await handle.query(OversizeTransportCase.status)
        return status.outcome is Outcome.APPROVED

    await eventually(rateable)
    await handle.execute_update(OversizeTransportCase.rate, Rating(score=5))
    final = await handle.result()
    assert final.rating == 5 and final.rectification is None
    assert PINNED_START.year == 2026


async def test_opinions_still_work_while_the_clock_is_stopped(cases: Cases):
    handle = await cases.start(submission(CLASS_III))
    await eventually(lambda: _status_with_open_task(handle))
    await handle.execute_update(
        OversizeTransportCase.stop_clock, ClockStop(department="highway", reason="专家评审")
    )
    opinion = Opinion(task_id="review:highway", department="highway", approve=True)
    await handle.execute_update(OversizeTransportCase.submit_opinion, opinion)
    status = await handle.query(OversizeTransportCase.status)
    assert status.clock_stopped == "专家评审"
    await handle.terminate("test done")
