"""Intake: from 收件 to 受理 or 不予受理 — the clocks, 数据预填 (免提交) and one 补正.

In the order a case meets them: `receive` (收件), `start_promised_clock` (承诺时限 from receipt),
`prefill` (免提交), `enter_acceptance` (受理审查), `ask_for_supplement` (补正, the clock stopped; the
matter's `supplement` update answers it through `take_supplement`), then `accept` (受理, the statutory
clock) or `not_accept` (不予受理).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import Card, CaseStatus, Outcome, Problem, Stage
    from domain.events import Accepted, MissingItem, NotAccepted, Received, SupplementRequested
    from domain.limits import CaseLimits
    from workflows import search_attributes as sa
    from workflows.case import decision, effects
    from workflows.case.book import enter_stage, show
    from workflows.case.state import Case

P = TypeVar("P")
R = TypeVar("R")

# Patch id: the answer to a 补正 shows the case after it took the answer (see `take_supplement`).
SUPPLEMENT_ANSWER_TAKEN = "supplement-answer-after-it-is-taken"


async def receive(case: Case, region: str) -> datetime:
    """收件: index the case (matter and region: no personal data), write 收件; the receipt time."""
    received_at = workflow.now()
    show(case.book, [sa.MATTER.value_set(case.book.matter), sa.REGION.value_set(region)])
    await effects.record(case.book, Received(department=case.department))
    return received_at


async def start_promised_clock(case: Case, limits: CaseLimits, received_at: datetime) -> None:
    """The promised limit (承诺时限) counts from receipt; 受理 has its own stage limit within it.

    The first call fixes the case's limits; later calls (a second pass after 补正) change nothing.
    """
    if case.limits is not None:
        return
    case.limits = limits
    if case.book.counts_once:  # each limit counted at the day's first count (effects.COUNT_ONCE_A_DAY)
        case.book.limit_days = effects.with_warnings(limits.model_dump().values())
    sup = case.supervision
    await sup.set_limits(
        received_at, {"promised": limits.promised, "stage:acceptance": limits.acceptance_stage}
    )
    sup.watch("promised", department=case.department, scope="case", card=Card.RED, done=case.closed)
    sup.watch(
        "stage:acceptance",
        department=case.department,
        scope="stage",
        done=lambda: (
            case.closed() or case.book.stage not in (Stage.PREFILL, Stage.ACCEPTANCE, Stage.SUPPLEMENT)
        ),
    )


async def prefill(case: Case, lookup: Callable[[P], Awaitable[R]], arg: P) -> R:
    """数据预填 (免提交): the matter's registry look-ups, one activity, at the pre-fill stage.

    Read-only and quick, they run as a local activity in a case under `per_task` (one marker, and the
    auto path in one workflow task); a registry that stays down is retried as a regular activity
    (effects.run_local). Cases started before keep the regular activity."""
    enter_stage(case.book, Stage.PREFILL)
    if case.book.per_task:
        return await effects.run_local(case.book, lookup, arg, "registry look-ups (免提交)")
    return await effects.run_remote(lookup, arg, "registry look-ups (免提交)")


async def enter_acceptance(case: Case) -> bool:
    """受理审查 begins; False, with the case closed as withdrawn, if the applicant withdrew meanwhile."""
    enter_stage(case.book, Stage.ACCEPTANCE)
    if case.book.withdrawn:
        await decision.close_withdrawn(case)
        return False
    return True


async def accept(case: Case) -> None:
    """受理: the statutory limit counts from acceptance (the start day is not counted)."""
    book, limits = case.book, case.limits
    assert limits is not None
    await case.supervision.set_limits(workflow.now(), {"statutory": limits.statutory})
    case.supervision.watch(
        "statutory",
        department=case.department,
        scope="case",
        warn=False,
        card=Card.RED_STATUTORY,
        done=case.closed,
    )
    if book.permit_class is not None:
        show(book, [sa.PERMIT_CLASS.value_set(book.permit_class)])
    await effects.record(
        book,
        Accepted(
            department=case.department,
            actor_role="system",
            planned_at=book.due,
            limit_working_days=limits.promised,
            permit_class=book.permit_class,
            statutory_due=book.statutory_due,
            statutory_working_days=limits.statutory,
            promised_working_days=limits.promised,
        ),
    )


async def not_accept(case: Case, reasons: list[str]) -> None:
    """不予受理 with every reason, told to the applicant; the case closes."""
    book = case.book
    await effects.record(book, NotAccepted(department=case.department, actor_role="system", reasons=reasons))
    await effects.notify(book, "not_accepted", "applicant", {"case_id": book.case_id, "reasons": reasons})
    await decision.close(case, Outcome.NOT_ACCEPTED, case.department, reasons)


# --- 补正: name what is missing once, wait for the applicant's answer -----------------------------


async def ask_for_supplement(
    case: Case, missing: list[Problem], reasons: list[str], follows_limit: bool = True
) -> Any | None:
    """补正 (行政许可法 Art. 32): name every missing item once, stop the clock, wait for the
    applicant's answer (the matter's `supplement` update) within the reply limit. The answer, or
    None with the case closed (the limit passed, or the applicant withdrew).

    The reply limit is one of the case's limits (`follows_limit`): marked provisional like the
    others and moved by a recount (时限重算). Cases started before it keep a plain due."""
    book, limits = case.book, case.limits
    assert limits is not None
    book.problems = missing
    book.reasons = reasons
    if follows_limit:
        limit = {"supplement": limits.supplement_reply}
        reply_due = (await case.supervision.set_limits(workflow.now(), limit))["supplement"]
    else:
        reply_due = (await effects.due_dates(book, workflow.now(), {"supplement": limits.supplement_reply}))[
            "supplement"
        ]
    enter_stage(book, Stage.SUPPLEMENT)
    await effects.record(
        book,
        SupplementRequested(
            department=case.department,
            actor_role="system",
            planned_at=reply_due,
            limit_working_days=limits.supplement_reply,
            missing=[MissingItem(field=p.field, message=p.message) for p in missing],
        ),
    )
    await case.supervision.stop("补正", case.department, "system")
    await effects.notify(
        book,
        "supplement",
        "applicant",
        {
            "case_id": book.case_id,
            "missing": [p.model_dump() for p in missing],
            "reply_due": reply_due.isoformat(),
        },
    )
    case.awaiting_supplement = True
    try:
        if follows_limit:
            await _wait_for_supplement(case)
        else:
            await workflow.wait_condition(
                lambda: case.pending_supplement is not None or book.withdrawn,
                timeout=reply_due - workflow.now(),
                timeout_summary="补正 reply limit",
            )
    except TimeoutError:
        case.awaiting_supplement = False
        await decision.close(
            case, Outcome.SUPPLEMENT_EXPIRED, case.department, ["申请人未在补正期限内补正，申请终止"]
        )
        return None
    case.awaiting_supplement = False
    if book.withdrawn:
        await decision.close_withdrawn(case)
        return None
    await case.supervision.resume(case.department, "applicant")
    supplement, case.pending_supplement = case.pending_supplement, None
    return supplement


async def _wait_for_supplement(case: Case) -> None:
    """Until the applicant answers or withdraws; TimeoutError at the reply due as it stands now."""
    sup, book = case.supervision, case.book
    while case.pending_supplement is None and not book.withdrawn:
        left = sup.due["supplement"] - workflow.now()
        if left.total_seconds() <= 0:
            raise TimeoutError
        await workflow.wait_condition(
            sup.moved_or_done(lambda: case.pending_supplement is not None or book.withdrawn),
            timeout=left,
            timeout_summary="补正 reply limit",
        )


async def take_supplement(case: Case, supplement: Any) -> CaseStatus:
    """The matter's `supplement` update: hand the answer to the waiting case and answer the status
    once the case has taken it — acceptance again, not still "supplement". Cases started before
    answered at once (SUPPLEMENT_ANSWER_TAKEN)."""
    case.pending_supplement = supplement
    if effects.patched(case.book, SUPPLEMENT_ANSWER_TAKEN):
        await workflow.wait_condition(lambda: case.pending_supplement is not supplement or case.closed())
    return case.book.status()


def check_supplement_open(case: Case) -> None:
    """For a matter's `supplement` validator: a 补正 must be open and not yet answered."""
    if not case.awaiting_supplement or case.pending_supplement is not None:
        raise ValueError("stage: no 补正 is open for this case")


class _Supplement(Protocol):
    def is_empty(self) -> bool: ...


S = TypeVar("S")
U = TypeVar("U", bound=_Supplement)


def check_supplement(
    case: Case, submission: S | None, supplement: U, apply: Callable[[S, U], object], empty: str
) -> None:
    """A matter's `supplement` validator: a 补正 is open, the answer brings something (else `empty`,
    the matter's message naming its field), and its corrections apply to the submission — `apply`
    (the matter's `apply_supplement`) raises naming the field a bad correction is in."""
    check_supplement_open(case)
    if supplement.is_empty():
        raise ValueError(empty)
    assert submission is not None
    apply(submission, supplement)
