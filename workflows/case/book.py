"""The case book: the state of one case as its workflow knows it, and how the UI shows it.

The book is the aggregate's state; `status()` is what every query and update answers. The stage is
shown in the Temporal UI as a search attribute and the current details (no personal data).

A case started under `per_task` (effects.PER_WORKFLOW_TASK) keeps its ledger rows and search
attributes here until the workflow waits (`pending_rows`, `pending_attributes`): effects.py writes
them once per workflow task, the attributes as one upsert of what changed.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from domain.case import CaseStatus, Outcome, Problem, Stage, Step, Task
    from domain.events import SupervisionEventIn
    from workflows import search_attributes as sa


class CaseBook:
    """The state of one case as its workflow knows it; `status()` is what the query returns."""

    def __init__(self, case_id: str, matter: str) -> None:
        self.case_id = case_id
        self.matter = matter
        self.stage = Stage.RECEIVED
        self.outcome: Outcome | None = None
        self.permit_class: str | None = None
        self.due: datetime | None = None
        self.statutory_due: datetime | None = None
        self.card: str | None = None
        self.tasks: dict[str, Task] = {}
        self.problems: list[Problem] = []
        self.reasons: list[str] = []
        self.licence_ids: list[str] = []
        self.conditions: list[str] = []
        self.withdrawn = False
        self.clock_stopped: str | None = None
        self.clock_stopped_by: str | None = None
        self.rating: int | None = None
        self.rating_open = False  # inside the 好差评 window, not yet rated
        self.rectification: Task | None = None
        self.dues_provisional = False
        self.commitment_carrier: str | None = None
        self._ledger_count = 0
        # Held while one ledger event is written; waiters queue first come, first served (asyncio.Lock).
        self.ledger_turn = asyncio.Lock()
        # Decided at the start of `run` (effects.begin): write per workflow task, not per step.
        self.per_task = False
        self.pending_rows: list[SupervisionEventIn] = []  # recorded, not yet written
        self.pending_attributes: dict[str, SearchAttributeUpdate[Any]] = {}  # set, not yet upserted
        self.shown_attributes: dict[str, Any] = {}  # what the last upserts set, by key
        self.writing = False  # a batch of rows is being written
        self.local_work = 0  # local activities running: the workflow task goes on while one does
        self.write_failure: BaseException | None = None  # a batch that failed for good
        self.writer: asyncio.Task[None] | None = None
        self.update_rows: dict[str, int] = {}  # update id -> rows it recorded (their keys)
        # Under effects.COUNT_ONCE_A_DAY: the case's limits in working days (each counted at the
        # first count of a day), and that day's counts: working days -> (due, provisional years), for
        # (the day, the start day).
        self.counts_once = False
        self.limit_days: tuple[int, ...] = ()
        self.counted_for: tuple[date, date] | None = None
        self.counted: dict[int, tuple[datetime, list[int]]] = {}

    def status(self) -> CaseStatus:
        return CaseStatus(
            case_id=self.case_id,
            matter=self.matter,
            stage=self.stage,
            outcome=self.outcome,
            permit_class=self.permit_class,
            due=self.due,
            statutory_due=self.statutory_due,
            card=self.card,
            open_tasks=[t for t in self.tasks.values() if not t.answered],
            answered_tasks=[t for t in self.tasks.values() if t.answered],
            problems=self.problems,
            reasons=self.reasons,
            licence_ids=self.licence_ids,
            conditions=self.conditions,
            clock_stopped=self.clock_stopped,
            clock_stopped_by=self.clock_stopped_by,
            rating=self.rating,
            rating_open=self.rating_open,
            rectification=self.rectification,
            dues_provisional=self.dues_provisional,
            commitment_carrier=self.commitment_carrier,
        )

    @property
    def decided(self) -> bool:
        return self.stage in (Stage.DECISION, Stage.ISSUING, Stage.CLOSED)

    def next_ledger_key(self, step: Step) -> str:
        # A deterministic counter: replay and retries produce the same keys, so the ledger dedups.
        self._ledger_count += 1
        return f"{self.case_id}:{self._ledger_count:03d}:{step.value}"

    def written(self) -> bool:
        """Nothing recorded or set is still waiting to be written (or writing failed for good)."""
        if self.write_failure is not None:
            return True
        return not (self.pending_rows or self.pending_attributes or self.writing)


def show(book: CaseBook, updates: list[SearchAttributeUpdate[Any]]) -> None:
    """Set search attributes: at once for a case started before `per_task`, else kept for the one
    upsert of its workflow task (effects.py), which leaves out what is already shown."""
    if not book.per_task:
        workflow.upsert_search_attributes(updates)
        return
    for update in updates:
        book.pending_attributes[update.key.name] = update


def enter_stage(book: CaseBook, stage: Stage) -> None:
    """Move the case to `stage` and show it in the Temporal UI (search attribute and details)."""
    book.stage = stage
    updates: list[SearchAttributeUpdate[Any]] = [sa.STAGE.value_set(stage.value)]
    if book.permit_class is not None:
        updates.append(sa.PERMIT_CLASS.value_set(book.permit_class))
    if book.due is not None:
        updates.append(sa.DUE.value_set(book.due))
    show(book, updates)
    workflow.set_current_details(current_details(book))


def show_after_close(book: CaseBook, stage: str, note: str) -> None:
    """After 办结 a case may run on (好差评, 整改): the UI's stage and details say why. The book's stage
    stays `closed`: the status API and the ledger know the case is done."""
    show(book, [sa.STAGE.value_set(stage)])
    workflow.set_current_details(details_after_close(book, note))


def details_after_close(book: CaseBook, note: str) -> str:
    return f"{note}\n\n{current_details(book)}"


def current_details(book: CaseBook) -> str:
    """A markdown stage table for the UI; no personal data."""
    lines = [
        f"**Stage** {book.stage.value} · **class** {book.permit_class or '-'} · "
        f"**due** {book.due.isoformat() if book.due else '-'}",
        "",
        "| task | department | due | answer |",
        "|---|---|---|---|",
    ]
    for task in book.tasks.values():
        answer = "-" if not task.answered else ("approve" if task.approve else "refuse")
        if task.by_rules:
            answer += " (rules)"
        lines.append(
            f"| {task.title} | {task.department} | {task.due.isoformat() if task.due else '-'} | {answer} |"
        )
    return "\n".join(lines)


async def finish(book: CaseBook) -> CaseStatus:
    """The workflow's result; updates still running (a ledger write) and the rows and attributes
    still to write finish first. A batch the ledger refused for good fails the case, as a refused
    write did when each step wrote its own."""
    await workflow.wait_condition(lambda: workflow.all_handlers_finished() and book.written())
    if book.write_failure is not None:
        raise book.write_failure
    return book.status()
