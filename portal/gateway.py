"""The portal's side of a case: the status query and the updates, with Temporal's errors mapped.

Messages are addressed by name (`portal.messages`), so one gateway serves every matter's workflow.

    unknown workflow id                         → 404
    update rejected by the workflow's validator → 409, the validator's message ("task_id: …")
    update on a case that has closed            → 409
    Temporal unreachable, or no answer in time  → 503 (a submission's start too: `start`)
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from temporalio.client import (
    Client,
    RPCTimeoutOrCancelledError,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import FailureError
from temporalio.service import RPCError, RPCStatusCode

from domain.case import CaseStatus
from portal.errors import ApiError
from portal.messages import STATUS_QUERY
from workflows.client import CaseSubmission, start_case, started_case
from workflows.matters import MatterRegistry

# An HTTP caller should not wait for ever when no worker answers: a query needs a worker to run it,
# and an update waits until the workflow has accepted it.
RPC_TIMEOUT = timedelta(seconds=20)

# CANCELLED is how the SDK reports our own rpc_timeout running out ("Timeout expired"), e.g. a query
# that no worker picked up in time: not answering in time, not a refusal.
_UNAVAILABLE = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.CANCELLED,
    }
)


def unknown_case(case_id: str) -> ApiError:
    return ApiError(404, "case_id", f"no case {case_id!r}")


async def case_status(client: Client, case_id: str) -> CaseStatus:
    handle = client.get_workflow_handle(case_id)
    try:
        status: CaseStatus = await handle.query(STATUS_QUERY, result_type=CaseStatus, rpc_timeout=RPC_TIMEOUT)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise unknown_case(case_id) from None
        raise _rpc_failure(error) from error
    except WorkflowQueryFailedError as error:
        raise ApiError(500, "server", "the case could not answer the status query") from error
    except RPCTimeoutOrCancelledError as error:
        raise ApiError(503, "server", "Temporal did not answer in time") from error
    return status


async def start(
    client: Client, submission: CaseSubmission, task_queue: str, matters: MatterRegistry
) -> tuple[WorkflowHandle[Any, CaseStatus], bool]:
    """Start the submission's case (or find it, started before); 503 while Temporal is unreachable.

    The portal may retry: the case id is the submission's, so a start that did reach the server
    before the connection broke yields the same case again, never a second one.
    """
    try:
        return await start_case(client, submission, task_queue, matters)
    except RPCError as error:
        raise _rpc_failure(error) from error
    except RPCTimeoutOrCancelledError as error:
        raise ApiError(503, "server", "Temporal did not answer in time; submit again") from error


async def started(
    client: Client, submission: CaseSubmission, matters: MatterRegistry
) -> WorkflowHandle[Any, CaseStatus] | None:
    """The case already started for this submission (None: there is none); 503 as `start`."""
    try:
        return await started_case(client, submission, matters)
    except RPCError as error:
        raise _rpc_failure(error) from error
    except RPCTimeoutOrCancelledError as error:
        raise ApiError(503, "server", "Temporal did not answer in time; submit again") from error


async def execute_update(client: Client, case_id: str, update: str, argument: BaseModel) -> CaseStatus:
    """Send one update and wait for its result, the case's new status."""
    handle = client.get_workflow_handle(case_id)
    try:
        updated: CaseStatus = await handle.execute_update(
            update, argument, result_type=CaseStatus, rpc_timeout=RPC_TIMEOUT
        )
    except WorkflowUpdateFailedError as error:
        # A validator rejected it (nothing was written to the history), or the handler failed.
        cause = error.cause
        message = cause.message if isinstance(cause, FailureError) else str(cause)
        raise ApiError.from_message(409, message) from None
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            # Either no such case, or one that has completed: updates only reach running workflows.
            if await _exists(client, case_id):
                raise ApiError(409, "stage", "the case is closed") from None
            raise unknown_case(case_id) from None
        raise _rpc_failure(error) from error
    except RPCTimeoutOrCancelledError as error:
        # The update may still be applied later: the caller should read the status before retrying.
        raise ApiError(503, "server", "Temporal did not answer in time; check the case status") from error
    return updated


async def _exists(client: Client, case_id: str) -> bool:
    try:
        await client.get_workflow_handle(case_id).describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return False
        raise _rpc_failure(error) from error
    return True


def _rpc_failure(error: RPCError) -> ApiError:
    if error.status in _UNAVAILABLE:
        return ApiError(503, "server", "Temporal is not available")
    return ApiError(500, "server", "Temporal refused the call")
