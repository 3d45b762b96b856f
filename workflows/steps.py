"""Steps every 一件事 workflow shares: the case book, supervised stages, department tasks, issuing.

A matter's workflow (one module per matter) holds a `CaseBook` and calls these; the book is the
aggregate's state, the ledger writes are its domain events. Everything here runs inside the
workflow sandbox: deterministic, effects only through activities.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.deadlines import DueDates, DueDatesInput, compute_due_dates
    from activities.ledger import SupervisionBatch, record_supervision
    from activities.licensing import IssuedLicenceRef, issue_licence
    from activities.notices import NoticeInput, queue_notice
    from domain.case import CaseStatus, Opinion, Outcome, Problem, Stage, Step, Task
    from domain.case import check_opinion as check_task_opinion
    from domain.events import (
        Closed,
        Issued,
        SupervisionEvent,
        TaskAnswered,
        TaskAssigned,
        to_row,
    )
    from domain.licence import LicenceGrant
    from workflows import search_attributes as sa

P = TypeVar("P")
R = TypeVar("R")

# Downstream systems may be down for a while; keep retrying with a bounded interval rather than fail
# a case that is otherwise decided. A regular activity's retries are the server's: they add no event
# to the history (it records the schedule, and the start and outcome of the last attempt only), so a
# case that waits on them for weeks keeps a short history.
REMOTE_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))

# A local activity retries inside the worker; past a minute of backoff each retry costs the history a
# timer and a marker (about 6 events every 100 s: the 51,200-event limit in some ten days). So a few
# quick tries locally, then the same activity as a regular one, whose retries the history does not see.
LOCAL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=4),
    maximum_attempts=3,
)
# The fallback's backoff doubles from 5 s to at most an hour: a store back after a short outage is used
# again within minutes, one back after a long one within the hour, and a case stuck for a month costs
# the worker about 24 attempts a day, none of them in the history.
FALLBACK_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5), backoff_coefficient=2.0, maximum_interval=timedelta(hours=1)
)

# Patch id: ledger writes one at a time, in the order the workflow took its steps (see `record`).
LEDGER_IN_ORDER = "ledger-in-step-order"
# Patch id: local activities retry a bounded number of times, then continue as a regular activity.
BOUNDED_RETRIES = "bounded-local-retries"


# How long one attempt of a regular activity may take. Ours are look-ups and a seal of a few
# milliseconds to a few seconds; a worker that dies mid-attempt is noticed only when this passes (they
# do not heartbeat), so a minute here was a minute's stall of the case per worker crash.
REMOTE_ATTEMPT = timedelta(seconds=20)


async def run_remote(fn: Callable[[P], Awaitable[R]], arg: P, summary: str) -> R:
    """A regular activity: its own history events, retried by the server across worker restarts."""
    return await workflow.execute_activity(
        fn, arg, start_to_close_timeout=REMOTE_ATTEMPT, retry_policy=REMOTE_RETRY, summary=summary
    )


async def run_local(fn: Callable[[P], Awaitable[R]], arg: P, summary: str) -> R:
    """A local activity: one marker event; for quick, idempotent database writes and computations.

    It is tried a few times in the worker (`LOCAL_RETRY`); if it still fails, and not for good, it runs
    again as a regular activity (`FALLBACK_RETRY`), whose retries do not grow the history, until it
    succeeds. Cases started before this change keep the unbounded local retries on replay.
    """
    if not workflow.patched(BOUNDED_RETRIES):
        return await workflow.execute_local_activity(
            fn, arg, start_to_close_timeout=timedelta(seconds=30), summary=summary
        )
    try:
        return await workflow.execute_local_activity(
            fn, arg, start_to_close_timeout=timedelta(seconds=30), retry_policy=LOCAL_RETRY, summary=summary
        )
    except (ActivityError, ApplicationError) as exc:
        # A local activity's failure may arrive as the activity's own ApplicationError. Failed for
        # good (bad input, a conflict no retry fixes): the workflow sees it as before.
        cause = exc.cause if isinstance(exc, ActivityError) else exc
        if isinstance(cause, ApplicationError) and cause.non_retryable:
            raise
    return await workflow.execute_activity(
        fn,
        arg,
        start_to_close_timeout=REMOTE_ATTEMPT,
        retry_policy=FALLBACK_RETRY,
        summary=f"{summary} (retrying)",
    )


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
        self.rating: int | None = None
        self.rating_open = False  # inside the 好差评 window, not yet rated
        self.rectification: Task | None = None
        self.dues_provisional = False
        self.commitment_carrier: str | None = None
        self._ledger_count = 0
        # Held while one ledger event is written; waiters queue first come, first served (asyncio.Lock).
        self.ledger_turn = asyncio.Lock()

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


# --- supervision (电子监察) -----------------------------------------------------------------------


async def record(book: CaseBook, event: SupervisionEvent) -> None:
    """Write one supervision event to the ledger, at the workflow's time, exactly once.

    An event that carries a due (`planned_at`) while some due of the case was counted through a
    provisional calendar year says so (`dues_provisional`).
    """
    if event.planned_at is not None and book.dues_provisional:
        event = event.model_copy(update={"dues_provisional": True})
    row = to_row(
        event,
        case_id=book.case_id,
        matter=book.matter,
        actual_at=workflow.now(),
        idempotency_key=book.next_ledger_key(event.step),
    )
    batch = SupervisionBatch(events=[row])
    # Steps taken concurrently (an officer's last 审核 in an update handler, the 决定 the main run takes
    # the moment that task is answered; a watcher's 催办) would otherwise race in two local activities,
    # and the ledger's order — the order auditors read — would not be the order of the steps. Cases
    # started before this change keep their concurrent writes on replay.
    if workflow.patched(LEDGER_IN_ORDER):
        async with book.ledger_turn:
            await run_local(record_supervision, batch, f"ledger {event.step.value}")
    else:
        await run_local(record_supervision, batch, f"ledger {event.step.value}")


async def due_dates(start: datetime, working_days: dict[str, int]) -> dict[str, datetime]:
    """Working-day limits → due times, through the calendar activity (its data may change later)."""
    return (await count_due_dates(start, working_days)).due


async def count_due_dates(start: datetime, working_days: dict[str, int]) -> DueDates:
    """The due times, and which of them were counted through a provisional calendar year."""
    return await run_local(
        compute_due_dates, DueDatesInput(start=start, working_days=working_days), "working-day due dates"
    )


def enter_stage(book: CaseBook, stage: Stage) -> None:
    """Move the case to `stage` and show it in the Temporal UI (search attribute and details)."""
    book.stage = stage
    updates: list[SearchAttributeUpdate[Any]] = [sa.STAGE.value_set(stage.value)]
    if book.permit_class is not None:
        updates.append(sa.PERMIT_CLASS.value_set(book.permit_class))
    if book.due is not None:
        updates.append(sa.DUE.value_set(book.due))
    workflow.upsert_search_attributes(updates)
    workflow.set_current_details(current_details(book))


def show_after_close(book: CaseBook, stage: str, note: str) -> None:
    """After 办结 a case may run on (好差评, 整改): the UI's stage and details say why. The book's stage
    stays `closed`: the status API and the ledger know the case is done."""
    workflow.upsert_search_attributes([sa.STAGE.value_set(stage)])
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


async def notify(book: CaseBook, key: str, recipient: str, payload: dict[str, Any]) -> None:
    await run_local(
        queue_notice,
        NoticeInput(case_id=book.case_id, key=key, recipient=recipient, payload=payload),
        f"notice {key}",
    )


# --- department tasks (承办 → 审核/会签) -----------------------------------------------------------


async def open_task(
    book: CaseBook, task_id: str, department: str, kind: str, title: str, due: datetime | None, limit: int
) -> Task:
    task = Task(
        task_id=task_id, department=department, kind=kind, title=title, opened_at=workflow.now(), due=due
    )
    book.tasks[task_id] = task
    await record(
        book,
        TaskAssigned(
            department=department,
            actor_role="system",
            planned_at=due,
            limit_working_days=limit,
            task_id=task_id,
            title=title,
        ),
    )
    return task


def check_opinion(book: CaseBook, opinion: Opinion) -> Task:
    """The update validator's rule (domain.case.check_opinion) on this case's tasks and stage; raising
    here rejects the update before anything is written to the history."""
    return check_task_opinion(
        book.tasks, opinion, stage=book.stage, open_for_opinions=not (book.withdrawn or book.decided)
    )


async def answer_task(book: CaseBook, opinion: Opinion, *, by_rules: bool = False) -> Task:
    """Apply an opinion to its task and write 审核/会签 to the ledger."""
    task = book.tasks[opinion.task_id]
    # Mark first, before any await: a second update in the same activation then sees it answered.
    task.answered = True
    task.approve = opinion.approve
    task.reason = opinion.reason
    task.conditions = list(opinion.conditions)
    task.by_rules = by_rules
    workflow.set_current_details(current_details(book))
    await record(
        book,
        TaskAnswered(
            step=Step.COUNTERSIGNED if task.kind == "countersign" else Step.REVIEWED,
            department=task.department,
            actor_role="rules" if by_rules else "officer",
            outcome="approve" if opinion.approve else "refuse",
            planned_at=task.due,
            task_id=task.task_id,
            reason=opinion.reason,
            conditions=task.conditions,
            officer=None if by_rules else opinion.officer,
        ),
    )
    return task


async def wait_for_tasks(book: CaseBook, task_ids: list[str], *, blocking: list[str] | None = None) -> bool:
    """Wait until every task is answered, or a refusal of a blocking task makes the rest moot; False
    when withdrawn. Every task blocks unless `blocking` names those whose refusal refuses the case (a
    refused 道路运输证 leaves the other trucks' reviews running; a refused permit review does not)."""
    blockers = task_ids if blocking is None else blocking
    await workflow.wait_condition(
        lambda: (
            book.withdrawn
            or all(book.tasks[t].answered for t in task_ids)
            or any(book.tasks[t].answered and book.tasks[t].approve is False for t in blockers)
        )
    )
    return not book.withdrawn


def refusals(book: CaseBook) -> list[str]:
    return [f"{t.title}：{t.reason}" for t in book.tasks.values() if t.answered and t.approve is False]


def close_unanswered(book: CaseBook) -> None:
    """Tasks left open when the case ends (a refusal elsewhere, a withdrawal) are closed, not answered."""
    for task_id in [t.task_id for t in book.tasks.values() if not t.answered]:
        del book.tasks[task_id]


# --- sign and issue (电子印章 + 电子证照) -----------------------------------------------------------


async def sign_and_issue(book: CaseBook, inp: LicenceGrant, department: str) -> IssuedLicenceRef:
    """制证 by the deciding department: seal and issue one licence, then its ledger event."""
    ref = await run_remote(issue_licence, inp, f"seal and issue {inp.licence_key}")
    book.licence_ids.append(ref.licence_id)
    await record(
        book,
        Issued(
            department=department,
            actor_role="system",
            licence_id=ref.licence_id,
            licence_key=inp.licence_key,
        ),
    )
    return ref


async def close_case(book: CaseBook, outcome: Outcome, department: str, reasons: list[str]) -> None:
    """办结: the outcome, the ledger's closing event with the final dues, the final search attributes."""
    book.outcome = outcome
    book.reasons = reasons
    close_unanswered(book)
    enter_stage(book, Stage.CLOSED)
    await record(
        book,
        Closed(
            department=department,
            actor_role="system",
            outcome=outcome.value,
            planned_at=book.due,
            reasons=reasons,
            licence_ids=book.licence_ids,
            statutory_due=book.statutory_due,
        ),
    )


async def finish(book: CaseBook) -> CaseStatus:
    """The workflow's result; updates still running (a ledger write) finish first."""
    await workflow.wait_condition(workflow.all_handlers_finished)
    return book.status()
