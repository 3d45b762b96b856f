"""Client-side helpers for starting and addressing cases (used by the portal, the CLI and tests).

Not workflow code: nothing here runs in the sandbox.
"""

from __future__ import annotations

from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.case import CaseStatus
from domain.oversize_case import MATTER_NAME, OversizeSubmission
from workflows import search_attributes as sa
from workflows.oversize_transport import OversizeTransportCase


def case_id_for(matter: str, submission_id: str) -> str:
    """The workflow id: the same submission id always names the same case, never two."""
    return f"{matter}-{submission_id}"


def summary_of(submission: OversizeSubmission, permit_class: str | None = None) -> str:
    """Static summary for the UI (≤ 200 bytes, no personal data): matter · class · origin → destination."""
    cls = f"{permit_class}类" if permit_class else "待评估"
    text = f"{MATTER_NAME} · {cls} · {submission.summary()}"
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
    client: Client, submission: OversizeSubmission, task_queue: str
) -> tuple[WorkflowHandle[OversizeTransportCase, CaseStatus], bool]:
    """Start the case for a submission, or find the one already started; returns (handle, created)."""
    case_id = case_id_for(submission.matter, submission.submission_id)
    try:
        handle = await client.start_workflow(
            OversizeTransportCase.run,
            submission,
            id=case_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=summary_of(submission),
            search_attributes=initial_search_attributes(submission.matter, submission.origin_province),
        )
        return handle, True
    except WorkflowAlreadyStartedError:
        return client.get_workflow_handle_for(OversizeTransportCase.run, case_id), False
