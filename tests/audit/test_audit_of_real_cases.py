"""The audit computed from the ledger the workflows really write, not from a hand-made fixture.

Five cases run on the time-skipping server from the pinned Thursday 2026-09-24 09:00, all received at
once (a case started after another's result could be received years later: see
test_audit_both_matters.py):

- LATE, 大件运输 class III: nobody answers its tasks until Thu 10-01: the review and the on-site check
  (due Wed 09-30, 3 working days: 25 is 中秋, 28, 29, 30) are warned on 09-29 and carded yellow on
  09-30, the police countersign beside them (2 working days) a day earlier each, the review stage
  carded yellow on 09-30; then every task is answered and the case is approved.
- PAUSED, class III: the highway officer stops the clock (专家评审) at once and resumes it on 10-01.
- REFUSED, class III: the highway officer refuses on 09-24.
- WITHDRAWN, class III: the applicant withdraws during review.
- BUSINESS, 开办运输企业: the road-transport authority grants every review on 09-24.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.audit.report import AuditReport
from domain.calendar import SHANGHAI
from domain.case import CaseStatus, ClockResume, ClockStop, Opinion, Outcome, Withdrawal
from services.audit_report import build_report
from tests.audit.stack import Handle, Stack
from tests.factories import BUSINESS, CLASS_III, business, submission
from tests.polling import eventually
from tests.workflows.conftest import calendar_for_tests

OVERSIZE = "oversize-transport"
OPEN_BUSINESS = "open-transport-business"


async def status(handle: Handle) -> CaseStatus:
    return await handle.query("status", result_type=CaseStatus)


async def open_tasks(handle: Handle, at_least: int = 1) -> list[tuple[str, str]]:
    async def ready() -> list[tuple[str, str]] | None:
        tasks = [(t.task_id, t.department) for t in (await status(handle)).open_tasks]
        return tasks if len(tasks) >= at_least else None

    return await eventually(ready)


async def answer_all(handle: Handle, *, approve: bool = True) -> None:
    """Answer every open task, stage after stage (review, then the police countersign), until none opens."""
    while True:
        current = await status(handle)
        if current.outcome is not None or current.stage.value not in ("review", "countersign"):
            return
        tasks = [(t.task_id, t.department) for t in current.open_tasks]
        if not approve:  # one refusal refuses the case: the other tasks close unanswered
            tasks = [t for t in tasks if t[0] == "review:highway"]
        for task_id, department in tasks:
            opinion = Opinion(
                task_id=task_id,
                department=department,
                approve=approve,
                reason=None if approve else "桥梁荷载不足",
                officer=f"officer-{department}",
            )
            await handle.execute_update("submit_opinion", opinion)
        if not approve:
            return

        async def moved_on(seen: CaseStatus = current) -> CaseStatus | None:
            now = await status(handle)
            return now if now.stage != seen.stage or now.outcome is not None or now.open_tasks else None

        await eventually(moved_on)


async def run_the_five_cases(stack: Stack) -> AuditReport:
    late, paused, refused, withdrawn = [await stack.start(submission(CLASS_III)) for _ in range(4)]
    opened = await stack.start(business(BUSINESS))
    for handle in (late, paused, refused, withdrawn):
        await open_tasks(handle)
    await open_tasks(opened, 4)

    # Thu 09-24, at once.
    await paused.execute_update(
        "stop_clock", ClockStop(department="highway", reason="专家评审", officer="o-1")
    )
    await answer_all(refused, approve=False)
    await withdrawn.execute_update("withdraw", Withdrawal(reason="不再需要"))
    await answer_all(opened)

    await stack.env.sleep(timedelta(days=7))  # → Thu 10-01 09:00, a holiday
    await paused.execute_update("resume_clock", ClockResume(department="highway", officer="o-1"))
    await answer_all(late)
    await answer_all(paused)

    outcomes = [(await h.result()).outcome for h in (late, paused, refused, withdrawn, opened)]
    assert outcomes == [
        Outcome.APPROVED,
        Outcome.APPROVED,
        Outcome.REFUSED,
        Outcome.WITHDRAWN,
        Outcome.APPROVED,
    ]
    now = datetime(2026, 12, 1, 12, tzinfo=SHANGHAI)
    return await build_report(stack.deps.sessions, calendar_for_tests(), now=now)


async def test_the_report_from_what_the_workflows_wrote(stack: Stack):
    report = await run_the_five_cases(stack)

    def kinds(warning: int, yellow: int, red: int = 0, statutory: int = 0) -> dict[str, int]:
        return {"催办": warning, "黄牌": yellow, "红牌": red, "超法定时限": statutory}

    cards = report.cards
    # The stage card is counted under its stage, never under "?" (the watchers name the limit
    # "stage:review"; the audit once read a key they never wrote).
    assert cards.by_stage == {"review": kinds(0, 1)}
    # LATE's three tasks side by side (并联): the review and the 勘验 (3 working days, due 09-30) and the
    # police countersign (2, due 09-29), each warned the working day before and carded at its due.
    assert cards.by_scope == {"stage": kinds(0, 1), "task": kinds(3, 3)}
    assert cards.by_task_kind == {
        "review:highway": kinds(1, 1),
        "inspection:highway": kinds(1, 1),
        "countersign:police": kinds(1, 1),
    }
    assert cards.by_department == {"highway": kinds(2, 3), "police": kinds(1, 1)}

    oversize = next(m for m in report.matters if m.matter == OVERSIZE)
    business_row = next(m for m in report.matters if m.matter == OPEN_BUSINESS)
    assert (oversize.received, oversize.completed, oversize.decided) == (4, 4, 3)
    assert (oversize.by_outcome["approved"], oversize.by_outcome["refused"]) == (2, 1)
    assert oversize.by_outcome["withdrawn"] == 1
    # Every decided case closed within its promised limit (class III: 7 working days from 09-24 is
    # Mon 10-12; the paused case's limit moved further by its stopped days).
    assert (oversize.on_time_promised.count, oversize.on_time_promised.of) == (3, 3)
    assert (oversize.on_time_statutory.count, oversize.on_time_statutory.of) == (3, 3)
    assert (business_row.decided, business_row.on_time_promised.rate) == (1, 1.0)

    durations = {d.task_kind: d for d in report.task_durations}
    assert set(durations) == {
        "countersign:police",
        "inspection:highway",
        "review:highway",
        "review:road_transport",
    }
    # review:highway: REFUSED answered the day it opened (0), LATE and PAUSED on 10-01 (28, 29, 30: 3).
    highway = durations["review:highway"]
    assert (highway.count, highway.min, highway.median, highway.max) == (3, 0, 3, 3)
    road = durations["review:road_transport"]
    assert (road.count, road.max) == (4, 0)  # the licence and three certificates, all on 09-24
    assert report.bottleneck is not None and report.bottleneck.task_kind == "review:highway"
    assert report.unreadable_events == 0
