"""Evaluation after 办结: 好差评 within its window, 整改 of a bad rating, then the 回访.

`after_close` is the case's result once 办结 is written: at once when the case closed before its
limits were known, else after `evaluate`. The applicant rates through `rate`; a bad rating (差评)
opens 整改, which the responsible department answers (`reply_to_rating`) before a 回访
(`record_return_visit`).
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import CaseStatus, Outcome, Rating, RectificationReply, ReturnVisit, Stage, Task
    from domain.events import Rated, RectificationOpened, RectificationReplied, ReturnVisited
    from domain.limits import BAD_RATING_AT_MOST, CaseLimits
    from workflows import search_attributes as sa
    from workflows.case import effects
    from workflows.case.book import details_after_close, finish, show_after_close
    from workflows.case.state import Case

# Outcomes after which the applicant is asked to rate the service (好差评).
RATED_OUTCOMES = (Outcome.APPROVED, Outcome.REFUSED, Outcome.NOT_ACCEPTED)
# Patch id: the 好差评 window (and 整改) show in the UI's stage search attribute and current details.
EVALUATION_SHOWN = "evaluation-window-shown"


async def after_close(case: Case) -> CaseStatus:
    """The result after 办结: with 好差评 when the case ran against limits, else at once."""
    if case.limits is None:  # closed before its limits were known: nothing to rate against
        return await finish(case.book)
    return await evaluate(case, case.limits, case.department)


async def evaluate(case: Case, limits: CaseLimits, department: str) -> CaseStatus:
    """好差评 after 办结: take a rating within the window; a bad one opens 整改 with its own limit."""
    book = case.book
    if book.outcome in RATED_OUTCOMES:
        sup = case.supervision
        await sup.set_limits(workflow.now(), {"evaluation": limits.evaluation_window})
        book.rating_open = True
        # A case running on after 办结 looked stuck in the UI; it now says why. The stage upsert is
        # a command: cases whose window opened before this change replay without it.
        shown = effects.patched(book, EVALUATION_SHOWN)
        if shown:
            show_after_close(book, sa.EVALUATION_STAGE, _window_note(sup.due["evaluation"]))
        # The window closes at the evaluation due as it stands: a recount (时限重算) may move it,
        # and then the wait starts again towards the new time. Nothing else moves it after 办结, so
        # a case without a recount waits on the one timer it always did.
        while case.rating is None:
            left = sup.due["evaluation"] - workflow.now()
            if left.total_seconds() <= 0:  # a recount moved the close into the past
                break
            try:
                await workflow.wait_condition(
                    sup.moved_or_done(lambda: case.rating is not None),
                    timeout=left,
                    timeout_summary="好差评 window",
                )
            except TimeoutError:  # the window closing without a rating is normal
                break
            if shown:  # a recount moved the close: the details follow (they are no command)
                workflow.set_current_details(details_after_close(book, _window_note(sup.due["evaluation"])))
        book.rating_open = False
        if case.rating is not None and case.rating.score <= BAD_RATING_AT_MOST:
            if shown:
                note = f"**整改** the {department} department answers the bad rating (差评), then a 回访"
                show_after_close(book, sa.RECTIFICATION_STAGE, note)
            await _rectify(case, limits, department)
        if shown:
            show_after_close(book, Stage.CLOSED.value, "**办结**; the 好差评 window is over")
    return await finish(book)


def _window_note(closes: datetime) -> str:
    return (
        f"**好差评 window open** until {closes.isoformat()}: the case is decided (办结); it runs on "
        "until the applicant rates the service or the window closes"
    )


async def _rectify(case: Case, limits: CaseLimits, department: str) -> None:
    """整改: the responsible department answers the bad rating within its limit, then a 回访."""
    book, sup = case.book, case.supervision
    due = await sup.set_limits(workflow.now(), {"rectification": limits.rectification})
    book.rectification = Task(
        task_id="rectification",
        department=department,
        kind="rectification",
        title="差评整改",
        opened_at=workflow.now(),
        due=due["rectification"],
    )
    await effects.record(
        book,
        RectificationOpened(
            department=department,
            actor_role="system",
            planned_at=due["rectification"],
            limit_working_days=limits.rectification,
            score=case.rating.score if case.rating else None,
        ),
    )
    await effects.notify(
        book,
        "rectification",
        department,
        {"case_id": book.case_id, "due": due["rectification"].isoformat()},
    )
    sup.watch(
        "rectification",
        department=department,
        scope="rectification",
        done=lambda: case.rectification_reply is not None,
    )
    await workflow.wait_condition(lambda: case.rectification_reply is not None)
    await workflow.wait_condition(lambda: case.return_visit is not None)
    await sup.settle()


# --- the applicant's rating and the department's answer to it --------------------------------------


async def rate(case: Case, rating: Rating) -> CaseStatus:
    """好差评: the applicant's score (and whether they commented) goes to the ledger."""
    case.rating = rating  # before any await: the evaluation's wait sees it
    await effects.record(
        case.book,
        Rated(department="applicant", outcome=str(rating.score), has_comment=bool(rating.comment)),
    )
    case.book.rating = rating.score
    return case.book.status()


def check_rate(case: Case) -> None:
    if not case.book.rating_open or case.rating is not None:
        raise ValueError("stage: the case is not open for rating (好差评) now")


async def reply_to_rating(case: Case, reply: RectificationReply) -> CaseStatus:
    """整改 answered by the responsible department."""
    case.rectification_reply = reply
    task = case.book.rectification
    assert task is not None
    task.answered, task.approve, task.reason = True, True, reply.reply
    await effects.record(
        case.book,
        RectificationReplied(
            department=reply.department, actor_role="officer", planned_at=task.due, officer=reply.officer
        ),
    )
    return case.book.status()


def check_reply(case: Case, reply: RectificationReply) -> None:
    task = case.book.rectification
    if task is None or case.rectification_reply is not None:
        raise ValueError("stage: no rectification (整改) is open")
    if task.department != reply.department:
        raise ValueError(f"department: the rectification belongs to {task.department}")


async def record_return_visit(case: Case, visit: ReturnVisit) -> CaseStatus:
    """回访: the department asks the applicant whether the 整改 satisfied them."""
    case.return_visit = visit
    await effects.record(
        case.book,
        ReturnVisited(
            department=visit.department,
            actor_role="officer",
            outcome="satisfied" if visit.satisfied else "unsatisfied",
            officer=visit.officer,
        ),
    )
    return case.book.status()


def check_visit(case: Case, visit: ReturnVisit) -> None:
    task = case.book.rectification
    if task is None or case.rectification_reply is None or case.return_visit is not None:
        raise ValueError("stage: no return visit (回访) is due")
    if task.department != visit.department:
        raise ValueError(f"department: the return visit belongs to {task.department}")
