"""Client-side helpers for starting and addressing cases (used by the portal, the CLI and tests).

Not workflow code: nothing here runs in the sandbox.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import date
from typing import Any, Final, Protocol

from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.calendar import WorkingCalendar, calendar_outlook
from domain.case import CaseStatus, RecountDues
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
    def model_dump_json(self) -> str: ...


# The memo key of the first submission's digest: a repeat with another body is a conflict, not the
# same case. In the memo, which the payload codec encrypts, never in a search attribute.
SUBMISSION_DIGEST_MEMO: Final = "submission_sha256"


class SubmissionConflict(Exception):
    """The submission id names a case started from another body (a retry must resend the same one)."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"case {case_id} was submitted with another body under this submission_id")
        self.case_id = case_id


def submission_digest(submission: CaseSubmission) -> str:
    """SHA-256 of the validated submission as its model writes it: two bodies that validate to the same
    submission (key order, spacing, a plate written 湘A·d1234 or 湘AD1234) are the same submission."""
    return hashlib.sha256(submission.model_dump_json().encode("utf-8")).hexdigest()


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
    (handle, created). Raises SubmissionConflict when the case was started from another body."""
    matter = matters[submission.matter]
    workflow_class = matter.workflow
    case_id = case_id_for(submission.matter, submission.submission_id)
    digest = submission_digest(submission)
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
            memo={SUBMISSION_DIGEST_MEMO: digest},
        )
        return handle, True
    except WorkflowAlreadyStartedError:
        handle = client.get_workflow_handle_for(workflow_class.run, case_id)
    await _same_submission(handle, digest)
    return handle, False


async def started_case(
    client: Client, submission: CaseSubmission, matters: MatterRegistry = MATTERS
) -> WorkflowHandle[Any, CaseStatus] | None:
    """The case already started for this submission, or None; SubmissionConflict when it was started
    from another body. For a resend the portal would now refuse: the case it made on the day of
    receipt stands, whatever today's admission check says."""
    matter = matters[submission.matter]
    case_id = case_id_for(submission.matter, submission.submission_id)
    handle = client.get_workflow_handle_for(matter.workflow.run, case_id)
    try:
        await _same_submission(handle, submission_digest(submission))
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    return handle


async def _same_submission(handle: WorkflowHandle[Any, CaseStatus], digest: str) -> None:
    first = await (await handle.describe()).memo_value(SUBMISSION_DIGEST_MEMO, None)
    # A case started before digests were kept has none: it is taken to be the same submission.
    if isinstance(first, str) and not hmac.compare_digest(first, digest):
        raise SubmissionConflict(handle.id)


# --- the calendar: warnings before a year runs out of notices, recounts when one arrives ---------------

OPEN_PROVISIONAL_QUERY: Final = f'{sa.DUES_PROVISIONAL.name} = true AND ExecutionStatus = "Running"'


async def open_provisional_cases(client: Client) -> int | None:
    """Open cases whose dues go through a provisional year (visibility); None where it cannot be asked."""
    try:
        return (await client.count_workflows(OPEN_PROVISIONAL_QUERY)).count
    except RPCError:  # the time-skipping test server has no visibility; a cluster may be unreachable
        return None


async def calendar_warnings(client: Client | None, calendar: WorkingCalendar, today: date) -> list[str]:
    """What start-up logs and banners say about this year's and (from 1 November) next year's notice."""
    outlook = calendar_outlook(calendar, today)
    if not outlook:
        return []
    open_cases = await open_provisional_cases(client) if client is not None else None
    return [year.message(open_cases) for year in outlook]


RECOUNT_SIGNAL: Final = "recount_dues"  # CaseWorkflow.recount_dues, every matter's
SIGNAL_BATCH: Final = 50  # signals in flight at once while fanning out a recount


async def recount_open_cases(
    client: Client, year: int, source: str | None, case_ids: list[str] | None = None
) -> dict[str, int]:
    """Ask every open case with provisional dues (or `case_ids`) to count its dues again (时限重算).

    The cases are found through visibility (`OPEN_PROVISIONAL_QUERY`); a case that ended meanwhile is
    counted as `not_running`. Idempotent: a case whose dues do not change writes nothing.
    """
    if case_ids is None:
        case_ids = [execution.id async for execution in client.list_workflows(OPEN_PROVISIONAL_QUERY)]
    message = RecountDues(year=year, source=source)

    async def signal(case_id: str) -> bool:
        try:
            await client.get_workflow_handle(case_id).signal(RECOUNT_SIGNAL, message)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True

    signalled = 0
    for i in range(0, len(case_ids), SIGNAL_BATCH):
        sent = await asyncio.gather(*(signal(c) for c in case_ids[i : i + SIGNAL_BATCH]))
        signalled += sum(sent)
    return {"signalled": signalled, "not_running": len(case_ids) - signalled}
