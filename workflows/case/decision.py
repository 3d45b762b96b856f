"""Decision: 决定 (准予许可 / 不予许可), 制证 of each licence, 办结, and 撤回 before the decision.

`refuse` and `approve` end the case: 决定, for approval 制证 of each licence in order, 办结, then the
evaluation (evaluation.after_close). `withdrawn` closes a case the applicant withdrew (撤回) during
review, without an evaluation; `close` is 办结 for every ending, and settles the supervision.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.licensing import IssuedLicenceRef, issue_licence
    from domain.case import CaseStatus, Outcome, Stage
    from domain.events import Closed, Decided, Issued, Withdrawn
    from domain.licence import LicenceGrant
    from workflows.case import effects, evaluation
    from workflows.case.book import CaseBook, enter_stage, finish
    from workflows.case.review import close_unanswered
    from workflows.case.state import Case


def decided(case: Case, outcome: str, **parts: Any) -> Decided:
    """The 决定 event of this case's lead department, due at the promised limit."""
    return Decided(
        department=case.department,
        actor_role="system",
        outcome=outcome,
        planned_at=case.book.due,
        **parts,
    )


async def decide(case: Case, decision: Decided) -> None:
    """决定: enter the decision stage and record it (准予许可 / 不予许可, its reasons and parts)."""
    enter_stage(case.book, Stage.DECISION)
    await effects.record(case.book, decision)


async def refuse(case: Case, reasons: list[str]) -> CaseStatus:
    """决定 不予许可 with the reasons, told to the applicant; 办结, then 好差评."""
    book = case.book
    await decide(case, decided(case, "不予许可", reasons=reasons))
    await effects.notify(book, "refused", "applicant", {"case_id": book.case_id, "reasons": reasons})
    await close(case, Outcome.REFUSED, case.department, reasons)
    return await evaluation.after_close(case)


async def approve(case: Case, licences: list[LicenceGrant], decision: Decided) -> CaseStatus:
    """决定 准予许可 (`decision`, from `decided`), then seal and issue each licence in order, each with
    its own identifier and 制证 event; 办结 with the book's reasons, then 好差评."""
    book = case.book
    await decide(case, decision)
    enter_stage(book, Stage.ISSUING)
    for licence in licences:
        await sign_and_issue(book, licence, case.department)
    await close(case, Outcome.APPROVED, case.department, book.reasons)
    return await evaluation.after_close(case)


async def sign_and_issue(book: CaseBook, inp: LicenceGrant, department: str) -> IssuedLicenceRef:
    """制证 by the deciding department: seal and issue one licence (电子印章 + 电子证照), then its event."""
    summary = f"seal and issue {inp.licence_key}"
    if book.per_task:  # a seal of milliseconds: one marker, not an activity's six events
        ref = await effects.run_local(book, issue_licence, inp, summary)
    else:
        ref = await effects.run_remote(issue_licence, inp, summary)
    book.licence_ids.append(ref.licence_id)
    await effects.record(
        book,
        Issued(
            department=department,
            actor_role="system",
            licence_id=ref.licence_id,
            licence_key=inp.licence_key,
        ),
    )
    return ref


async def close_withdrawn(case: Case) -> None:
    await effects.record(case.book, Withdrawn(department=case.department))
    await close(case, Outcome.WITHDRAWN, case.department, ["申请人撤回申请"])


async def withdrawn(case: Case) -> CaseStatus:
    """撤回 during review: 办结 without an evaluation."""
    await close_withdrawn(case)
    return await finish(case.book)


async def close(case: Case, outcome: Outcome, department: str, reasons: list[str]) -> None:
    await close_case(case.book, outcome, department, reasons)
    await case.supervision.settle()


async def close_case(book: CaseBook, outcome: Outcome, department: str, reasons: list[str]) -> None:
    """办结: the outcome, the ledger's closing event with the final dues, the final search attributes."""
    book.outcome = outcome
    book.reasons = reasons
    close_unanswered(book)
    enter_stage(book, Stage.CLOSED)
    await effects.record(
        book,
        Closed(
            department=department,
            actor_role="system",
            outcome=outcome.value,
            planned_at=book.due,
            reasons=reasons,
            licence_ids=book.licence_ids,
            statutory_due=book.statutory_due,
        ),
    )
