"""The 大件运输 case end to end on the time-skipping server, with real activities and a real store."""

from __future__ import annotations

import base64
from datetime import date

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError

from activities.seal import verify_licence
from domain.case import CaseStatus, Opinion, Outcome, Stage, Withdrawal
from domain.oversize_case import OversizeSupplement
from store.ledger import list_events, verify_chain
from store.licences import get_licence
from store.outbox import list_messages
from tests.factories import (
    CARRIER_A,
    CARRIER_NO_SCOPE,
    CLASS_I,
    CLASS_II_URBAN,
    CLASS_III,
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


async def test_class_ii_urban_reviews_run_in_parallel_then_police_countersign(cases: Cases):
    handle = await cases.start(submission(CLASS_II_URBAN))

    # Both reviews are open at once: the highway authority must review by hand (S207 is off the
    # main corridors) and the urban-road authority reviews the city segment.
    assert await open_tasks(handle, 2) == ["review:highway", "review:urban_road"]
    await handle.execute_update(
        OversizeTransportCase.submit_opinion,
        Opinion(task_id="review:urban_road", department="urban_road", approve=True),
    )
    await handle.execute_update(
        OversizeTransportCase.submit_opinion,
        Opinion(task_id="review:highway", department="highway", approve=True),
    )

    assert await open_tasks(handle, 1) == ["countersign:police"]
    assert (await status_of(handle)).stage is Stage.COUNTERSIGN
    conditions = ["夜间 22:00—次日 6:00 通行", "前后各一辆护送车"]
    await handle.execute_update(
        OversizeTransportCase.submit_opinion,
        Opinion(task_id="countersign:police", department="police", approve=True, conditions=conditions),
    )
    final = await result(handle)
    assert final.outcome is Outcome.APPROVED
    assert final.conditions == conditions
    async with cases.deps.sessions() as session:
        licence = await get_licence(session, final.licence_ids[0])
    assert licence is not None
    assert licence.payload["particulars"]["conditions"] == conditions
    steps = await ledger_steps(cases, handle.id)
    assert steps.count("承办") == 3 and steps.count("审核") == 2 and steps.count("会签") == 1
    await assert_chain_valid(cases)


async def test_class_iii_refusal_by_one_reviewer_refuses_the_case(cases: Cases):
    handle = await cases.start(submission(CLASS_III))
    assert await open_tasks(handle, 1) == ["review:highway"]  # class III: never by rules
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
    assert await open_tasks(handle, 1) == ["review:highway"]
    await handle.execute_update(
        OversizeTransportCase.submit_opinion,
        Opinion(task_id="review:highway", department="highway", approve=True),
    )
    await handle.execute_update(
        OversizeTransportCase.submit_opinion,
        Opinion(task_id="countersign:police", department="police", approve=True),
    )
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
    await open_tasks(handle, 1)
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
    await open_tasks(handle, 2)

    wrong_department = Opinion(task_id="review:highway", department="urban_road", approve=True)
    assert "department" in await rejection(handle, wrong_department)
    not_open = Opinion(task_id="countersign:police", department="police", approve=True)
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
    assert len((await status_of(handle)).open_tasks) == 1
    await handle.terminate("test done")
