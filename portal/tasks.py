"""The officers' inbox (待办/已办).

GET /api/v1/tasks    officer (their department's tasks and the ones they hold), supervisor, auditor

Answers `{"items": [...], "next": cursor | null}`, sorted by due (no due last); filters `state=open|
answered` (default open), `matter`, `card`, `department` (supervisors and auditors only); `limit`
(1..200, default 50) and `cursor` (the previous page's `next`). Backed by the inbox read model
(store/inbox.py says why a read model rather than Temporal visibility). `working_days_left` counts
the working days from today (Shanghai) to the due day: 0 on the due day, negative once it passed,
None while the case clock stands (停表) or where the calendar has no notice for a year in between.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from domain.calendar import MissingCalendarYear, WorkingCalendar, local_date
from domain.case import Card
from domain.inbox import InboxTask
from portal.auth import Principal, Role
from portal.cases import ERRORS, State
from portal.errors import ApiError, forbidden
from portal.security import require
from store.inbox import MAX_PAGE, BadCursor, InboxQuery, list_tasks

router = APIRouter(prefix="/api/v1/tasks", tags=["inbox"])


class InboxItem(BaseModel):
    case_id: str
    task_id: str
    matter: str
    permit_class: str | None = Field(description="The case's permit class (大件运输), if any.")
    department: str
    kind: str = Field(description="review, countersign or rectification")
    title: str
    holder: str | None = Field(description="Who signed for it (签收) or was handed it (转办).")
    state: Literal["open", "answered"]
    answer: str | None
    opened_at: datetime
    due: datetime | None
    working_days_left: int | None
    card: str | None = Field(description="The gravest supervision card of the task, its stage or case.")
    clock_stopped: str | None

    @classmethod
    def of(cls, task: InboxTask, calendar: WorkingCalendar, now: datetime) -> InboxItem:
        return cls(
            **task.model_dump(exclude={"answered_at"}),
            working_days_left=None if task.clock_stopped else _working_days_left(calendar, now, task.due),
        )


class Inbox(BaseModel):
    items: list[InboxItem]
    next: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


@router.get("", response_model=Inbox, responses=ERRORS)
async def inbox(
    state: State,
    caller: Annotated[Principal, Depends(require(Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR))],
    task_state: Annotated[Literal["open", "answered"], Query(alias="state")] = "open",
    matter: Annotated[str | None, Query(max_length=100)] = None,
    card: Annotated[Card | None, Query()] = None,
    department: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Inbox:
    """An officer's 待办 (state=open) or 已办 (state=answered): their department's and their own."""
    if caller.role == Role.OFFICER:
        if caller.department is None:
            raise forbidden("authorization", "this officer token has no department")
        if department is not None and department != caller.department:
            raise forbidden("department", "an officer sees the tasks of their own department only")
        departments: list[str] | None = [caller.department]
        holder: str | None = caller.name
    else:
        departments, holder = ([department] if department else None), None
    query = InboxQuery(
        departments=departments,
        holder=holder,
        state=task_state,
        matter=matter,
        card=card.value if card else None,
        limit=limit,
        cursor=cursor,
    )
    deps = state.store()
    try:
        async with deps.sessions() as session:
            page = await list_tasks(session, query)
    except BadCursor as exc:
        raise ApiError(422, "cursor", str(exc)) from None
    now = datetime.now().astimezone()
    return Inbox(items=[InboxItem.of(t, deps.calendar, now) for t in page.items], next=page.next)


def _working_days_left(calendar: WorkingCalendar, now: datetime, due: datetime | None) -> int | None:
    if due is None:
        return None
    today, due_day = local_date(now), local_date(due)
    try:
        if due_day >= today:
            return calendar.working_days_between(today, due_day)
        return -calendar.working_days_between(due_day, today)
    except MissingCalendarYear:
        return None
