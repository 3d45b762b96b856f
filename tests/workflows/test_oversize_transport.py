"""The 大件运输 case end to end on the time-skipping server, with real activities and a real store."""

from __future__ import annotations

import base64
from datetime import date, timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError

from domain.case import CaseStatus, Opinion, Outcome, Stage, Withdrawal
from domain.oversize_case import OversizeSupplement
from seal.sm2 import verify_licence
from store.ledger import list_events, verify_chain
from store.licences import get_licence
from store.outbox import list_messages
from tests.factories import (
    CARRIER_A,
    CARRIER_NO_SCOPE,
    CLASS_I,
    CLASS_II_URBAN,
    CLASS_III,
    MULTI_TRIP_PLAN,
    submission,
    with_request,
)
from tests.polling import eventually
from tests.workflows.conftest import Cases
from workflows.oversize_transport import OversizeTransportCase


async def status_of(handle: WorkflowHandle) -> CaseStatus:
    return await handle.query(OversizeTransportCase.status)


async def open_tasks(handle: WorkflowHandle, count: int) -> list[str]:
    async def check() -> list[str] | None:
        status = await status_of(handle)
        ids = sorted(t.task_id for t in status.open_tasks)
        return ids if len(ids) == count else None

    return await eventually(check)


CLASS_III_TASKS = ["countersign:police", "inspection:highway", "review:highway"]


async def approve_class_iii(handle: WorkflowHandle) -> None:
    """The highway review, the on-site check (勘验) and the police countersign, each approved."""
    for task_id, department in (
        ("review:highway", "highway"),
        ("inspection:highway", "highway"),
        ("countersign:police", "police"),
    ):
        await handle.execute_update(
            OversizeTransportCase.submit_opinion,
            Opinion(task_id=task_id, department=department, approve=True),
        )


async def ledger_steps(cases: Cases, case_id: str) -> list[str]:
    async with cases.deps.sessions() as session:
        return [e.step for e in await list_events(session, case_id)]


async def assert_chain_valid(cases: Cases) -> None:
    async with cases.deps.sessions() as session:
        assert await verify_chain(session) == []


async def result(handle: WorkflowHandle) -> CaseStatus:
    return await handle.result()


async def update_events(handle: WorkflowHandle) -> int:
    history = await handle.fetch_history()
    return sum(
        1
        for e in history.events
        if e.event_type
        in (
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
        )
    )


async def test_class_i_all_checks_pass_completes_without_a_human(cases: Cases):
    handle = await cases.start(submission(CLASS_I))
    final = await result(handle)

    assert final.outcome is Outcome.APPROVED
    assert final.stage is Stage.CLOSED
    assert final.permit_class == "I"
    assert len(final.licence_ids) == 1
    assert [t.by_rules for t in final.answered_tasks] == [True]  # 智能审批, no officer
    assert any("智能审批" in r for r in final.reasons)
    steps = await ledger_steps(cases, handle.id)
    assert steps == ["收件", "受理", "承办", "审核", "决定", "制证", "办结"]
    await assert_chain_valid(cases)

    async with cases.deps.sessions() as session:
        licence = await get_licence(session, final.licence_ids[0])
        outbox = await list_messages(session, handle.id)
    assert licence is not None
    # 持证主体: the carrier's registered name (sample registry), its credit code beside it.
    assert (licence.holder_name, licence.payload["holder"]) == ("长沙示例重型物流有限公司",) * 2
    assert licence.holder_code == CARRIER_A
    today = date(2026, 12, 5)
    assert verify_licence(licence.signed_data, licence.signature, licence.public_key, today) == []
    tampered = bytearray(licence.signed_data)
    tampered[10] ^= 0x01
    assert verify_licence(bytes(tampered), licence.signature, licence.public_key, today) != []
    # 归集 once, one checkpoint per route segment, one applicant notice.
    assert sorted(m.destination for m in outbox) == ["checkpoint", "licence_repository", "notice"]
    assert base64.b64encode(licence.signature)


POLICE_CONDITIONS = ["夜间 22:00—次日 6:00 通行", "前后各一辆护送车"]
URBAN_YES = Opinion(task_id="review:urban_road", department="urban_road", approve=True)
HIGHWAY_YES = Opinion(task_id="review:highway", department="highway", approve=True)
POLICE_YES = Opinion(
    task_id="countersign:police", department="police", approve=True, conditions=POLICE_CONDITIONS
)


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param([POLICE_YES, URBAN_YES, HIGHWAY_YES], id="police-first"),
        pytest.param([URBAN_YES, HIGHWAY_YES, POLICE_YES], id="police-last"),
    ],
)
async def test_class_ii_police_countersign_runs_beside_the_reviews(cases: Cases, answers: list[Opinion]):
    """并联审批: the highway and urban-road reviews and the police countersign open at once, each with
    its own limit; each answer is stored; one decision once the last one is in, whichever it is."""
    handle = await cases.start(submission(CLASS_II_URBAN))

    # The highway authority reviews by hand (S207 is off the main corridors); the urban-road authority
    # reviews the city segment; the police countersign the route, all at the same time.
    assert await open_tasks(handle, 3) == ["countersign:police", "review:highway", "review:urban_road"]
    status = await status_of(handle)
    assert status.stage is Stage.REVIEW
    police = next(t for t in status.open_tasks if t.task_id == "countersign:police")
    highway = next(t for t in status.open_tasks if t.task_id == "review:highway")
    assert police.kind == "countersign" and police.due is not None and highway.due is not None
    assert police.due <= highway.due  # its own limit: 2 working days against the review's 3
    for n, opinion in enumerate(answers, 1):
        await handle.execute_update(OversizeTransportCase.submit_opinion, opinion)
        if n < len(answers):
            assert len((await status_of(handle)).open_tasks) == len(answers) - n  # still waiting
    final = await result(handle)
    assert final.outcome is Outcome.APPROVED
    assert final.conditions == POLICE_CONDITIONS
    async with cases.deps.sessions() as session:
        licence = await get_licence(session, final.licence_ids[0])
    assert licence is not None
    assert licence.payload["particulars"]["conditions"] == POLICE_CONDITIONS
    steps = await ledger_steps(cases, handle.id)
    assert steps.count("承办") == 3 and steps.count("审核") == 2 and steps.count("会签") == 1
    assert steps[2:5] == ["承办", "承办", "承办"]  # all opened before any answer
    assert steps.count("决定") == 1
    await assert_chain_valid(cases)


async def test_a_police_refusal_refuses_the_case_with_the_reviews_still_open(cases: Cases):
    handle = await cases.start(submission(CLASS_II_URBAN))
    await open_tasks(handle, 3)
    await handle.execute_update(OversizeTransportCase.submit_opinion, URBAN_YES)
    refusal = Opinion(
        task_id="countersign:police", department="police", approve=False, reason="途经学校路段，时段冲突"
    )
    await handle.execute_update(OversizeTransportCase.submit_opinion, refusal)
    final = await result(handle)
    assert final.outcome is Outcome.REFUSED
    assert any("途经学校路段" in r for r in final.reasons)
    assert final.licence_ids == [] and final.open_tasks == []
    steps = await ledger_steps(cases, handle.id)
    assert steps.count("会签") == 1 and steps.count("审核") == 1  # the highway review was never answered
    assert steps[-2:] == ["决定", "办结"]


async def test_class_iii_refusal_by_one_reviewer_refuses_the_case(cases: Cases):
    handle = await cases.start(submission(CLASS_III))
    # class III: never by rules; the on-site check (勘验) and the police countersign beside the review
    assert await open_tasks(handle, 3) == CLASS_III_TASKS
    status = await status_of(handle)
    assert status.permit_class == "III"
    await handle.execute_update(
        OversizeTransportCase.submit_opinion,
        Opinion(task_id="review:highway", department="highway", approve=False, reason="K12 桥梁承载力不足"),
    )
    final = await result(handle)
    assert final.outcome is Outcome.REFUSED
    assert any("K12 桥梁承载力不足" in r for r in final.reasons)
    assert final.licence_ids == []
    assert (await ledger_steps(cases, handle.id))[-2:] == ["决定", "办结"]


async def test_class_iii_without_escort_plan_is_sent_back_and_supplemented(cases: Cases):
    handle = await cases.start(submission(CLASS_III, materials=["车货外廓尺寸图"]))

    async def waiting_for_supplement() -> CaseStatus | None:
        status = await status_of(handle)
        return status if status.stage is Stage.SUPPLEMENT else None

    status = await eventually(waiting_for_supplement)
    assert [p.field for p in status.problems] == ["materials"]
    assert "护送方案" in status.problems[0].message
    await handle.execute_update(OversizeTransportCase.supplement, OversizeSupplement(materials=["护送方案"]))
    assert await open_tasks(handle, 3) == CLASS_III_TASKS
    await approve_class_iii(handle)
    final = await result(handle)
    assert final.outcome is Outcome.APPROVED
    steps = await ledger_steps(cases, handle.id)
    assert steps[:5] == ["收件", "补正", "停表", "复表", "受理"]


async def test_supplement_not_answered_in_time_closes_the_case(cases: Cases):
    handle = await cases.start(submission(CLASS_III, materials=[]))
    final = await result(handle)  # waiting on the result lets the server skip the 10 working days
    assert final.outcome is Outcome.SUPPLEMENT_EXPIRED
    assert (await ledger_steps(cases, handle.id)) == ["收件", "补正", "停表", "办结"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (with_request(CLASS_I, cargo__divisible=True), "可分载物品"),
        (
            {**CLASS_I, "carrier_code": CARRIER_NO_SCOPE, "tractor_plate": "湘CD3456", "trailer_plate": None},
            "经营范围",
        ),
    ],
    ids=["divisible-cargo", "licence-scope"],
)
async def test_not_accepted_with_reasons(cases: Cases, data: dict, reason: str):
    handle = await cases.start(submission(data))
    final = await result(handle)
    assert final.outcome is Outcome.NOT_ACCEPTED
    assert any(reason in r for r in final.reasons)
    assert await ledger_steps(cases, handle.id) == ["收件", "不予受理", "办结"]
    async with cases.deps.sessions() as session:
        assert [m.destination for m in await list_messages(session, handle.id)] == ["notice"]


async def test_withdrawal_mid_review(cases: Cases):
    handle = await cases.start(submission(CLASS_III))
    await open_tasks(handle, 3)
    await handle.execute_update(OversizeTransportCase.withdraw, Withdrawal(reason="项目推迟"))
    final = await result(handle)
    assert final.outcome is Outcome.WITHDRAWN
    assert final.open_tasks == []
    assert (await ledger_steps(cases, handle.id))[-2:] == ["撤回", "办结"]


async def rejection(handle: WorkflowHandle, opinion: Opinion) -> str:
    """The validator's message for an opinion the case must reject."""
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(OversizeTransportCase.submit_opinion, opinion)
    return str(failed.value.cause)


async def test_wrong_department_and_duplicate_opinions_are_rejected_without_history(cases: Cases):
    handle = await cases.start(submission(CLASS_II_URBAN))
    await open_tasks(handle, 3)

    wrong_department = Opinion(task_id="review:highway", department="urban_road", approve=True)
    assert "department" in await rejection(handle, wrong_department)
    not_open = Opinion(task_id="review:province:广东", department="province:广东", approve=True)
    assert "task_id" in await rejection(handle, not_open)
    assert await update_events(handle) == 0

    answer = Opinion(task_id="review:highway", department="highway", approve=True)
    await handle.execute_update(OversizeTransportCase.submit_opinion, answer)
    accepted = await update_events(handle)
    assert accepted == 2  # accepted + completed
    assert "already been answered" in await rejection(handle, answer)
    refusal_without_reason = Opinion(task_id="review:urban_road", department="urban_road", approve=False)
    assert "reason" in await rejection(handle, refusal_without_reason)
    assert await update_events(handle) == accepted
    assert len((await status_of(handle)).open_tasks) == 2
    await handle.terminate("test done")


# --- the permit's validity, multi-trip permits, repeated permits, Art. 17 by rules -------------------
# The server's clock starts at Thu 2026-09-24 09:00 (Shanghai): "today" for these cases.


async def waiting_for_supplement(handle: WorkflowHandle) -> CaseStatus:
    async def check() -> CaseStatus | None:
        status = await status_of(handle)
        return status if status.stage is Stage.SUPPLEMENT else None

    return await eventually(check)


@pytest.mark.parametrize(
    ("window", "field"),
    [
        (("2020-01-01", "2020-01-05"), "travel_from"),  # starts in the past
        (("2026-09-24", "2027-09-23"), "travel_to"),  # twelve months for one trip
    ],
    ids=["starts-in-2020", "twelve-months"],
)
async def test_a_window_that_cannot_be_a_validity_is_named_for_supplement_never_issued(
    cases: Cases, window: tuple[str, str], field: str
):
    """Class I on the auto path (智能审批): the window is checked before anything is approved."""
    handle = await cases.start(submission(CLASS_I, travel_from=window[0], travel_to=window[1]))
    status = await waiting_for_supplement(handle)
    assert field in [p.field for p in status.problems]
    assert status.licence_ids == [] and status.open_tasks == []
    await handle.execute_update(
        OversizeTransportCase.supplement,
        OversizeSupplement(travel_from=date(2026, 9, 28), travel_to=date(2026, 10, 12)),
    )
    final = await result(handle)
    assert final.outcome is Outcome.APPROVED
    async with cases.deps.sessions() as session:
        licence = await get_licence(session, final.licence_ids[0])
    assert licence is not None
    assert (licence.valid_from, licence.valid_to) == (date(2026, 9, 28), date(2026, 10, 12))


async def test_a_decision_after_the_whole_window_issues_no_permit(cases: Cases):
    handle = await cases.start(submission(CLASS_III, travel_from="2026-09-24", travel_to="2026-09-25"))
    await open_tasks(handle, 3)
    await cases.env.sleep(timedelta(days=3))  # Sep 27: the window asked for has passed
    await approve_class_iii(handle)
    final = await result(handle)
    assert final.outcome is Outcome.REFUSED and final.licence_ids == []
    assert any("届满" in r for r in final.reasons)


async def test_a_late_decision_starts_the_permit_on_its_own_day(cases: Cases):
    handle = await cases.start(submission(CLASS_III, travel_from="2026-09-24", travel_to="2026-10-20"))
    await open_tasks(handle, 3)
    await cases.env.sleep(timedelta(days=4))  # decided on Mon Sep 28
    await approve_class_iii(handle)
    final = await result(handle)
    async with cases.deps.sessions() as session:
        licence = await get_licence(session, final.licence_ids[0])
    assert licence is not None
    assert (licence.valid_from, licence.valid_to) == (date(2026, 9, 28), date(2026, 10, 20))


async def test_a_multi_trip_permit_runs_six_months_with_its_plan(cases: Cases):
    data = submission(
        CLASS_I,
        travel_from="2026-09-24",
        travel_to="2027-03-23",
        trips="multiple",
        transport_plan=MULTI_TRIP_PLAN,
    )
    final = await result(await cases.start(data))
    assert final.outcome is Outcome.APPROVED
    async with cases.deps.sessions() as session:
        licence = await get_licence(session, final.licence_ids[0])
    assert licence is not None
    assert (licence.valid_from, licence.valid_to) == (date(2026, 9, 24), date(2027, 3, 23))
    particulars = licence.payload["particulars"]
    assert particulars["trips"] == "多次往返"
    assert "物品：变压器" in particulars["transport_plan"]


async def test_a_multi_trip_request_that_does_not_qualify_is_told_which_condition(cases: Cases):
    plan = {**MULTI_TRIP_PLAN, "reinforcement_needed": True}
    data = submission(
        CLASS_I, travel_from="2026-09-24", travel_to="2026-12-23", trips="multiple", transport_plan=plan
    )
    status = await waiting_for_supplement(await cases.start(data))
    assert [p.field for p in status.problems] == ["transport_plan.reinforcement_needed"]


async def decided(handle: WorkflowHandle) -> CaseStatus:
    """The status once the case has its outcome (not its result, which waits for the 好差评 window)."""

    async def check() -> CaseStatus | None:
        status = await status_of(handle)
        return status if status.outcome is not None else None

    return await eventually(check)


async def test_no_second_permit_for_the_same_vehicle_and_route(cases: Cases):
    """同一车辆重复办证: the first permit is found by plate; the second case is not accepted naming it."""
    first = await decided(
        await cases.start(submission(CLASS_I, travel_from="2026-09-24", travel_to="2026-10-10"))
    )
    assert first.outcome is Outcome.APPROVED
    [permit_id] = first.licence_ids
    second = await decided(
        await cases.start(submission(CLASS_I, travel_from="2026-10-08", travel_to="2026-10-20"))
    )
    assert second.outcome is Outcome.NOT_ACCEPTED
    assert any(permit_id in r and "变更" in r for r in second.reasons)
    # After the first permit's validity, the same vehicle and route get a permit again.
    third = await decided(
        await cases.start(submission(CLASS_I, travel_from="2026-10-11", travel_to="2026-10-20"))
    )
    assert third.outcome is Outcome.APPROVED


async def test_an_axle_over_art17_is_not_class_i_and_rules_refuse_it(cases: Cases):
    data = with_request(CLASS_I, loaded__axle_loads_kg=[9_000, 13_500, 9_000])
    final = await result(await cases.start(submission(data)))
    assert final.permit_class == "II"  # not class I (Art. 15(一)), with class II's limits
    assert final.outcome is Outcome.REFUSED
    assert any("第十七条" in r for r in final.reasons)
    assert final.licence_ids == []


COMMITMENT = {"signed": True, "loading_media": ["装载照片-前.jpg", "装载视频.mp4"]}


async def test_a_credit_commitment_replaces_the_on_site_check_for_a_good_carrier(cases: Cases):
    """信易批: grade A carrier, signed commitment with loading photos/video: no 勘验 task."""
    handle = await cases.start(submission(CLASS_III, credit_commitment=COMMITMENT))
    assert await open_tasks(handle, 2) == ["countersign:police", "review:highway"]
    status = await status_of(handle)
    assert any(r.startswith("信用承诺替代现场勘验") for r in status.reasons)
    assert status.commitment_carrier == CLASS_III["carrier_code"]
    await handle.terminate("test done")


async def test_a_commitment_of_a_carrier_without_good_credit_leaves_the_check(cases: Cases):
    handle = await cases.start(submission(CLASS_III, credit_commitment={**COMMITMENT, "signed": False}))
    assert await open_tasks(handle, 3) == CLASS_III_TASKS
    status = await status_of(handle)
    assert any("信用承诺未能替代现场勘验" in r and "未签署" in r for r in status.reasons)
    assert status.commitment_carrier is None
    await handle.terminate("test done")
