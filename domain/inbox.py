"""The officers' inbox (待办/已办) as a fold over one case's supervision events.

The inbox is a projection of the ledger: what tasks a case has, who holds them, when they are due and
which card they carry all follow from its typed events (domain/events.py) — 承办 opens a task, 审核/会签
answers it (a task answered by rules, 智能审批, leaves the inbox: it was nobody's work), 签收 and 转办
set its holder, 停表/复表 freeze it and move its due, cards mark it, 整改 opens
the rectification task and 整改答复 answers it, 办结 drops the tasks left open. `fold` is pure; the
store (store/inbox.py) keeps its result per case and can throw it away and fold the ledger again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, overload

from pydantic import BaseModel

from domain.case import Card, Step
from domain.events import (
    Accepted,
    CardRaised,
    ClockResumed,
    ClockStopped,
    Closed,
    RectificationOpened,
    RectificationReplied,
    SupervisionEvent,
    TaskAnswered,
    TaskAssigned,
    TaskClaimed,
    TaskTransferred,
)

TaskState = Literal["open", "answered"]

RECTIFICATION_TASK = "rectification"

INBOX_STEPS = frozenset(
    {
        Step.ASSIGNED,
        Step.REVIEWED,
        Step.COUNTERSIGNED,
        Step.CLAIMED,
        Step.TRANSFERRED,
        Step.CLOCK_STOP,
        Step.CLOCK_RESUME,
        Step.WARNING,
        Step.YELLOW_CARD,
        Step.RED_CARD,
        Step.STATUTORY_OVERDUE,
        Step.CLOSED,
        Step.RECTIFICATION,
        Step.RECTIFICATION_REPLY,
    }
)
"""The steps that change a case's inbox items: after any other, the fold gives what it gave before."""

_CARD_OF_STEP = {card.step: card for card in Card}


class InboxTask(BaseModel):
    """One task of one case as the inbox lists it. No personal data: ids, departments, officers' names."""

    case_id: str
    task_id: str
    matter: str
    department: str
    kind: str  # "review", "countersign", "rectification"
    title: str
    permit_class: str | None = None
    holder: str | None = None
    opened_at: datetime
    due: datetime | None = None
    state: TaskState = "open"
    answer: str | None = None  # approve / refuse; "replied" for a rectification
    answered_at: datetime | None = None
    card: str | None = None  # the gravest card of the task, its stage or its case
    clock_stopped: str | None = None  # the reason while the case clock stands (停表)


@dataclass(frozen=True)
class Recorded:
    """A ledger event with the time it was taken (the row's `actual_at`)."""

    at: datetime
    event: SupervisionEvent


def fold(case_id: str, matter: str, events: Iterable[Recorded]) -> list[InboxTask]:
    """The inbox items of a case from its events, in ledger order."""
    tasks: dict[str, InboxTask] = {}
    task_cards: dict[str, Card] = {}  # by task id
    stage_cards: dict[str, Card] = {}  # by stage ("review", "countersign"): they mark that stage's tasks
    case_card: Card | None = None  # the promised or statutory limit passed: every task of the case
    permit_class: str | None = None
    stopped: str | None = None
    for recorded in events:
        event, at = recorded.event, recorded.at
        match event:
            case Accepted():
                permit_class = event.permit_class or permit_class
            case TaskAssigned() | RectificationOpened():
                task_id = event.task_id if isinstance(event, TaskAssigned) else RECTIFICATION_TASK
                tasks[task_id] = InboxTask(
                    case_id=case_id,
                    task_id=task_id,
                    matter=matter,
                    department=event.department,
                    kind=_kind(task_id),
                    title=event.title if isinstance(event, TaskAssigned) else "差评整改",
                    opened_at=at,
                    due=event.planned_at,
                )
            case TaskAnswered(actor_role="rules"):
                tasks.pop(event.task_id, None)  # 智能审批: never a person's work, in neither list
            case TaskAnswered() | RectificationReplied():
                task_id = event.task_id if isinstance(event, TaskAnswered) else RECTIFICATION_TASK
                if task_id in tasks:
                    answer = event.outcome if isinstance(event, TaskAnswered) else "replied"
                    tasks[task_id] = tasks[task_id].model_copy(
                        update={"state": "answered", "answer": answer, "answered_at": at}
                    )
            case TaskClaimed() | TaskTransferred():
                holder = event.officer if isinstance(event, TaskClaimed) else event.to_officer
                if event.task_id in tasks:
                    tasks[event.task_id] = tasks[event.task_id].model_copy(update={"holder": holder})
            case ClockStopped():
                stopped = event.reason
            case ClockResumed():
                stopped = None
                for task_id, task in tasks.items():
                    name = task_id if task_id == RECTIFICATION_TASK else f"task:{task_id}"
                    if task.state == "open" and name in event.moved:
                        tasks[task_id] = task.model_copy(update={"due": event.moved[name]})
            case CardRaised():
                card = _CARD_OF_STEP[event.step]
                if event.scope == "task" and event.task_id is not None:
                    task_cards[event.task_id] = _graver(task_cards.get(event.task_id), card)
                elif event.scope == "rectification":
                    task_cards[RECTIFICATION_TASK] = _graver(task_cards.get(RECTIFICATION_TASK), card)
                elif event.scope == "stage" and event.stage is not None:
                    stage_cards[event.stage] = _graver(stage_cards.get(event.stage), card)
                elif event.scope == "case":
                    case_card = _graver(case_card, card)
            case Closed():
                # Tasks left open at 办结 are closed, not answered (steps.close_unanswered).
                tasks = {task_id: t for task_id, t in tasks.items() if t.state == "answered"}
            case _:
                pass
    items = []
    for task_id, task in tasks.items():
        gravest = _graver(task_cards.get(task_id), stage_cards.get(task.kind))
        if task_id != RECTIFICATION_TASK:  # the 整改 runs after 办结, against a limit of its own
            gravest = _graver(gravest, case_card)
        update = {
            "permit_class": permit_class,
            "card": gravest.value if gravest is not None else None,
            "clock_stopped": stopped if task.state == "open" else None,
        }
        items.append(task.model_copy(update=update))
    return items


def _kind(task_id: str) -> str:
    return task_id.partition(":")[0]


@overload
def _graver(a: Card | None, b: Card) -> Card: ...
@overload
def _graver(a: Card | None, b: Card | None) -> Card | None: ...
def _graver(a: Card | None, b: Card | None) -> Card | None:
    if a is None or b is None:
        return a or b
    return a if a.rank >= b.rank else b
