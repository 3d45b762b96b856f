"""高效办成开办运输企业一件事: one submission, the road freight operating licence and each truck's 道路运输证.

received → pre-fill (营业执照, each truck's 行驶证, each driver's 从业资格证, in parallel) → acceptance
(受理 / 补正 once, with the clock stopped / 不予受理) → review: the licence and one task per truck that
needs a certificate, all open at once and answered independently → decision, per truck → e-seal and
e-licences (the licence, then each certificate, each its own identifier) → 归集, notice → 办结 → 好差评.

Everything but the matter's rules (domain.open_business_case) is a shared step (workflows/case/).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.prefill_business import BusinessPrefillInput, prefill_business
    from domain.calendar import local_date
    from domain.case import CaseStatus, Stage
    from domain.open_business_case import (
        DEPARTMENT,
        EARLIER_DEPARTMENT,
        MATTER,
        OPERATING_LICENCE_TASK,
        OpenBusinessSubmission,
        OpenBusinessSupplement,
        acceptance,
        acceptance_after_supplement,
        apply_supplement,
        decide,
        licence_grants,
        open_business_limits,
        review_tasks,
        task_limit,
    )
    from workflows.case import decision, effects, evaluation, intake, review
    from workflows.case.messages import CaseWorkflow

# Patch id: the road-transport authority (道路运输管理机构) answers as `road_transport`, not `highway`.
ROAD_TRANSPORT_DEPARTMENT = "road-transport-department"
# Patch id: the matter's rules as a reviewer reads them (one marker for the set, decided at the start):
# the statutory limit is 20 working days from 受理 (条例 Art. 24), the promise 5; the 4,500 kg exemption
# covers ordinary freight vehicles doing ordinary freight only; what the applicant can fix is named
# once for 补正 instead of 不予受理. Cases started before keep the earlier rules on replay.
REVIEWED_BUSINESS_RULES = "reviewed-business-rules"


@workflow.defn(name="OpenTransportBusinessCase")
class OpenTransportBusinessCase(CaseWorkflow):
    """One 开办运输企业 case, from portal submission to 办结 and its evaluation.

    Input: `OpenBusinessSubmission`. Returns the final `CaseStatus`: the outcome, the reasons (each
    refused certificate, each truck that needs none), the licence ids (the operating licence first,
    then one 道路运输证 per truck granted).

    Messages (updates are validated: a rejected one leaves no event in the history):
    - `submit_opinion(Opinion)`: the road transport authority answers `review:operating_licence` or
      a `review:certificate:<plate>` task, in any order.
    - `supplement(OpenBusinessSupplement)`: the applicant answers the 补正 notice (trucks or drivers
      corrected) while it is open.
    - `withdraw(Withdrawal)`: the applicant withdraws (撤回) before the decision.
    - `stop_clock(ClockStop)` / `resume_clock(ClockResume)`: 停表/复表 during review.
    - `rate(Rating)`, then for a bad rating `reply_to_rating` and `record_return_visit`.
    - `claim_task` (签收), `transfer_task` (转办), `urge_task` (督办), as every matter (case/messages.py).
    - query `status() -> CaseStatus`.
    One 补正 round for what the applicant can fix (domain.open_business_case.acceptance).

    Supervision as in every matter: the promised limit from receipt, the statutory one from 受理, each
    task and the review stage with their own limits; 催办 and cards to the ledger and the Card attribute.
    """

    def __init__(self) -> None:
        super().__init__(MATTER, DEPARTMENT)
        self.submission: OpenBusinessSubmission | None = None
        self.reviewed_rules = False  # decided at the start of `run` (REVIEWED_BUSINESS_RULES)

    @workflow.run
    async def run(self, submission: OpenBusinessSubmission) -> CaseStatus:
        book = self.case.book
        self.submission = submission
        effects.begin(book)  # before any other patch: under it, the earlier ones hold without markers
        if not effects.patched(book, ROAD_TRANSPORT_DEPARTMENT):
            self.case.department = EARLIER_DEPARTMENT  # started before the authority had its own department
        self.reviewed_rules = effects.patched(book, REVIEWED_BUSINESS_RULES)
        received_at = await intake.receive(self.case, region=submission.region)
        limits = open_business_limits(statutory_from_the_regulation=self.reviewed_rules)
        await intake.start_promised_clock(self.case, limits, received_at)

        supplemented = False
        while True:
            facts = await intake.prefill(
                self.case,
                prefill_business,
                BusinessPrefillInput(
                    credit_code=submission.credit_code,
                    plates=submission.trucks,
                    qualifications=submission.drivers,
                ),
            )
            accepted = acceptance(
                submission, facts, local_date(workflow.now()), ordinary_freight_only=self.reviewed_rules
            )
            if not await intake.enter_acceptance(self.case):
                return await evaluation.after_close(self.case)
            if accepted.accepted:
                break
            if self.reviewed_rules and accepted.fixable and not supplemented:  # 补正, once
                answer = await intake.ask_for_supplement(self.case, accepted.problems, accepted.reasons)
                if answer is None:
                    return await evaluation.after_close(self.case)
                submission = self.submission = apply_supplement(submission, answer)
                supplemented = True
                continue
            book.problems = accepted.problems
            reasons = acceptance_after_supplement(accepted) if supplemented else accepted.reasons
            await intake.not_accept(self.case, reasons)
            return await evaluation.after_close(self.case)
        book.problems = []
        await intake.accept(self.case)

        specs = review_tasks(accepted, self.case.department)
        limit_of = {spec.task_id: task_limit(spec, limits) for spec in specs}
        # Only the licence's refusal ends the review early: a refused certificate leaves the others open.
        if not await review.review_stage(
            self.case, Stage.REVIEW, specs, limit_of, blocking=[OPERATING_LICENCE_TASK]
        ):
            return await decision.withdrawn(self.case)

        ruling = decide(accepted, book.tasks)
        book.reasons = ruling.reasons
        if not ruling.approved:
            return await decision.refuse(self.case, ruling.reasons)
        return await decision.approve(
            self.case,
            licence_grants(book.case_id, submission, facts, ruling, local_date(workflow.now())),
            decision.decided(self.case, "准予许可", **ruling.ledger_parts()),
        )

    # --- the 补正 message -----------------------------------------------------------------------

    @workflow.update
    async def supplement(self, supplement: OpenBusinessSupplement) -> CaseStatus:
        return await intake.take_supplement(self.case, supplement)

    @supplement.validator
    def _validate_supplement(self, supplement: OpenBusinessSupplement) -> None:
        intake.check_supplement(
            self.case,
            self.submission,
            supplement,
            apply_supplement,
            "trucks: a supplement must correct the trucks or drivers, or add a material",
        )
