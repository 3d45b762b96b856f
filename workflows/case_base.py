"""What every matter's case workflow shares: its book, its supervision, and the messages every case
takes whatever its matter — officers' opinions, 停表/复表, withdrawal, 好差评 and its 整改, the status.

A matter's workflow subclasses `CaseWorkflow` and adds only its `run` and its matter-specific messages
(for 大件运输, the 补正 supplement). One level of inheritance is the Temporal-native way to share
message handlers between workflow types; the steps themselves are functions in steps.py.
"""

from __future__ import annotations

import contextlib

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import (
        CaseStatus,
        ClockResume,
        ClockStop,
        Opinion,
        Outcome,
        Rating,
        RectificationReply,
        ReturnVisit,
        Stage,
        Step,
        Task,
        Withdrawal,
    )
    from domain.limits import BAD_RATING_AT_MOST, CaseLimits
    from workflows import steps
    from workflows.steps import CaseBook
    from workflows.supervision import Supervision

CLOCK_REASONS_OFFICERS_MAY_STOP = ("加固改造", "专家评审")
# Outcomes after which the applicant is asked to rate the service (好差评).
RATED_OUTCOMES = (Outcome.APPROVED, Outcome.REFUSED, Outcome.NOT_ACCEPTED)


class CaseWorkflow:
    """Shared state and message handlers; see each matter's workflow for its contract."""

    def __init__(self, matter: str) -> None:
        self.book = CaseBook(workflow.info().workflow_id, matter)
        self.supervision = Supervision(self.book)
        self.rating: Rating | None = None
        self.rating_open = False
        self.rectification_reply: RectificationReply | None = None
        self.return_visit: ReturnVisit | None = None

    # --- closing and evaluation -------------------------------------------------------------------

    async def close(self, outcome: Outcome, department: str, reasons: list[str]) -> None:
        await steps.close_case(self.book, outcome, department, reasons)
        await self.supervision.settle()

    async def evaluate(self, limits: CaseLimits, department: str) -> CaseStatus:
        """好差评 after 办结: take a rating within the window; a bad one opens 整改 with its own limit."""
        book = self.book
        if book.outcome in RATED_OUTCOMES:
            due = await self.supervision.set_limits(workflow.now(), {"evaluation": limits.evaluation_window})
            self.rating_open = True
            with contextlib.suppress(TimeoutError):  # the window closing without a rating is normal
                await workflow.wait_condition(
                    lambda: self.rating is not None,
                    timeout=due["evaluation"] - workflow.now(),
                    timeout_summary="好差评 window",
                )
            self.rating_open = False
            if self.rating is not None and self.rating.score <= BAD_RATING_AT_MOST:
                await self._rectify(limits, department)
        return await steps.finish(book)

    async def _rectify(self, limits: CaseLimits, department: str) -> None:
        """整改: the responsible department answers the bad rating within its limit, then a 回访."""
        book, sup = self.book, self.supervision
        due = await sup.set_limits(workflow.now(), {"rectification": limits.rectification})
        book.rectification = Task(
            task_id="rectification",
            department=department,
            kind="rectification",
            title="差评整改",
            opened_at=workflow.now(),
            due=due["rectification"],
        )
        await steps.record(
            book,
            Step.RECTIFICATION,
            department=department,
            actor_role="system",
            planned_at=due["rectification"],
            limit_working_days=limits.rectification,
            detail={"score": self.rating.score if self.rating else None},
        )
        await steps.notify(
            book,
            "rectification",
            department,
            {"case_id": book.case_id, "due": due["rectification"].isoformat()},
        )
        sup.watch(
            "rectification",
            department=department,
            scope="rectification",
            done=lambda: self.rectification_reply is not None,
        )
        await workflow.wait_condition(lambda: self.rectification_reply is not None)
        await workflow.wait_condition(lambda: self.return_visit is not None)
        await sup.settle()

    # --- messages every case takes ------------------------------------------------------------------

    @workflow.update
    async def submit_opinion(self, opinion: Opinion) -> CaseStatus:
        await steps.answer_task(self.book, opinion)
        return self.book.status()

    @submit_opinion.validator
    def _validate_opinion(self, opinion: Opinion) -> None:
        steps.check_opinion(self.book, opinion)

    @workflow.update
    def withdraw(self, withdrawal: Withdrawal) -> CaseStatus:
        self.book.withdrawn = True
        return self.book.status()

    @withdraw.validator
    def _validate_withdraw(self, withdrawal: Withdrawal) -> None:
        if self.book.withdrawn:
            raise ValueError("stage: the application has already been withdrawn")
        if self.book.decided:
            raise ValueError(f"stage: the case is at {self.book.stage.value}; it can no longer be withdrawn")

    @workflow.update
    async def stop_clock(self, stop: ClockStop) -> CaseStatus:
        await self.supervision.stop(stop.reason, stop.department, "officer")
        return self.book.status()

    @stop_clock.validator
    def _validate_stop_clock(self, stop: ClockStop) -> None:
        self._check_officer_in_review(stop.department)
        if self.supervision.stopped:
            raise ValueError(f"stage: the clock is already stopped ({self.supervision.stop_reason})")

    @workflow.update
    async def resume_clock(self, resume: ClockResume) -> CaseStatus:
        await self.supervision.resume(resume.department, "officer")
        return self.book.status()

    @resume_clock.validator
    def _validate_resume_clock(self, resume: ClockResume) -> None:
        self._check_officer_in_review(resume.department)
        if self.supervision.stop_reason not in CLOCK_REASONS_OFFICERS_MAY_STOP:
            raise ValueError("stage: the clock is not stopped by an officer")

    def _check_officer_in_review(self, department: str) -> None:
        book = self.book
        if book.stage not in (Stage.REVIEW, Stage.COUNTERSIGN) or book.withdrawn:
            raise ValueError(f"stage: the clock can be stopped only during review, not at {book.stage.value}")
        if not any(t.department == department for t in book.tasks.values()):
            raise ValueError(f"department: {department} has no task in this case")

    @workflow.update
    async def rate(self, rating: Rating) -> CaseStatus:
        self.rating = rating
        await steps.record(
            self.book,
            Step.RATED,
            department="applicant",
            actor_role="applicant",
            outcome=str(rating.score),
            detail={"has_comment": bool(rating.comment)},
        )
        self.book.rating = rating.score
        return self.book.status()

    @rate.validator
    def _validate_rate(self, rating: Rating) -> None:
        if not self.rating_open:
            raise ValueError("stage: the case is not open for rating (好差评) now")

    @workflow.update
    async def reply_to_rating(self, reply: RectificationReply) -> CaseStatus:
        self.rectification_reply = reply
        task = self.book.rectification
        assert task is not None
        task.answered, task.approve, task.reason = True, True, reply.reply
        await steps.record(
            self.book,
            Step.RECTIFICATION_REPLY,
            department=reply.department,
            actor_role="officer",
            planned_at=task.due,
        )
        return self.book.status()

    @reply_to_rating.validator
    def _validate_reply(self, reply: RectificationReply) -> None:
        task = self.book.rectification
        if task is None or self.rectification_reply is not None:
            raise ValueError("stage: no rectification (整改) is open")
        if task.department != reply.department:
            raise ValueError(f"department: the rectification belongs to {task.department}")

    @workflow.update
    async def record_return_visit(self, visit: ReturnVisit) -> CaseStatus:
        self.return_visit = visit
        await steps.record(
            self.book,
            Step.RETURN_VISIT,
            department=visit.department,
            actor_role="officer",
            outcome="satisfied" if visit.satisfied else "unsatisfied",
        )
        return self.book.status()

    @record_return_visit.validator
    def _validate_visit(self, visit: ReturnVisit) -> None:
        task = self.book.rectification
        if task is None or self.rectification_reply is None or self.return_visit is not None:
            raise ValueError("stage: no return visit (回访) is due")
        if task.department != visit.department:
            raise ValueError(f"department: the return visit belongs to {task.department}")

    @workflow.query
    def status(self) -> CaseStatus:
        return self.book.status()
