"""Case endpoints: portal submissions, status, officers' opinions, the applicant's 补正 and 撤回.

POST /api/v1/cases                          portal      submit (idempotent per submission_id)
GET  /api/v1/cases/{case_id}                applicant of the case, officer, supervisor, auditor
POST /api/v1/cases/{case_id}/opinions       officer     answer an open task of one's department
POST /api/v1/cases/{case_id}/supplements    applicant   answer a 补正 notice
POST /api/v1/cases/{case_id}/withdrawal     applicant   撤回

The other case messages (停表/复表, 好差评 and its 整改 and 回访, 签收/转办/督办) are in portal/actions.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, ValidationError

from domain.calendar import local_date
from domain.case import (
    CaseStatus,
    FreeText,
    Opinion,
    Outcome,
    Problem,
    ShortText,
    Stage,
    Task,
    Withdrawal,
    hidden_in_document,
)
from portal import gateway
from portal.auth import Principal, Role
from portal.errors import ApiError, forbidden, invalid
from portal.messages import OPINION_UPDATE, SUPPLEMENT_UPDATE, WITHDRAW_UPDATE
from portal.security import require
from portal.state import PortalState, portal_state
from workflows.client import SubmissionConflict
from workflows.matters import Matter, MatterRegistry

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])

CaseId = Annotated[str, Path(min_length=1, max_length=200, description="`<matter>-<submission_id>`")]
State = Annotated[PortalState, Depends(portal_state)]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no bearer token, or an unknown one"},
    403: {"description": "the token's role, department or case does not allow this"},
    404: {"description": "no such case"},
    409: {"description": "the case is not in a state that accepts this"},
    413: {"description": "the body is over the size limit"},
    422: {"description": "bad input: every bad field, `{detail: [{field, message}]}`"},
}


class Submitted(BaseModel):
    case_id: str
    applicant_token: str = Field(description="Bearer token of the applicant for this case only.")
    status_url: str


class TaskView(BaseModel):
    task_id: str
    department: str
    kind: str
    title: str
    due: datetime | None
    holder: str | None = Field(
        default=None, description="The officer who signed for it (签收) or was handed it."
    )

    @classmethod
    def of(cls, task: Task) -> TaskView:
        return cls(
            task_id=task.task_id,
            department=task.department,
            kind=task.kind,
            title=task.title,
            due=task.due,
            holder=task.holder,
        )


class CaseView(BaseModel):
    """The case as the status query tells it."""

    case_id: str
    matter: str
    stage: Stage
    outcome: Outcome | None
    permit_class: str | None
    due: datetime | None
    card: str | None
    open_tasks: list[TaskView]
    licence_ids: list[str]
    problems: list[Problem] = Field(description="What a 补正 asks the applicant to fix, by field.")
    reasons: list[str]
    conditions: list[str]
    clock_stopped: str | None = Field(default=None, description="The reason while the clock stands (停表).")
    rating: int | None = None
    rating_open: bool = Field(default=False, description="The applicant may rate now (好差评).")
    rectification: TaskView | None = Field(default=None, description="整改 after a bad rating.")
    rectification_replied: bool = False
    dues_provisional: bool = Field(
        False,
        description="A due was counted through a year without a State Council holiday notice (statutory "
        "holidays only): it may move when the notice arrives.",
    )

    @classmethod
    def of(cls, status: CaseStatus) -> CaseView:
        return cls(
            case_id=status.case_id,
            matter=status.matter,
            stage=status.stage,
            outcome=status.outcome,
            permit_class=status.permit_class,
            due=status.due,
            card=status.card,
            open_tasks=[TaskView.of(t) for t in status.open_tasks],
            licence_ids=status.licence_ids,
            problems=status.problems,
            reasons=status.reasons,
            conditions=status.conditions,
            clock_stopped=status.clock_stopped,
            rating=status.rating,
            rating_open=status.rating_open,
            rectification=TaskView.of(status.rectification) if status.rectification else None,
            rectification_replied=bool(status.rectification and status.rectification.answered),
            dues_provisional=status.dues_provisional,
        )


class OpinionIn(BaseModel):
    """An officer's answer; the department is the officer's token's, never the body's."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    task_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    approve: StrictBool
    reason: FreeText | None = None
    conditions: list[ShortText] = Field(default_factory=list, max_length=20)


def document_bodies(schema: dict[str, Any], matters: MatterRegistry) -> None:
    """Document the bodies `submit` and `supplement` parse themselves, picking the model by matter:
    the matters' models as the request bodies, and their schemas as components."""
    bodies: dict[Callable[..., Any], list[type[BaseModel]]] = {
        submit: [m.submission for m in matters],
        supplement: [m.supplement for m in matters if m.supplement is not None],
    }
    for route in router.routes:
        if not isinstance(route, APIRoute) or not (models := bodies.get(route.endpoint)):
            continue
        refs = [{"$ref": f"#/components/schemas/{m.__name__}"} for m in dict.fromkeys(models)]
        body = refs[0] if len(refs) == 1 else {"oneOf": refs}
        for method in route.methods or ():
            operation = schema["paths"][route.path_format][method.lower()]
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in dict.fromkeys(model for models in bodies.values() for model in models):
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in model_schema.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components.setdefault(model.__name__, model_schema)


@router.post(
    "",
    status_code=202,
    response_model=Submitted,
    summary="Submit an application (idempotent per submission_id)",
    responses={
        **ERRORS,
        200: {"model": Submitted, "description": "the same submission_id and body again: the same case"},
        409: {"description": "the submission_id was used for another body (`submission_id`)"},
    },
)
async def submit(
    request: Request,
    response: Response,
    state: State,
    principal: Annotated[Principal, Depends(require(Role.PORTAL))],
) -> Submitted:
    """A portal submission; `matter` selects its schema. A new case answers 202, a repeat of the same
    body 200 (the same case), the same submission_id with another body 409."""
    submission = _parse_submission(await request.body(), state.matters)
    try:
        if problems := _admission_problems(submission, state.matters):
            # A resend after the day it was admitted (its travel window may have started since) is
            # still the case made then: only a submission no case was made for is refused.
            existing = await gateway.started(state.temporal(), submission, state.matters)
            if existing is None:
                raise _refused(problems)
            handle, created = existing, False
        else:
            handle, created = await gateway.start(
                state.temporal(), submission, state.task_queue, state.matters
            )
    except SubmissionConflict as conflict:
        request.state.case_id = conflict.case_id
        raise ApiError(
            409, "submission_id", "already used for another submission; resend the same body or use a new id"
        ) from None
    request.state.case_id = handle.id
    response.status_code = 202 if created else 200
    return Submitted(
        case_id=handle.id,
        applicant_token=state.applicants.token_for(handle.id),
        status_url=str(request.app.url_path_for("case_status", case_id=handle.id)),
    )


@router.get("/{case_id}", name="case_status", response_model=CaseView, responses=ERRORS)
async def status(
    case_id: CaseId,
    state: State,
    principal: Annotated[
        Principal, Depends(require(Role.APPLICANT, Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR))
    ],
) -> CaseView:
    known_matter(case_id, state)
    return CaseView.of(await gateway.case_status(state.temporal(), case_id))


@router.post("/{case_id}/opinions", response_model=CaseView, responses=ERRORS)
async def submit_opinion(
    case_id: CaseId,
    body: OpinionIn,
    state: State,
    officer: Annotated[Principal, Depends(require(Role.OFFICER))],
) -> CaseView:
    """Answer an open task of the officer's department (审核/会签意见). A refusal needs a reason."""
    if not body.approve and not body.reason:
        raise ApiError(422, "reason", "a refusal must give its reason")
    department = officer.department
    if department is None:  # the tokens file gives every officer a department; never trust a gap
        raise forbidden("authorization", "this officer token has no department")
    known_matter(case_id, state)
    client = state.temporal()
    # Classify first, from the status, so a wrong department is a 403 and not the validator's 409.
    current = await gateway.case_status(client, case_id)
    task = next((t for t in current.open_tasks if t.task_id == body.task_id), None)
    if task is None:
        raise ApiError(409, "task_id", f"no open task {body.task_id!r} in this case")
    if task.department != department:
        raise forbidden("department", f"task {body.task_id!r} belongs to {task.department}")
    opinion = Opinion(
        task_id=body.task_id,
        department=department,
        approve=body.approve,
        reason=body.reason,
        conditions=body.conditions,
        officer=officer.name,
    )
    return CaseView.of(await gateway.execute_update(client, case_id, OPINION_UPDATE, opinion))


@router.post(
    "/{case_id}/supplements",
    response_model=CaseView,
    responses=ERRORS,
)
async def supplement(
    case_id: CaseId,
    request: Request,
    state: State,
    applicant: Annotated[Principal, Depends(require(Role.APPLICANT))],
) -> CaseView:
    """The applicant's answer to a 补正 notice; 409 when no 补正 is open (or the matter has none)."""
    matter = known_matter(case_id, state)
    if matter.supplement is None:
        raise ApiError(409, "stage", f"{matter.key} has no 补正 (supplement) round")
    raw = await request.body()
    _refuse_hidden_characters(_json_object(raw))
    try:
        answer = matter.supplement.model_validate_json(raw, strict=True)
    except ValidationError as error:
        raise invalid(error) from None
    return CaseView.of(await gateway.execute_update(state.temporal(), case_id, SUPPLEMENT_UPDATE, answer))


@router.post("/{case_id}/withdrawal", response_model=CaseView, responses=ERRORS)
async def withdraw(
    case_id: CaseId,
    state: State,
    applicant: Annotated[Principal, Depends(require(Role.APPLICANT))],
    withdrawal: Annotated[Withdrawal | None, Body()] = None,
) -> CaseView:
    """撤回 before the decision; 409 once decided or already withdrawn."""
    known_matter(case_id, state)
    update = withdrawal or Withdrawal()
    return CaseView.of(await gateway.execute_update(state.temporal(), case_id, WITHDRAW_UPDATE, update))


def known_matter(case_id: str, state: PortalState) -> Matter:
    matter = state.matters.of_case(case_id)
    if matter is None:
        raise gateway.unknown_case(case_id)
    return matter


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(422, "body", "not valid JSON") from None
    if not isinstance(document, dict):
        raise ApiError(422, "body", "expected a JSON object")
    return document


def _admission_problems(submission: Any, matters: MatterRegistry) -> list[Problem]:
    """What the matter refuses on the day of receipt (Shanghai), as a model cannot: each names a field."""
    admission = matters[submission.matter].admission
    if admission is None:
        return []
    return list(admission(submission, local_date(datetime.now(UTC))))


def _refused(problems: list[Problem]) -> ApiError:
    error = ApiError(422, problems[0].field, problems[0].message)
    error.problems = [{"field": p.field, "message": p.message} for p in problems]
    return error


def _refuse_hidden_characters(document: dict[str, Any]) -> None:
    """422 naming every field with a control or format character, whatever the matter's model: names
    and free text of every matter, one check."""
    try:
        hidden = hidden_in_document(document)
    except RecursionError:
        raise ApiError(422, "body", "nested too deeply") from None
    if hidden:
        error = ApiError(422, "body", "invalid")
        error.problems = [
            {"field": field, "message": f"contains a control or format character ({character})"}
            for field, character in hidden
        ]
        raise error


def _parse_submission(raw: bytes, matters: MatterRegistry) -> Any:
    """The submission in the model of its `matter`: any matter's model is a `CaseSubmission`."""
    document = _json_object(raw)
    name = document.get("matter")
    known = ", ".join(matters.keys())
    if name is None:
        raise ApiError(422, "matter", f"Field required: one of {known}")
    matter = matters.get(name) if isinstance(name, str) else None
    if matter is None:
        shown = name[:50] if isinstance(name, str) else name
        raise ApiError(422, "matter", f"unknown matter {shown!r}; expected one of {known}")
    _refuse_hidden_characters(document)
    try:
        # Strict: no "true" for true or "5" for 5; JSON mode still reads dates from ISO strings.
        return matter.submission.model_validate_json(raw, strict=True)
    except ValidationError as error:
        raise invalid(error) from None
