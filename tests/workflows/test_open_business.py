"""开办运输企业一件事 end to end on the time-skipping server, with real activities and a real store.

The server's clock starts at Thu 2026-09-24 09:00 (Shanghai). Working days after it (2026 notice:
中秋 Sep 25–27, 国庆 Oct 1–7, 调休 Sat Oct 10): Mon 9-28 (1), Tue 9-29 (2), Wed 9-30 (3), Thu 10-8 (4),
Fri 10-9 (5), Sat 10-10 (6), Mon 10-12 (7), 10-13 (8), 10-14 (9), … Thu 10-29 (20). Limits of this
matter: promised 5 working days (10-9), statutory 20 from 受理 (10-29, 条例 Art. 24), each review 3
(9-30); a warning one working day before a limit.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError

from domain.calendar import end_of_day
from domain.case import CaseStatus, ClockResume, ClockStop, Opinion, Outcome, Stage, Withdrawal
from domain.events import Decided
from domain.licence import parse_licence_identifier
from domain.open_business_case import OpenBusinessSupplement
from seal.sm2 import verify_licence
from store.ledger import SupervisionEvent, list_events, verify_chain
from store.licences import get_licence
from store.outbox import list_messages
from tests.factories import (
    BUSINESS,
    BUSINESS_DEREGISTERED,
    BUSINESS_HEAVY,
    BUSINESS_LIGHT,
    DANGEROUS_GOODS,
    business,
)
from tests.polling import eventually
from tests.workflows.conftest import Cases
from workflows.open_business import OpenTransportBusinessCase

LICENCE = "review:operating_licence"
CARDS = ("催办", "黄牌", "红牌", "超法定时限")


def certificate(plate: str) -> str:
    return f"review:certificate:{plate}"


def eod(month: int, day: int):
    return end_of_day(date(2026, month, day))


async def status_of(handle: WorkflowHandle) -> CaseStatus:
    return await handle.query(OpenTransportBusinessCase.status)


async def open_tasks(handle: WorkflowHandle, count: int) -> list[str]:
    async def check() -> list[str] | None:
        ids = sorted(t.task_id for t in (await status_of(handle)).open_tasks)
        return ids if len(ids) == count else None

    return await eventually(check)


async def answer(
    handle: WorkflowHandle, task_id: str, approve: bool = True, reason: str | None = None
) -> None:
    opinion = Opinion(task_id=task_id, department="road_transport", approve=approve, reason=reason)
    await handle.execute_update(OpenTransportBusinessCase.submit_opinion, opinion)


async def events(cases: Cases, case_id: str) -> list[SupervisionEvent]:
    async with cases.deps.sessions() as session:
        return await list_events(session, case_id)


async def test_three_trucks_and_a_light_one_get_one_licence_and_three_certificates(cases: Cases):
    handle = await cases.start(business(BUSINESS))

    # The licence and one review per heavy truck, all open at once; the light truck gets no task.
    assert await open_tasks(handle, 4) == sorted([LICENCE, *map(certificate, BUSINESS_HEAVY)])
    status = await status_of(handle)
    assert (status.stage, status.permit_class) == (Stage.REVIEW, None)
    assert status.due == eod(10, 9)  # promised: 5 working days from receipt
    assert status.statutory_due == eod(10, 29)  # statutory: 20 working days from 受理
    assert {t.due for t in status.open_tasks} == {eod(9, 30)}  # each review: 3 working days

    for plate in reversed(BUSINESS_HEAVY):  # any order: the tasks are independent
        await answer(handle, certificate(plate))
    await answer(handle, LICENCE)
    final: CaseStatus = await handle.result()

    assert final.outcome is Outcome.APPROVED
    assert final.open_tasks == []
    assert any(BUSINESS_LIGHT in r and "无需道路运输证" in r for r in final.reasons)
    assert len(final.licence_ids) == len(set(final.licence_ids)) == 4  # each its own identifier
    async with cases.deps.sessions() as session:
        licences = [await get_licence(session, licence_id) for licence_id in final.licence_ids]
        outbox = await list_messages(session, handle.id)
        assert await verify_chain(session) == []
    assert all(licence is not None for licence in licences)
    operating, *certificates = licences
    assert operating is not None and operating.licence_key == "operating-licence"
    assert operating.payload["type_name"] == "道路运输经营许可证"
    assert operating.payload["holder"] == "长沙示例新开货运有限公司"
    assert operating.payload["particulars"]["vehicles"] == BUSINESS_HEAVY
    assert operating.payload["particulars"]["no_certificate_needed"] == [BUSINESS_LIGHT]
    assert [c.licence_key for c in certificates if c] == [f"certificate:{p}" for p in BUSINESS_HEAVY]
    assert [c.payload["particulars"]["plate"] for c in certificates if c] == BUSINESS_HEAVY
    assert {c.payload["type_name"] for c in certificates if c} == {"道路运输证"}
    assert all(c.number.startswith("湘交运证") for c in certificates if c)
    # Two licence types: the operating licence and the 道路运输证, each a well-formed identifier.
    types = [parse_licence_identifier(lic.licence_id).type_code for lic in licences if lic]
    assert types == ["DLYSXK01", "DLYSZ01", "DLYSZ01", "DLYSZ01"]
    on = date(2026, 12, 5)
    for licence in licences:
        assert licence is not None
        assert verify_licence(licence.signed_data, licence.signature, licence.public_key, on) == []
        assert licence.valid_from == date(2026, 9, 24) and licence.valid_to == date(2030, 9, 23)
    # 归集 once per licence, one applicant notice.
    destinations = sorted(m.destination for m in outbox)
    assert destinations == ["licence_repository"] * 4 + ["notice"]

    written = await events(cases, handle.id)
    steps = [e.step for e in written]
    assert steps == ["收件", "受理", *["承办"] * 4, *["审核"] * 4, "决定", *["制证"] * 4, "办结"]
    assert [e.event().task_id for e in written if e.step == "承办"] == [
        LICENCE,
        *map(certificate, BUSINESS_HEAVY),
    ]
    [decided] = [e.event() for e in written if e.step == "决定"]
    assert isinstance(decided, Decided) and decided.outcome == "准予许可"
    assert decided.licences == {
        "operating-licence": "准予",
        **{f"certificate:{p}": "准予" for p in BUSINESS_HEAVY},
    }
    assert decided.not_required == [BUSINESS_LIGHT]
    assert [e.event().licence_key for e in written if e.step == "制证"] == [
        "operating-licence",
        *(f"certificate:{p}" for p in BUSINESS_HEAVY),
    ]
    [received] = [e for e in written if e.step == "收件"]
    assert received.matter == "open-transport-business"


async def test_a_refused_certificate_does_not_block_the_others_and_the_decision_lists_it(cases: Cases):
    handle = await cases.start(business(BUSINESS))
    await open_tasks(handle, 4)
    refused = BUSINESS_HEAVY[1]
    await answer(handle, certificate(refused), approve=False, reason="车辆技术等级未达二级")

    # The other reviews stay open and the case waits for them.
    remaining = sorted([LICENCE, *(certificate(p) for p in BUSINESS_HEAVY if p != refused)])
    assert await open_tasks(handle, 3) == remaining
    assert (await status_of(handle)).stage is Stage.REVIEW
    for task_id in remaining:
        await answer(handle, task_id)
    final: CaseStatus = await handle.result()

    assert final.outcome is Outcome.APPROVED
    assert len(final.licence_ids) == 3  # the licence and two certificates
    assert any(refused in r and "车辆技术等级未达二级" in r for r in final.reasons)
    written = await events(cases, handle.id)
    [decided] = [e.event() for e in written if e.step == "决定"]
    assert isinstance(decided, Decided)
    assert decided.licences == {
        "operating-licence": "准予",
        f"certificate:{BUSINESS_HEAVY[0]}": "准予",
        f"certificate:{BUSINESS_HEAVY[2]}": "准予",
        f"certificate:{refused}": "不予：车辆技术等级未达二级",
    }
    issued = [e.event().licence_key for e in written if e.step == "制证"]
    assert issued == [
        "operating-licence",
        f"certificate:{BUSINESS_HEAVY[0]}",
        f"certificate:{BUSINESS_HEAVY[2]}",
    ]


async def test_a_refused_operating_licence_refuses_the_case_at_once(cases: Cases):
    handle = await cases.start(business(BUSINESS))
    await open_tasks(handle, 4)
    await answer(handle, certificate(BUSINESS_HEAVY[0]))
    await answer(handle, LICENCE, approve=False, reason="经营场所不符合要求")
    final: CaseStatus = await handle.result()

    assert final.outcome is Outcome.REFUSED
    assert final.licence_ids == []
    assert final.open_tasks == []  # the unanswered certificate reviews are closed, not answered
    assert "经营场所不符合要求" in final.reasons[0]
    steps = [e.step for e in await events(cases, handle.id)]
    assert steps[-2:] == ["决定", "办结"] and "制证" not in steps


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (DANGEROUS_GOODS, "危险货物"),
        ({**BUSINESS, "credit_code": BUSINESS_DEREGISTERED}, "注销"),
        ({**BUSINESS, "trucks": [BUSINESS_LIGHT]}, "无需办理道路运输经营许可"),
    ],
    ids=["dangerous-goods", "deregistered", "only-light-trucks"],
)
async def test_not_accepted_with_the_reason(cases: Cases, data: dict, reason: str):
    handle = await cases.start(business(data))
    final: CaseStatus = await handle.result()
    assert final.outcome is Outcome.NOT_ACCEPTED
    assert any(reason in r for r in final.reasons), final.reasons
    assert final.licence_ids == []
    written = await events(cases, handle.id)
    assert [e.step for e in written] == ["收件", "不予受理", "办结"]
    assert "430000198805050055" not in repr([e.detail for e in written])
    async with cases.deps.sessions() as session:
        assert [m.destination for m in await list_messages(session, handle.id)] == ["notice"]


async def test_an_unanswered_certificate_review_warns_then_yellow_then_the_case_goes_red(cases: Cases):
    handle = await cases.start(business(BUSINESS))
    await open_tasks(handle, 4)
    late = BUSINESS_HEAVY[2]
    for task_id in (LICENCE, certificate(BUSINESS_HEAVY[0]), certificate(BUSINESS_HEAVY[1])):
        await answer(handle, task_id)

    # Oct 10, working day 6: the promise of 5 is broken (红牌), the law's 20 days are not.
    await cases.env.sleep(timedelta(days=16))
    so_far = {e.step for e in await events(cases, handle.id)}
    assert "红牌" in so_far and "超法定时限" not in so_far
    await cases.env.sleep(timedelta(days=24))  # Nov 3: past the statutory due of 10-29

    written = [e for e in await events(cases, handle.id) if e.step in CARDS]
    # (step, limit, due = planned_at, raised at): a warning one working day before its limit.
    expected = {
        ("催办", f"task:{certificate(late)}", eod(9, 30), eod(9, 29)),
        ("黄牌", f"task:{certificate(late)}", eod(9, 30), eod(9, 30)),
        ("黄牌", "stage:review", eod(9, 30), eod(9, 30)),
        ("催办", "promised", eod(10, 9), eod(10, 8)),
        ("红牌", "promised", eod(10, 9), eod(10, 9)),
        ("超法定时限", "statutory", eod(10, 29), eod(10, 29)),
    }
    assert len(written) == len(expected)
    seen = set()
    for event in written:
        [(step, limit, due, raised)] = [x for x in expected if x[:2] == (event.step, event.event().limit)]
        assert event.planned_at == due, (step, limit)
        # Raised at that instant (timer resolution aside), give or take the worker's reaction time under
        # load, as in test_supervision: the day and the hour are what is asserted.
        lag = event.actual_at - raised
        assert timedelta(seconds=-1) < lag < timedelta(minutes=1), (step, limit, event.actual_at)
        seen.add((step, limit, due, raised))
    assert seen == expected
    task_cards = [e.event() for e in written if e.event().scope == "task"]
    assert {e.task_id for e in task_cards} == {certificate(late)}
    assert {e.department for e in written} == {"road_transport"}
    status = await status_of(handle)
    assert status.card == "red-statutory"
    assert [t.task_id for t in status.open_tasks] == [certificate(late)]
    await handle.terminate("test done")


async def test_an_officer_stops_the_clock_and_every_due_moves(cases: Cases):
    handle = await cases.start(business(BUSINESS))
    await open_tasks(handle, 4)
    stop = ClockStop(department="road_transport", reason="专家评审")
    await handle.execute_update(OpenTransportBusinessCase.stop_clock, stop)
    await cases.env.sleep(timedelta(days=14))  # Sep 24 → Oct 8: Sep 28, 29, 30, Oct 8 stopped
    await handle.execute_update(
        OpenTransportBusinessCase.resume_clock, ClockResume(department="road_transport")
    )

    status = await status_of(handle)
    assert status.clock_stopped is None
    assert {t.due for t in status.open_tasks} == {eod(10, 12)}  # Sep 30 + 4 (Oct 8, 9, 10, 12)
    assert status.due == eod(10, 14)  # Oct 9 + 4 (Oct 10, 12, 13, 14)
    assert status.statutory_due == eod(11, 4)  # Oct 29 + 4 (Oct 30, Nov 2, 3, 4)
    steps = [e.step for e in await events(cases, handle.id)]
    assert "停表" in steps and "复表" in steps
    assert not any(step in CARDS for step in steps)
    await handle.terminate("test done")


async def test_withdrawal_mid_review_and_opinions_are_validated(cases: Cases):
    handle = await cases.start(business(BUSINESS))
    await open_tasks(handle, 4)
    wrong = Opinion(task_id=LICENCE, department="police", approve=True)
    with pytest.raises(WorkflowUpdateFailedError, match=r"."):
        await handle.execute_update(OpenTransportBusinessCase.submit_opinion, wrong)
    light = Opinion(task_id=certificate(BUSINESS_LIGHT), department="road_transport", approve=True)
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(OpenTransportBusinessCase.submit_opinion, light)
    await handle.execute_update(OpenTransportBusinessCase.withdraw, Withdrawal(reason="暂缓开业"))
    final: CaseStatus = await handle.result()
    assert final.outcome is Outcome.WITHDRAWN
    assert final.open_tasks == [] and final.licence_ids == []
    assert [e.step for e in await events(cases, handle.id)][-2:] == ["撤回", "办结"]


# The number is an ID number: the reason (ledger, notice, status) names it masked.
EXPIRED_DRIVER = "430000198805050055"
EXPIRED_DRIVER_SHOWN = "从业资格证 4300**********0055 已过有效期"
VALID_DRIVER = "430000198001010011"


async def waiting_for_supplement(handle: WorkflowHandle) -> CaseStatus:
    async def check() -> CaseStatus | None:
        status = await status_of(handle)
        return status if status.stage is Stage.SUPPLEMENT else None

    return await eventually(check)


async def test_an_expired_driver_is_named_once_for_supplement_and_the_answer_is_accepted(cases: Cases):
    """行政许可法 Art. 32: what the applicant can fix is named once (补正), not 不予受理 of the bundle."""
    handle = await cases.start(business({**BUSINESS, "drivers": [EXPIRED_DRIVER]}))
    status = await waiting_for_supplement(handle)
    assert [(p.field, p.message) for p in status.problems] == [("drivers.0", EXPIRED_DRIVER_SHOWN)]
    assert status.clock_stopped == "补正"
    await handle.execute_update(
        OpenTransportBusinessCase.supplement, OpenBusinessSupplement(drivers=[VALID_DRIVER])
    )
    assert await open_tasks(handle, 4) == sorted([LICENCE, *map(certificate, BUSINESS_HEAVY)])
    status = await status_of(handle)
    assert status.problems == [] and status.clock_stopped is None
    written = await events(cases, handle.id)
    assert [e.step for e in written][:5] == ["收件", "补正", "停表", "复表", "受理"]
    assert EXPIRED_DRIVER not in repr([e.detail for e in written])
    # A second 补正 is not open: the one round was taken.
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(
            OpenTransportBusinessCase.supplement, OpenBusinessSupplement(drivers=[VALID_DRIVER])
        )
    await handle.terminate("test done")


async def test_a_supplement_that_fixes_nothing_is_not_accepted_after_its_one_round(cases: Cases):
    handle = await cases.start(business({**BUSINESS, "trucks": [*BUSINESS_HEAVY, "湘CH3001"]}))
    status = await waiting_for_supplement(handle)
    assert [p.field for p in status.problems] == ["trucks.3"]
    assert "湘CH3001 的行驶证所有人不是申请企业" in status.problems[0].message
    await handle.execute_update(
        OpenTransportBusinessCase.supplement,
        OpenBusinessSupplement(trucks=["湘CH3001", *BUSINESS_HEAVY]),  # still someone else's truck
    )
    final: CaseStatus = await handle.result()
    assert final.outcome is Outcome.NOT_ACCEPTED
    assert final.reasons[0].startswith("补正后仍与登记数据不符") and "湘CH3001" in final.reasons[0]
    steps = [e.step for e in await events(cases, handle.id)]
    assert steps == ["收件", "补正", "停表", "复表", "不予受理", "办结"]


async def test_a_supplement_not_answered_in_time_ends_the_application(cases: Cases):
    handle = await cases.start(business({**BUSINESS, "drivers": [EXPIRED_DRIVER]}))
    await waiting_for_supplement(handle)
    await cases.env.sleep(timedelta(days=30))  # past the 10 working days to answer
    final: CaseStatus = await handle.result()
    assert final.outcome is Outcome.SUPPLEMENT_EXPIRED
    assert final.licence_ids == []
