"""The third matter's workflow, told only with the shared steps (workflows/case_base.py, steps.py).

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
    from workflows import steps
    from workflows.case_base import CaseWorkflow


@workflow.defn(name="TruckCertificateRenewalCase")
class TruckCertificateRenewalCase(CaseWorkflow):
    """One 道路运输证换发 case (tests only). Input: `RenewalSubmission`; returns the final `CaseStatus`.

    Messages: those every case takes (case_base.CaseWorkflow); no 补正.
    """

    def __init__(self) -> None:
        super().__init__(MATTER, DEPARTMENT)

    @workflow.run
    async def run(self, submission: RenewalSubmission) -> CaseStatus:
        received_at = await self.receive(region=submission.region)
        limits = renewal_limits()
        await self.start_promised_clock(limits, received_at)
        facts = await self.prefill(
            prefill_renewal, RenewalPrefillInput(credit_code=submission.credit_code, plate=submission.plate)
        )
        if not await self.enter_acceptance():
            return await self.after_close()
        if reasons := acceptance_reasons(submission, facts):
            await self.not_accept(reasons)
            return await self.after_close()
        await self.accept()
        if not await self.review_stage(Stage.REVIEW, [renewal_task()], {RENEWAL_TASK: limits.review_task}):
            return await self.withdrawn()
        if refused := steps.refusals(self.book):
            return await self.refuse(refused)
        assert facts.business_name is not None  # accepted: the enterprise was found
        today = local_date(workflow.now())
        licence = LicenceGrant(
            case_id=self.book.case_id,
            licence_key=f"certificate:{submission.plate}",
            matter=MATTER,
            type_name=LICENCE_NAME,
            holder=facts.business_name,
            holder_code=submission.credit_code,
            valid_from=today,
            valid_to=today + timedelta(days=4 * 365),
            particulars={"plate": submission.plate},
        )
        return await self.approve([licence], self.decision("准予许可"))
