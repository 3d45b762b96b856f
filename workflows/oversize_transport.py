"""高效办成大件运输一件事: one oversize-transport submission as one durable case.

received → pre-fill → assess → acceptance (受理 / 补正 with the clock stopped / 不予受理) → parallel
review (highway; urban roads; other provinces) → police countersign → decision → e-seal and
e-licence → 归集, checkpoint push, notice → 办结 → 好差评.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.licensing import VehicleLicenceQuery, licences_for_vehicles
    from activities.prefill_oversize import (
        PrefillInput,
        PrefillWithPermitsInput,
        prefill_registries,
        prefill_with_permits,
    )
    from domain.calendar import local_date
    from domain.case import CaseStatus, Opinion, Problem, Stage, TaskSpec
    from domain.licence import VehicleLicence
    from domain.limits import CaseLimits
    from domain.oversize import Assessment, assess
    from domain.oversize_case import (
        MATTER,
        Department,
        OversizeSubmission,
        OversizeSupplement,
        RegistryFacts,
        Verdict,
        acceptance,
        acceptance_after_supplement,
        admission_problems,
        apply_supplement,
        auto_approval,
        carrier_standing,
        countersign_task,
        inspection,
        limit_days_of_any_class,
        oversize_limits,
        permit_grant,
        permit_plates,
        permit_validity,
        registry_problems,
        repeated_permit_reasons,
        review_tasks,
        task_limit,
        window_passed,
    )
    from workflows.case import decision, effects, evaluation, intake, review
    from workflows.case.messages import CaseWorkflow

# Patch ids: the 补正 reply limit is counted by the supervision (provisional mark, recounts). The
# first version was checked where the 补正 begins, after local activities in the same workflow task;
# the second is checked before anything else the case does, where no local activity's timing can move
# it to another task on replay. Cases started under the first keep its check.
SUPPLEMENT_DUE_IS_A_LIMIT = "supplement-due-is-a-limit"
SUPPLEMENT_LIMIT_FROM_START = "supplement-limit-from-start"
# Patch id: the permit rules as a reviewer reads them (one marker for the set, decided at the start):
# the window asked for is a validity that starts no earlier than the decision and runs no longer than a
# single or multi-trip permit may (else 补正); class I needs its axle loads within Art. 17, and rules
# refuse the highway review on Art. 17's axle loads; the police countersign runs in parallel with the
# reviews; an en-route province's review has Art. 16's limit for the class. Cases started before keep
# the earlier rules on replay.
REVIEWED_PERMIT_RULES = "reviewed-permit-rules"
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
        self.supplement_is_a_limit = False  # decided at the start of `run`
        self.reviewed_rules = False  # likewise (REVIEWED_PERMIT_RULES)

    @workflow.run
    async def run(self, submission: OversizeSubmission) -> CaseStatus:
        book = self.case.book
        self.submission = submission
        effects.begin(book)  # before any other patch: under it, the earlier ones hold without markers
        self.supplement_is_a_limit = effects.patched(book, SUPPLEMENT_LIMIT_FROM_START)
        self.reviewed_rules = effects.patched(book, REVIEWED_PERMIT_RULES)
        received_at = await intake.receive(self.case, region=submission.origin_province)

        accepted = await self._accept(submission, received_at)
        if accepted is None:
            return await evaluation.after_close(self.case)
        submission, facts, assessment, problems = accepted
        limits = self.case.limits
        assert limits is not None and assessment.permit_class is not None

        countersign = countersign_task(submission, assessment.permit_class)
        alongside: list[TaskSpec] = []
        if self.reviewed_rules:
            # 并联审批: the police countersign opens beside the reviews, each answer stored, one
            # decision; so does class III's on-site check (勘验), unless a credit commitment replaces it.
            check, why = inspection(submission, assessment.permit_class, facts)
            book.reasons = book.reasons + why
            if check is None and submission.credit_commitment is not None and why:
                book.commitment_carrier = submission.carrier_code  # the commitment stood in for 勘验
            alongside = [spec for spec in (check, countersign) if spec is not None]
        if not await self._review(submission, facts, assessment, problems, limits, alongside):
            return await decision.withdrawn(self.case)
        if refused := review.refusals(book):
            return await decision.refuse(self.case, refused)

        if countersign is not None and not self.reviewed_rules:  # cases started before: after the review
            if not await review.review_stage(
                self.case, Stage.COUNTERSIGN, [countersign], {countersign.task_id: limits.countersign_task}
            ):
                return await decision.withdrawn(self.case)
            if refused := review.refusals(book):
                return await decision.refuse(self.case, refused)

        validity = None
        if self.reviewed_rules:
            validity = permit_validity(submission, local_date(workflow.now()))
            if validity is None:
                return await decision.refuse(self.case, [window_passed(submission)])
        book.conditions = [c for t in book.tasks.values() for c in t.conditions]
        return await decision.approve(
            self.case,
            [
                permit_grant(
                    book.case_id, submission, facts, assessment.permit_class, book.conditions, validity
                )
            ],
            decision.decided(self.case, "准予许可", conditions=book.conditions),
        )

    # --- acceptance (受理) --------------------------------------------------------------------------

    async def _accept(
        self, submission: OversizeSubmission, received_at: datetime
    ) -> tuple[OversizeSubmission, RegistryFacts, Assessment, list[Problem]] | None:
        """Pre-fill, assess and decide acceptance; at most one 补正 round (行政许可法 Art. 32)."""
        book = self.case.book
        supplemented = False
        while True:
            permits = VehicleLicenceQuery(
                matter=MATTER,
                plates=permit_plates(submission),
                valid_from=submission.travel_from,
                valid_to=submission.travel_to,
            )
            looked_up = PrefillInput(
                carrier_code=submission.carrier_code,
                tractor_plate=submission.tractor_plate,
                trailer_plate=submission.trailer_plate,
                driver_qualification=submission.driver_qualification,
            )
            held: list[VehicleLicence] | None = None
            if book.counts_once:
                # With the registries, the permits held and the dues of every limit the case may
                # have, counted from today (effects.COUNT_ONCE_A_DAY): acceptance asks no more.
                dues = effects.counts_to_ask(
                    workflow.now(), effects.with_warnings(limit_days_of_any_class(submission))
                )
                found = await intake.prefill(
                    self.case,
                    prefill_with_permits,
                    PrefillWithPermitsInput(**looked_up.model_dump(), permits=permits, dues=dues),
                )
                facts, held = found.facts, found.held
                effects.keep_counts(book, dues.start, found.dues)
            else:
                facts = await intake.prefill(self.case, prefill_registries, looked_up)
            today = local_date(workflow.now())
            assessment = assess(
                submission.request,
                carrier_standing(facts),
                today,
                axle_loads_in_class_i=self.reviewed_rules,
            )
            problems = registry_problems(submission, facts, today)
            repeated: list[str] = []
            if self.reviewed_rules:
                # A window that cannot be a validity is named for 补正; a valid permit for the same
                # vehicle and route makes the application not accepted (同一车辆重复办证).
                problems = problems + admission_problems(submission, today)
                if held is None:
                    held = await effects.run_local(
                        book, licences_for_vehicles, permits, "permits the vehicle holds (同一车辆重复办证)"
                    )
                if book.per_task:
                    # The case's own permit is no repeat: a try of this workflow task that issued it
                    # and never completed (a worker killed) leaves it in the store for the next try.
                    held = [licence for licence in held if licence.case_id != book.case_id]
                repeated = repeated_permit_reasons(submission, held)
            admission = acceptance(submission, assessment, problems, repeated)
            if assessment.permit_class is not None:
                book.permit_class = assessment.permit_class.value
                limits = oversize_limits(
                    assessment.permit_class,
                    submission.request.cross_province,
                    en_route_by_class=self.reviewed_rules,
                )
                await intake.start_promised_clock(self.case, limits, received_at)
            if not await intake.enter_acceptance(self.case):
                return None
            if admission.verdict is Verdict.ACCEPT:
                book.problems = []
                book.reasons = admission.reasons
                await intake.accept(self.case)
                return submission, facts, assessment, problems
            if admission.verdict is Verdict.NOT_ACCEPT:
                await intake.not_accept(self.case, admission.reasons)
                return None
            if supplemented:  # one 补正 round only (SUPPLEMENT_ROUNDS)
                await intake.not_accept(self.case, acceptance_after_supplement(admission))
                return None
            # The reply limit is one of the case's limits (provisional mark, recounts); cases started
            # before SUPPLEMENT_DUE_IS_A_LIMIT keep a plain due, as they did.
            follows = self.supplement_is_a_limit or effects.patched(book, SUPPLEMENT_DUE_IS_A_LIMIT)
            supplement = await intake.ask_for_supplement(
                self.case, admission.missing, admission.reasons, follows
            )
            if supplement is None:
                return None
            submission = apply_supplement(submission, supplement)
            self.submission = submission
            supplemented = True

    # --- parallel review (并联审核) ------------------------------------------------------------------

    async def _review(
        self,
        submission: OversizeSubmission,
        facts: RegistryFacts,
        assessment: Assessment,
        problems: list[Problem],
        limits: CaseLimits,
        alongside: list[TaskSpec],
    ) -> bool:
        """并联审核: every department at once (with the police countersign in `alongside`); 智能审批
        answers for the highway authority when it may: approves, or refuses on Art. 17's axle loads."""
        specs = review_tasks(submission) + alongside
        approved, reasons = auto_approval(submission, assessment, facts, problems)
        self.case.book.reasons = self.case.book.reasons + reasons
        by_rules = []
        if approved:
            by_rules = [
                Opinion(task_id="review:highway", department=HIGHWAY, approve=True, reason="；".join(reasons))
            ]
        elif self.reviewed_rules and assessment.refusals:  # 不予许可 by the numbers of Art. 17
            by_rules = [
                Opinion(
                    task_id="review:highway",
                    department=HIGHWAY,
                    approve=False,
                    reason="；".join(assessment.refusals),
                )
            ]
        limit_of = {spec.task_id: task_limit(spec, limits) for spec in specs}
        return await review.review_stage(self.case, Stage.REVIEW, specs, limit_of, by_rules=by_rules)

    # --- the 补正 message (this matter's own) ------------------------------------------------------

    @workflow.update
    async def supplement(self, supplement: OversizeSupplement) -> CaseStatus:
        return await intake.take_supplement(self.case, supplement)

    @supplement.validator
    def _validate_supplement(self, supplement: OversizeSupplement) -> None:
        intake.check_supplement(
            self.case,
            self.submission,
            supplement,
            apply_supplement,
            "materials: a supplement must add a material or correct a field",
        )
