"""Client-side helpers for starting and addressing cases (used by the portal, the CLI and tests).

Not workflow code: nothing here runs in the sandbox.
"""

from __future__ import annotations

from typing import Any, Protocol

from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.case import CaseStatus
from workflows import search_attributes as sa
from workflows.matters import MATTERS, Matter, MatterRegistry


class CaseSubmission(Protocol):
    """What starting a case needs of any matter's submission model."""

    @property
    def matter(self) -> str: ...
    @property
    def submission_id(self) -> str: ...
    @property
    def region(self) -> str: ...  # a province or division code: the Region search attribute
    def summary(self) -> str: ...


def case_id_for(matter: str, submission_id: str) -> str:
    """The workflow id: the same submission id always names the same case, never two."""
    return f"{matter}-{submission_id}"


def summary_of(submission: CaseSubmission, matter: Matter, permit_class: str | None = None) -> str:
    """Static summary for the UI (≤ 200 bytes, no personal data): matter · [class ·] the submission's own.

    A matter with permit classes (大件运输) shows the class, "待评估" until it is known.
    """
    parts = [matter.name]
    if matter.classed:
        parts.append(f"{permit_class}类" if permit_class else "待评估")
    text = " · ".join([*parts, submission.summary()])
    return text.encode()[:200].decode(errors="ignore")


def initial_search_attributes(matter: str, region: str) -> TypedSearchAttributes:
    """Set at start, so a new case is findable at once; "none" lets officers query cases without a card."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(sa.MATTER, matter),
            SearchAttributePair(sa.REGION, region),
            SearchAttributePair(sa.STAGE, "received"),
            SearchAttributePair(sa.CARD, "none"),
        ]
    )


async def start_case(
    client: Client, submission: CaseSubmission, task_queue: str, matters: MatterRegistry = MATTERS
) -> tuple[WorkflowHandle[Any, CaseStatus], bool]:
    """Start the case for a submission of any matter in `matters`, or find the one already started;
    (handle, created)."""
    matter = matters[submission.matter]
    workflow_class = matter.workflow
    case_id = case_id_for(submission.matter, submission.submission_id)
    try:
        handle: WorkflowHandle[Any, CaseStatus] = await client.start_workflow(
            workflow_class.run,
            submission,
            id=case_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=summary_of(submission, matter),
            search_attributes=initial_search_attributes(submission.matter, submission.region),
        )
        return handle, True
    except WorkflowAlreadyStartedError:
        return client.get_workflow_handle_for(workflow_class.run, case_id), False
