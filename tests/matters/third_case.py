"""A third matter, for the tests only: 道路运输证换发 (renewing one truck's 道路运输证), kept tiny.

It exists to show what a matter costs: this domain module, a workflow built only from the shared
steps (third_workflow.py), a pre-fill activity (third_prefill.py) and one registry entry
(test_third_matter.py). Not a real procedure: its rules are just enough to take every shared step.
Pure, like every domain module: safe inside the workflow sandbox.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict

from domain.case import SubmissionId, TaskSpec, check_credit_code, check_plate
from domain.limits import CaseLimits

MATTER: Final = "truck-certificate-renewal"
MATTER_NAME: Final = "道路运输证换发（测试）"
DEPARTMENT: Final = "highway"
RENEWAL_TASK: Final = "review:renewal"
LICENCE_NAME: Final = "道路运输证"


class RenewalSubmission(BaseModel):
    """The portal submission: the enterprise and the truck whose certificate it renews."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    matter: Literal["truck-certificate-renewal"] = MATTER
    submission_id: SubmissionId
    credit_code: Annotated[str, AfterValidator(check_credit_code)]
    plate: Annotated[str, AfterValidator(check_plate)]

    @property
    def region(self) -> str:
        return self.credit_code[2:8]

    def summary(self) -> str:
        return f"1 辆货车 · {self.region}"


class RenewalFacts(BaseModel):
    """What the registries say (免提交): the enterprise's registered name, the truck's owner."""

    business_name: str | None
    truck_owner: str | None


def acceptance_reasons(sub: RenewalSubmission, facts: RenewalFacts) -> list[str]:
    """Why the application is not accepted (不予受理); empty: 受理."""
    reasons = []
    if facts.business_name is None:
        reasons.append("营业执照：未查询到该企业")
    if facts.truck_owner != sub.credit_code:
        reasons.append(f"车辆 {sub.plate}：行驶证所有人不是申请企业")
    return reasons


def renewal_limits() -> CaseLimits:
    return CaseLimits(statutory=5, promised=5, acceptance_stage=1, review_task=3)


def renewal_task() -> TaskSpec:
    return TaskSpec(task_id=RENEWAL_TASK, department=DEPARTMENT, kind="review", title="道路运输证换发审核")
