"""The messages every case takes, whatever its matter: `CaseWorkflow`, the base of each matter's workflow.

Officers' opinions, 停表/复表, withdrawal (撤回), 好差评 with its 整改 and 回访, 签收/转办/督办 of a
task, 时限重算, the status. A matter's workflow subclasses `CaseWorkflow` and adds only its `run` (the
story of its matter, told with the steps in intake.py, review.py, decision.py and evaluation.py, on
`self.case`) and its own messages (the 补正 supplement). One level of inheritance is the
Temporal-native way to share message handlers between workflow types, so the handlers stay methods;
what they do is a step of the story they belong to.

Who sent a message (issue 17). An update's `department` and `officer` (a 督办's `supervisor`) are the
sender's identity, and the handlers act on them; they are trusted because of how the input arrives,
not because of what it says. The portal writes them from the caller's token (portal/cases.py,
portal/actions.py; a body naming a department is refused) and seals the whole input with the codec
key, bound to this case (codec.py): the sealed input is the envelope. The worker decodes with a codec
that refuses anything else — a plain payload sent with the `temporal` CLI, one the codec endpoint
sealed for the UI, one copied from another case's history — so such an update is rejected before its
validator runs and changes nothing. Nothing of this is workflow code: the validators and handlers
below are as they were, and saved histories replay as before.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import (
        OFFICER_CLOCK_REASONS,
        CaseStatus,
        ClockResume,
        ClockStop,
        Opinion,
        Rating,
        RecountDues,
        RectificationReply,
        ReturnVisit,
        TaskClaim,
        TaskTransfer,
        Urge,
        Withdrawal,
    )
    from workflows.case import evaluation, review
    from workflows.case.book import CaseBook
    from workflows.case.state import Case


class CaseWorkflow:
    """Shared state and message handlers; see each matter's workflow for its contract."""

    def __init__(self, matter: str, department: str) -> None:
        self.case = Case(CaseBook(workflow.info().workflow_id, matter), department)

    @workflow.update
    async def submit_opinion(self, opinion: Opinion) -> CaseStatus:
        await review.answer_task(self.case.book, opinion)
        return self.case.book.status()

    @submit_opinion.validator
    def _validate_opinion(self, opinion: Opinion) -> None:
        review.check_opinion(self.case.book, opinion)

    @workflow.update
    def withdraw(self, withdrawal: Withdrawal) -> CaseStatus:
        self.case.book.withdrawn = True
        return self.case.book.status()

    @withdraw.validator
    def _validate_withdraw(self, withdrawal: Withdrawal) -> None:
        book = self.case.book
        if book.withdrawn:
            raise ValueError("stage: the application has already been withdrawn")
        if book.decided:
            raise ValueError(f"stage: the case is at {book.stage.value}; it can no longer be withdrawn")

    @workflow.update
    async def stop_clock(self, stop: ClockStop) -> CaseStatus:
        await self.case.supervision.stop(stop.reason, stop.department, "officer", stop.officer)
        return self.case.book.status()

    @stop_clock.validator
    def _validate_stop_clock(self, stop: ClockStop) -> None:
        review.check_officer_in_review(self.case.book, stop.department)
        if self.case.supervision.stopped:
            raise ValueError(f"stage: the clock is already stopped ({self.case.supervision.stop_reason})")

    @workflow.update
    async def resume_clock(self, resume: ClockResume) -> CaseStatus:
        await self.case.supervision.resume(resume.department, "officer", resume.officer)
        return self.case.book.status()

    @resume_clock.validator
    def _validate_resume_clock(self, resume: ClockResume) -> None:
        review.check_officer_in_review(self.case.book, resume.department)
        if self.case.supervision.stop_reason not in OFFICER_CLOCK_REASONS:
            raise ValueError("stage: the clock is not stopped by an officer")
        # With the reviews and the countersign in parallel, several departments hold tasks: the clock
        # stopped for one department's 加固改造 or 专家评审 is that department's to restart.
        if self.case.supervision.stopped_by not in (None, resume.department):
            raise ValueError(f"department: the clock was stopped by {self.case.supervision.stopped_by}")

    @workflow.update
    async def rate(self, rating: Rating) -> CaseStatus:
        return await evaluation.rate(self.case, rating)

    @rate.validator
    def _validate_rate(self, rating: Rating) -> None:
        evaluation.check_rate(self.case)

    @workflow.update
    async def reply_to_rating(self, reply: RectificationReply) -> CaseStatus:
        return await evaluation.reply_to_rating(self.case, reply)

    @reply_to_rating.validator
    def _validate_reply(self, reply: RectificationReply) -> None:
        evaluation.check_reply(self.case, reply)

    @workflow.update
    async def record_return_visit(self, visit: ReturnVisit) -> CaseStatus:
        return await evaluation.record_return_visit(self.case, visit)

    @record_return_visit.validator
    def _validate_visit(self, visit: ReturnVisit) -> None:
        evaluation.check_visit(self.case, visit)

    @workflow.signal
    async def recount_dues(self, recount: RecountDues) -> None:
        """A holiday notice arrived: count every due again (时限重算); `onething calendar add` sends it."""
        await self.case.supervision.recount(self.case.department, recount.year, recount.source)

    # 签收, 转办, 督办: new messages; a case that never receives them runs (and replays) as before.

    @workflow.update
    async def claim_task(self, claim: TaskClaim) -> CaseStatus:
        return await review.claim_task(self.case, claim)

    @claim_task.validator
    def _validate_claim(self, claim: TaskClaim) -> None:
        review.check_claim(self.case, claim)

    @workflow.update
    async def transfer_task(self, transfer: TaskTransfer) -> CaseStatus:
        return await review.transfer_task(self.case, transfer)

    @transfer_task.validator
    def _validate_transfer(self, transfer: TaskTransfer) -> None:
        review.check_transfer(self.case, transfer)

    @workflow.update
    async def urge_task(self, urge: Urge) -> CaseStatus:
        return await review.urge_task(self.case, urge)

    @urge_task.validator
    def _validate_urge(self, urge: Urge) -> None:
        review.open_task_for_action(self.case.book, urge.task_id, None)

    @workflow.query
    def status(self) -> CaseStatus:
        return self.case.book.status()
