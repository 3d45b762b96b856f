"""Case messages beyond opinions, supplements and withdrawal: the clock, 好差评, and the work on tasks.

POST /api/v1/cases/{case_id}/clock-stops                  officer     停表 (an open task of one's department)
POST /api/v1/cases/{case_id}/clock-resumes                officer     复表 (likewise)
POST /api/v1/cases/{case_id}/rating                       applicant   好差评, inside the window
POST /api/v1/cases/{case_id}/rectification-reply          officer     整改答复 (the responsible department)
POST /api/v1/cases/{case_id}/return-visit                 supervisor  回访 after the 整改
POST /api/v1/cases/{case_id}/tasks/{task_id}/claim        officer     签收 (the task shows its holder)
POST /api/v1/cases/{case_id}/tasks/{task_id}/transfer     officer     转办 to another officer of one's dept.
POST /api/v1/cases/{case_id}/tasks/{task_id}/urge         supervisor  督办: a ledger event, a notice

Each is one workflow update (workflows/case/messages.py); each answers the case after the action. The
department and the officer's name come from the token, never from the body. Who-may checks that need
the case (which department holds the task, whose 整改 it is) read the status first, so a wrong
department is a 403 naming `department` and not the validator's 409; the validator still has the last
word on the state (409 naming the field).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path
from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, StringConstraints
from temporalio.client import Client

from domain.case import (
    CaseStatus,
    ClockReason,
    ClockResume,
    ClockStop,
    FreeText,
    Name,
    Rating,
    RectificationReply,
    RequiredText,
    ReturnVisit,
    Task,
    TaskClaim,
    TaskTransfer,
    Urge,
)
from portal import gateway
from portal.auth import Principal, Role
from portal.cases import ERRORS, CaseId, CaseView, State, known_matter
from portal.errors import ApiError, forbidden
from portal.messages import (
    CLAIM_UPDATE,
    RATE_UPDATE,
    RECTIFICATION_REPLY_UPDATE,
    RESUME_CLOCK_UPDATE,
    RETURN_VISIT_UPDATE,
    STOP_CLOCK_UPDATE,
    TRANSFER_UPDATE,
    URGE_UPDATE,
)
from portal.security import require

router = APIRouter(prefix="/api/v1/cases", tags=["case actions"])

TaskId = Annotated[str, Path(min_length=1, max_length=100, description="e.g. `review:highway`")]
Officer = Annotated[Principal, Depends(require(Role.OFFICER))]
Supervisor = Annotated[Principal, Depends(require(Role.SUPERVISOR))]


class ClockStopIn(BaseModel):
    """停表 for 加固改造 (第62号令 Art. 15) or 专家评审 (行政许可法 Art. 45), on an open task."""

    model_config = ConfigDict(extra="forbid")

    task_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    reason: ClockReason
    note: FreeText | None = None


class ClockResumeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RatingIn(BaseModel):
    """好差评: 1 (very bad) to 5 (very good); 1 or 2 opens a 整改 for the responsible department."""

    model_config = ConfigDict(extra="forbid")

    score: StrictInt
    comment: FreeText | None = None


class RectificationReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reply: RequiredText


class ReturnVisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    satisfied: StrictBool
    note: FreeText | None = None


class TransferIn(BaseModel):
    """转办: the name of another officer of the task's department (their token's name), and why."""

    model_config = ConfigDict(extra="forbid")

    to_officer: Name
    reason: RequiredText


class UrgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: FreeText | None = None


# --- 停表 / 复表 -----------------------------------------------------------------------------------


@router.post("/{case_id}/clock-stops", response_model=CaseView, responses=ERRORS)
async def stop_clock(case_id: CaseId, body: ClockStopIn, state: State, officer: Officer) -> CaseView:
    """停表: the officer's department holds the open task `task_id`; every limit stands still."""
    department = _department(officer)
    client, current = await _current(case_id, state)
    _own_open_task(current, body.task_id, department)
    stop = ClockStop(department=department, reason=body.reason, note=body.note, officer=officer.name)
    return await _update(client, case_id, STOP_CLOCK_UPDATE, stop)


@router.post("/{case_id}/clock-resumes", response_model=CaseView, responses=ERRORS)
async def resume_clock(
    case_id: CaseId, state: State, officer: Officer, body: Annotated[ClockResumeIn | None, Body()] = None
) -> CaseView:
    """复表: every due moves by the stopped working days; by an officer of the department that stopped it."""
    department = _department(officer)
    client, current = await _current(case_id, state)
    if not any(t.department == department for t in current.open_tasks):
        raise forbidden("department", f"{department} holds no open task in this case")
    if current.clock_stopped_by not in (None, department):
        raise forbidden("department", f"the clock was stopped by {current.clock_stopped_by}: it restarts it")
    resume = ClockResume(department=department, officer=officer.name)
    return await _update(client, case_id, RESUME_CLOCK_UPDATE, resume)


# --- 好差评, 整改, 回访 --------------------------------------------------------------------------------


@router.post("/{case_id}/rating", response_model=CaseView, responses=ERRORS)
async def rate(
    case_id: CaseId,
    body: RatingIn,
    state: State,
    applicant: Annotated[Principal, Depends(require(Role.APPLICANT))],
) -> CaseView:
    """好差评 after 办结, inside the window (409 naming `stage` outside it)."""
    if not 1 <= body.score <= 5:
        raise ApiError(422, "score", "a score from 1 to 5")
    known_matter(case_id, state)
    rating = Rating(score=body.score, comment=body.comment)
    return await _update(state.temporal(), case_id, RATE_UPDATE, rating)


@router.post("/{case_id}/rectification-reply", response_model=CaseView, responses=ERRORS)
async def reply_to_rating(
    case_id: CaseId, body: RectificationReplyIn, state: State, officer: Officer
) -> CaseView:
    """整改答复: the responsible department answers the bad rating."""
    department = _department(officer)
    client, current = await _current(case_id, state)
    task = _open_rectification(current)
    if task.answered:
        raise ApiError(409, "stage", "the rectification (整改) has already been answered")
    if task.department != department:
        raise forbidden("department", f"the rectification belongs to {task.department}")
    reply = RectificationReply(department=department, reply=body.reply, officer=officer.name)
    return await _update(client, case_id, RECTIFICATION_REPLY_UPDATE, reply)


@router.post("/{case_id}/return-visit", response_model=CaseView, responses=ERRORS)
async def return_visit(
    case_id: CaseId, body: ReturnVisitIn, state: State, supervisor: Supervisor
) -> CaseView:
    """回访 after the 整改 was answered: was the applicant satisfied?"""
    client, current = await _current(case_id, state)
    task = _open_rectification(current)
    visit = ReturnVisit(
        department=task.department, satisfied=body.satisfied, note=body.note, officer=supervisor.name
    )
    return await _update(client, case_id, RETURN_VISIT_UPDATE, visit)


# --- 签收, 转办, 督办 ------------------------------------------------------------------------------


@router.post("/{case_id}/tasks/{task_id}/claim", response_model=CaseView, responses=ERRORS)
async def claim(case_id: CaseId, task_id: TaskId, state: State, officer: Officer) -> CaseView:
    """签收: the officer takes an open task of their department; the task shows them as its holder."""
    department = _department(officer)
    client, current = await _current(case_id, state)
    _own_open_task(current, task_id, department)
    claim = TaskClaim(task_id=task_id, department=department, officer=officer.name)
    return await _update(client, case_id, CLAIM_UPDATE, claim)


@router.post("/{case_id}/tasks/{task_id}/transfer", response_model=CaseView, responses=ERRORS)
async def transfer(
    case_id: CaseId, task_id: TaskId, body: TransferIn, state: State, officer: Officer
) -> CaseView:
    """转办: hand the task to another officer of the department (409 naming `holder` if someone else
    holds it)."""
    department = _department(officer)
    client, current = await _current(case_id, state)
    _own_open_task(current, task_id, department)
    if body.to_officer == officer.name:
        raise ApiError(422, "to_officer", "transfer to another officer, not to yourself")
    if body.to_officer not in state.tokens.officers(department):
        raise ApiError(422, "to_officer", f"not an officer of {department}")
    handover = TaskTransfer(
        task_id=task_id,
        department=department,
        to_officer=body.to_officer,
        reason=body.reason,
        officer=officer.name,
    )
    return await _update(client, case_id, TRANSFER_UPDATE, handover)


@router.post("/{case_id}/tasks/{task_id}/urge", response_model=CaseView, responses=ERRORS)
async def urge(
    case_id: CaseId,
    task_id: TaskId,
    state: State,
    supervisor: Supervisor,
    body: Annotated[UrgeIn | None, Body()] = None,
) -> CaseView:
    """督办: a supervisor urges an open task; 督办 in the ledger, a notice to the task's department."""
    known_matter(case_id, state)
    note = body.note if body else None
    return await _update(
        state.temporal(), case_id, URGE_UPDATE, Urge(task_id=task_id, note=note, supervisor=supervisor.name)
    )


# --- plumbing ------------------------------------------------------------------------------------------


def _department(officer: Principal) -> str:
    if officer.department is None:  # the tokens file gives every officer a department; never trust a gap
        raise forbidden("authorization", "this officer token has no department")
    return officer.department


async def _current(case_id: str, state: State) -> tuple[Client, CaseStatus]:
    known_matter(case_id, state)
    client = state.temporal()
    return client, await gateway.case_status(client, case_id)


def _own_open_task(current: CaseStatus, task_id: str, department: str) -> Task:
    task = next((t for t in current.open_tasks if t.task_id == task_id), None)
    if task is None:
        raise ApiError(409, "task_id", f"no open task {task_id!r} in this case")
    if task.department != department:
        raise forbidden("department", f"task {task_id!r} belongs to {task.department}")
    return task


def _open_rectification(current: CaseStatus) -> Task:
    if current.rectification is None:
        raise ApiError(409, "stage", "no rectification (整改) is open")
    return current.rectification


async def _update(client: Client, case_id: str, update: str, argument: BaseModel) -> CaseView:
    return CaseView.of(await gateway.execute_update(client, case_id, update, argument))
