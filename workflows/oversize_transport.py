"""高效办成大件运输一件事: one oversize-transport submission as one durable case.

received → pre-fill → assess → acceptance (受理 / 补正 with the clock stopped / 不予受理) → parallel
review (highway; urban roads; other provinces) → police countersign → decision → e-seal and
e-licence → 归集, checkpoint push, notice → 办结 → 好差评.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.prefill_oversize import PrefillInput, prefill_registries
    from domain.calendar import local_date
    from domain.case import CaseStatus, Opinion, Outcome, Problem, Stage
    from domain.events import MissingItem, SupplementRequested
    from domain.limits import CaseLimits
    from domain.oversize import Assessment, assess
    from domain.oversize_case import (
        MATTER,
        AcceptanceDecision,
        Department,
        OversizeSubmission,
        OversizeSupplement,
        RegistryFacts,
        Verdict,
        acceptance,
        acceptance_after_supplement,
        apply_supplement,
        auto_approval,
        carrier_standing,
        countersign_task,
        oversize_limits,
        permit_grant,
        registry_problems,
        review_tasks,
        task_limit,
    )
    from workflows import steps
    from workflows.case_base import CaseWorkflow

# Patch ids: the 补正 reply limit is counted by the supervision (provisional mark, recounts). The
# first version was checked where the 补正 begins, after local activities in the same workflow task;
# the second is checked before anything else the case does, where no local activity's timing can move
# it to another task on replay. Cases started under the first keep its check.
SUPPLEMENT_DUE_IS_A_LIMIT = "supplement-due-is-a-limit"
SUPPLEMENT_LIMIT_FROM_START = "supplement-limit-from-start"
HIGHWAY = Department.HIGHWAY.value


@workflow.defn(name="OversizeTransportCase")
class OversizeTransportCase(CaseWorkflow):
    """One 大件运输 case, from portal submission to 办结 and its evaluation.

    Input: `OversizeSubmission`. Returns the final `CaseStatus` (outcome, reasons, licence ids, rating).

    Messages (updates are validated: a rejected one leaves no event in the history):
    - `submit_opinion(Opinion)`: a department answers its open review or countersign task.
    - `supplement(OversizeSupplement)`: the applicant answers the 补正 notice while it is open.
    - `withdraw(Withdrawal)`: the applicant withdraws (撤回) before the decision.
    - `stop_clock(ClockStop)` / `resume_clock(ClockResume)`: an officer with a task stops the clock
      for 加固改造 or 专家评审 and restarts it; every due moves by the stopped working days.
    - `rate(Rating)`, then for a bad rating `reply_to_rating` and `record_return_visit` (好差评, 整改, 回访).
    - `claim_task(TaskClaim)` (签收), `transfer_task(TaskTransfer)` (转办 within the department),
      `urge_task(Urge)` (督办 by a supervisor: a ledger event and a notice to the task's department).
    - query `status() -> CaseStatus`.

    Supervision: the promised limit runs from receipt, the statutory one from 受理; each task and
    waiting stage has its own limit; 催办, yellow and red cards go to the ledger and the Card search
    attribute.
    """

    def __init__(self) -> None:
        super().__init__(MATTER, HIGHWAY)
        self.submission: OversizeSubmission | None = None
        self.pending_supplement: OversizeSupplement | None = None
        self.awaiting_supplement = False
        self.supplement_is_a_limit = False  # decided at the start of `run`

    @workflow.run
    async def run(self, submission: OversizeSubmission) -> CaseStatus:
        book = self.book
        self.submission = submission
        self.supplement_is_a_limit = workflow.patched(SUPPLEMENT_LIMIT_FROM_START)
        received_at = await self.receive(region=submission.origin_province)

        accepted = await self._accept(submission, received_at)
        if accepted is None:
            return await self.after_close()
        submission, facts, assessment, problems = accepted
        limits = self.limits
        assert limits is not None and assessment.permit_class is not None

        if not await self._review(submission, facts, assessment, problems, limits):
            return await self.withdrawn()
        if refused := steps.refusals(book):
            return await self.refuse(refused)

        if (spec := countersign_task(submission, assessment.permit_class)) is not None:
            if not await self.review_stage(
                Stage.COUNTERSIGN, [spec], {spec.task_id: limits.countersign_task}
            ):
                return await self.withdrawn()
            if refused := steps.refusals(book):
                return await self.refuse(refused)

        book.conditions = [c for t in book.tasks.values() for c in t.conditions]
        return await self.approve(
            [permit_grant(book.case_id, submission, facts, assessment.permit_class, book.conditions)],
            self.decision("准予许可", conditions=book.conditions),
        )

    # --- acceptance (受理) --------------------------------------------------------------------------

    async def _accept(
        self, submission: OversizeSubmission, received_at: datetime
    ) -> tuple[OversizeSubmission, RegistryFacts, Assessment, list[Problem]] | None:
        """Pre-fill, assess and decide acceptance; at most one 补正 round (行政许可法 Art. 32)."""
        book = self.book
        supplemented = False
        while True:
            facts = await self.prefill(
                prefill_registries,
                PrefillInput(
                    carrier_code=submission.carrier_code,
                    tractor_plate=submission.tractor_plate,
                    trailer_plate=submission.trailer_plate,
                    driver_qualification=submission.driver_qualification,
                ),
            )
            today = local_date(workflow.now())
            assessment = assess(submission.request, carrier_standing(facts), today)
            problems = registry_problems(submission, facts, today)
            decision = acceptance(submission, assessment, problems)
            if assessment.permit_class is not None:
                book.permit_class = assessment.permit_class.value
                limits = oversize_limits(assessment.permit_class, submission.request.cross_province)
                await self.start_promised_clock(limits, received_at)
            if not await self.enter_acceptance():
                return None
            if decision.verdict is Verdict.ACCEPT:
                book.problems = []
                book.reasons = decision.reasons
                await self.accept()
                return submission, facts, assessment, problems
            if decision.verdict is Verdict.NOT_ACCEPT:
                await self.not_accept(decision.reasons)
                return None
            if supplemented:  # one 补正 round only (SUPPLEMENT_ROUNDS)
                await self.not_accept(acceptance_after_supplement(decision))
                return None
            supplement = await self._ask_for_supplement(decision)
            if supplement is None:
                return None
            submission = apply_supplement(submission, supplement)
            self.submission = submission
            supplemented = True

    async def _ask_for_supplement(self, decision: AcceptanceDecision) -> OversizeSupplement | None:
        """补正: name every missing item once, stop the clock, wait for the applicant within the limit."""
        book, limits = self.book, self.limits
        assert limits is not None
        book.problems = decision.missing
        book.reasons = decision.reasons
        # The reply limit is one of the case's limits: marked provisional like the others and moved by
        # a recount (时限重算) when a holiday notice arrives. Cases started before keep a plain due.
        follows = self.supplement_is_a_limit or workflow.patched(SUPPLEMENT_DUE_IS_A_LIMIT)
        if follows:
            limit = {"supplement": limits.supplement_reply}
            reply_due = (await self.supervision.set_limits(workflow.now(), limit))["supplement"]
        else:
            reply_due = (await steps.due_dates(workflow.now(), {"supplement": limits.supplement_reply}))[
                "supplement"
            ]
        steps.enter_stage(book, Stage.SUPPLEMENT)
        missing = [p.model_dump() for p in decision.missing]
        await steps.record(
            book,
            SupplementRequested(
                department=HIGHWAY,
                actor_role="system",
                planned_at=reply_due,
                limit_working_days=limits.supplement_reply,
                missing=[MissingItem(field=p.field, message=p.message) for p in decision.missing],
            ),
        )
        await self.supervision.stop("补正", HIGHWAY, "system")
        await steps.notify(
            book,
            "supplement",
            "applicant",
            {"case_id": book.case_id, "missing": missing, "reply_due": reply_due.isoformat()},
        )
        self.awaiting_supplement = True
        try:
            if follows:
                await self._wait_for_supplement()
            else:
                await workflow.wait_condition(
                    lambda: self.pending_supplement is not None or book.withdrawn,
                    timeout=reply_due - workflow.now(),
                    timeout_summary="补正 reply limit",
                )
        except TimeoutError:
            self.awaiting_supplement = False
            await self.close(Outcome.SUPPLEMENT_EXPIRED, HIGHWAY, ["申请人未在补正期限内补正，申请终止"])
            return None
        self.awaiting_supplement = False
        if book.withdrawn:
            await self.close_withdrawn()
            return None
        await self.supervision.resume(HIGHWAY, "applicant")
        supplement, self.pending_supplement = self.pending_supplement, None
        return supplement

    async def _wait_for_supplement(self) -> None:
        """Until the applicant answers or withdraws; TimeoutError at the reply due as it stands now."""
        sup, book = self.supervision, self.book
        while self.pending_supplement is None and not book.withdrawn:
            left = sup.due["supplement"] - workflow.now()
            if left.total_seconds() <= 0:
                raise TimeoutError
            await workflow.wait_condition(
                sup.moved_or_done(lambda: self.pending_supplement is not None or book.withdrawn),
                timeout=left,
                timeout_summary="补正 reply limit",
            )

    # --- parallel review (并联审核) ------------------------------------------------------------------

    async def _review(
        self,
        submission: OversizeSubmission,
        facts: RegistryFacts,
        assessment: Assessment,
        problems: list[Problem],
        limits: CaseLimits,
    ) -> bool:
        """并联审核: every department at once; 智能审批 answers for the highway authority when it may."""
        specs = review_tasks(submission)
        approved, reasons = auto_approval(submission, assessment, facts, problems)
        self.book.reasons = self.book.reasons + reasons
        by_rules = (
            [Opinion(task_id="review:highway", department=HIGHWAY, approve=True, reason="；".join(reasons))]
            if approved
            else []
        )
        limit_of = {spec.task_id: task_limit(spec, limits) for spec in specs}
        return await self.review_stage(Stage.REVIEW, specs, limit_of, by_rules=by_rules)

    # --- the 补正 message (this matter's own) ------------------------------------------------------

    @workflow.update
    def supplement(self, supplement: OversizeSupplement) -> CaseStatus:
        self.pending_supplement = supplement
        return self.book.status()

    @supplement.validator
    def _validate_supplement(self, supplement: OversizeSupplement) -> None:
        if not self.awaiting_supplement or self.pending_supplement is not None:
            raise ValueError("stage: no 补正 is open for this case")
        if supplement.is_empty():
            raise ValueError("materials: a supplement must add a material or correct a field")
        assert self.submission is not None
        apply_supplement(self.submission, supplement)  # a bad correction fails here, naming its field
