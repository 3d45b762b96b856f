"""The third matter's workflow, told only with the shared steps (workflows/case/).

received → pre-fill → acceptance (受理 / 不予受理) → one review task → decision → e-licence → 办结 → 好差评.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.calendar import local_date
    from domain.case import CaseStatus, Stage
    from domain.licence import LicenceGrant
    from tests.matters.third_case import (
        DEPARTMENT,
        LICENCE_NAME,
        MATTER,
        RENEWAL_TASK,
        RenewalSubmission,
        acceptance_reasons,
        renewal_limits,
        renewal_task,
    )
    from tests.matters.third_prefill import RenewalPrefillInput, prefill_renewal
    from workflows.case import decision, evaluation, intake, review
    from workflows.case.messages import CaseWorkflow


@workflow.defn(name="TruckCertificateRenewalCase")
class TruckCertificateRenewalCase(CaseWorkflow):
    """One 道路运输证换发 case (tests only). Input: `RenewalSubmission`; returns the final `CaseStatus`.

    Messages: those every case takes (workflows/case/messages.py); no 补正.
    """

    def __init__(self) -> None:
        super().__init__(MATTER, DEPARTMENT)

    @workflow.run
    async def run(self, submission: RenewalSubmission) -> CaseStatus:
        received_at = await intake.receive(self.case, region=submission.region)
        limits = renewal_limits()
        await intake.start_promised_clock(self.case, limits, received_at)
        facts = await intake.prefill(
            self.case,
            prefill_renewal,
            RenewalPrefillInput(credit_code=submission.credit_code, plate=submission.plate),
        )
        if not await intake.enter_acceptance(self.case):
            return await evaluation.after_close(self.case)
        if reasons := acceptance_reasons(submission, facts):
            await intake.not_accept(self.case, reasons)
            return await evaluation.after_close(self.case)
        await intake.accept(self.case)
        if not await review.review_stage(
            self.case, Stage.REVIEW, [renewal_task()], {RENEWAL_TASK: limits.review_task}
        ):
            return await decision.withdrawn(self.case)
        if refused := review.refusals(self.case.book):
            return await decision.refuse(self.case, refused)
        assert facts.business_name is not None  # accepted: the enterprise was found
        today = local_date(workflow.now())
        licence = LicenceGrant(
            case_id=self.case.book.case_id,
            licence_key=f"certificate:{submission.plate}",
            matter=MATTER,
            type_name=LICENCE_NAME,
            holder=facts.business_name,
            holder_code=submission.credit_code,
            valid_from=today,
            valid_to=today + timedelta(days=4 * 365),
            particulars={"plate": submission.plate},
        )
        return await decision.approve(self.case, [licence], decision.decided(self.case, "准予许可"))
