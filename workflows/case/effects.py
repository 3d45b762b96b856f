"""How a shared step acts outside the workflow: activities, the ledger, notices, the calendar.

Everything here runs inside the workflow sandbox: deterministic, effects only through activities —
`run_remote` (a regular activity) and `run_local` (a local one, with its bounded retries). On them:
`record` writes one supervision event (电子监察) to the ledger in step order, `notify` queues a
notice, `due_dates` counts working-day limits through the calendar activity.

A case started under PER_WORKFLOW_TASK (`begin`) writes per workflow task, not per step: `record`
keeps the row in the book and book.py's `show` the search attributes, and one writer task writes them
when the case waits for the world (a timer, an officer, a regular activity) — every row of the
workflow task in one local activity and one transaction, the attributes in one upsert.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.deadlines import DueDates, DueDatesInput, compute_due_dates
    from activities.ledger import SupervisionBatch, record_supervision
    from activities.notices import NoticeInput, queue_notice
    from domain.calendar import local_date
    from domain.events import SupervisionEvent, to_row
    from workflows.case.book import CaseBook

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
# Patch id: one ledger write and one search-attribute upsert per workflow task, the registry look-ups
# and the seal and issue of a licence as local activities, and the patches before this one in effect
# without a marker of their own (see `begin`). A class I case's history went from 57 events to 21:
# each patch cost it two (a marker and its TemporalChangeVersion upsert), each step a ledger marker,
# each stage an upsert, each regular activity six (and a workflow task of the server's). Cases started
# before keep their commands on replay.
PER_WORKFLOW_TASK = "one-write-per-workflow-task"
# How many passes of the workflow's event loop the writer lets go by, still with nothing local
# running, before it writes: the coroutine that woke with it, and those it wakes in turn (a watcher
# that ends lets `settle` go on), reach their next wait first, so their rows join the same batch.
QUIET_PASSES = 3
# Patch id: fewer local activities on the way to a decision. The due dates of a day are counted once:
# the case's first count on a day counts every limit of the case (`book.limit_days`, set when the
# limits are fixed) from that start day, and its later counts that day from the same start day are
# read from that answer (`count_due_dates`); 大件运输's pre-fill activity reads the permits the
# vehicles hold and counts the dues of every limit the case may have (`keep_counts`), so its
# acceptance, review and 办结 ask for no count at all that day. A class I case ran seven local
# activities, now three (each one a round trip of the workflow task through the worker: about 4 ms of
# its CPU, and a database session). Cases started before keep their commands on replay.
COUNT_ONCE_A_DAY = "due-dates-counted-once-a-day-permits-with-prefill"


def begin(book: CaseBook) -> None:
    """The first step of a case's `run`, before any other `patched`: whether it writes per workflow
    task (PER_WORKFLOW_TASK), and if so its writer starts."""
    book.per_task = workflow.patched(PER_WORKFLOW_TASK)
    if book.per_task:
        book.writer = asyncio.create_task(_write_when_waiting(book))
        book.counts_once = workflow.patched(COUNT_ONCE_A_DAY)


def patched(book: CaseBook, patch_id: str) -> bool:
    """`workflow.patched` for a patch older than PER_WORKFLOW_TASK: a case started under that one has
    every earlier patch in effect, and records no marker (nor its search-attribute upsert) for them."""
    return book.per_task or workflow.patched(patch_id)


# How long one attempt of a regular activity may take. Ours are look-ups and a seal of a few
# milliseconds to a few seconds; a worker that dies mid-attempt is noticed only when this passes (they
# do not heartbeat), so a minute here was a minute's stall of the case per worker crash.
REMOTE_ATTEMPT = timedelta(seconds=20)


async def run_remote(fn: Callable[[P], Awaitable[R]], arg: P, summary: str) -> R:
    """A regular activity: its own history events, retried by the server across worker restarts."""
    return await workflow.execute_activity(
        fn, arg, start_to_close_timeout=REMOTE_ATTEMPT, retry_policy=REMOTE_RETRY, summary=summary
    )


async def run_local(book: CaseBook, fn: Callable[[P], Awaitable[R]], arg: P, summary: str) -> R:
    """A local activity: one marker event; for quick, idempotent database writes and computations.

    It is tried a few times in the worker (`LOCAL_RETRY`); if it still fails, and not for good, it runs
    again as a regular activity (`FALLBACK_RETRY`), whose retries do not grow the history, until it
    succeeds. Cases started before this change keep the unbounded local retries on replay.

    While the local attempts run, `book.local_work` counts them: the workflow task goes on, and the
    per-task writer waits for its end.
    """
    if not patched(book, BOUNDED_RETRIES):
        return await workflow.execute_local_activity(
            fn, arg, start_to_close_timeout=timedelta(seconds=30), summary=summary
        )
    book.local_work += 1
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
    finally:
        book.local_work -= 1
    return await workflow.execute_activity(
        fn,
        arg,
        start_to_close_timeout=REMOTE_ATTEMPT,
        retry_policy=FALLBACK_RETRY,
        summary=f"{summary} (retrying)",
    )


async def record(book: CaseBook, event: SupervisionEvent, *, once_as: str | None = None) -> None:
    """Write one supervision event to the ledger, at the workflow's time, exactly once.

    An event that carries a due (`planned_at`) while some due of the case was counted through a
    provisional calendar year says so (`dues_provisional`). A case started under PER_WORKFLOW_TASK
    keeps the row for its workflow task's one write (`_write_when_waiting`), in the order recorded,
    under a key that does not depend on the order messages arrived in (`_ledger_key`); `once_as`
    names a step that happens once per case whatever the order (a task's answer: "task:<id>").
    """
    if event.planned_at is not None and book.dues_provisional:
        event = event.model_copy(update={"dues_provisional": True})
    row = to_row(
        event,
        case_id=book.case_id,
        matter=book.matter,
        actual_at=workflow.now(),
        idempotency_key=_ledger_key(book, event, once_as),
    )
    if book.per_task:
        if book.write_failure is not None:
            raise book.write_failure
        book.pending_rows.append(row)
        return
    batch = SupervisionBatch(events=[row])
    # Steps taken concurrently (an officer's last 审核 in an update handler, the 决定 the main run takes
    # the moment that task is answered; a watcher's 催办) would otherwise race in two local activities,
    # and the ledger's order — the order auditors read — would not be the order of the steps. Cases
    # started before this change keep their concurrent writes on replay.
    if patched(book, LEDGER_IN_ORDER):
        async with book.ledger_turn:
            await run_local(book, record_supervision, batch, f"ledger {event.step.value}")
    else:
        await run_local(book, record_supervision, batch, f"ledger {event.step.value}")


def _ledger_key(book: CaseBook, event: SupervisionEvent, once_as: str | None) -> str:
    """The row's idempotency key. Counted in step order, a key named the n-th step, and the n-th step
    of a workflow task that the server never saw complete (a worker killed after the write, a task
    timed out on a loaded machine) may be another one when the task runs again: the messages of that
    task can come back in another order, or one by one. Under PER_WORKFLOW_TASK only the run's own
    steps are counted; a task's answer is keyed by its task (once per case), and any other step an
    update takes by the update's id, which the server keeps when it delivers the update again."""
    if not book.per_task:
        return book.next_ledger_key(event.step)
    if once_as is not None:
        return f"{book.case_id}:{once_as}:{event.step.value}"
    update = workflow.current_update_info()
    if update is not None:
        n = book.update_rows[update.id] = book.update_rows.get(update.id, 0) + 1
        return f"{book.case_id}:update:{update.id}:{n}:{event.step.value}"
    return book.next_ledger_key(event.step)


def _write_due(book: CaseBook) -> bool:
    return bool(book.pending_rows or book.pending_attributes) and book.local_work == 0


async def _write_when_waiting(book: CaseBook) -> None:
    """The writer of a case under PER_WORKFLOW_TASK: when nothing local runs and the case has gone
    quiet (QUIET_PASSES), the search attributes that changed in one upsert, then every row kept so
    far in one local activity (one transaction, in the order recorded). A workflow task's local
    activities all run before it completes, so an update's answer still leaves after its row is
    written. Runs for the life of the case; `finish` waits until it has written everything."""
    while True:
        await workflow.wait_condition(lambda: _write_due(book))
        for _ in range(QUIET_PASSES):
            await workflow.wait_condition(lambda: True)  # one pass of the event loop
            if not _write_due(book):
                break
        else:
            await _write(book)


async def _write(book: CaseBook) -> None:
    changed = [
        update
        for name, update in book.pending_attributes.items()
        if name not in book.shown_attributes or book.shown_attributes[name] != update.value
    ]
    book.pending_attributes = {}
    if changed:
        workflow.upsert_search_attributes(changed)
        book.shown_attributes.update({update.key.name: update.value for update in changed})
    if not book.pending_rows:
        return
    rows, book.pending_rows = book.pending_rows, []
    book.writing = True
    try:
        steps = " ".join(row.step for row in rows)
        await run_local(book, record_supervision, SupervisionBatch(events=rows), f"ledger {steps}")
    except (ActivityError, ApplicationError) as exc:
        # Refused for good (an unreadable event, a key of another case): a bug. The next `record`
        # and `finish` raise it, and the case fails as it did when each step wrote its own row.
        book.write_failure = exc
    finally:
        book.writing = False


async def due_dates(book: CaseBook, start: datetime, working_days: dict[str, int]) -> dict[str, datetime]:
    """Working-day limits → due times, through the calendar activity (its data may change later)."""
    return (await count_due_dates(book, start, working_days)).due


async def count_due_dates(book: CaseBook, start: datetime, working_days: dict[str, int]) -> DueDates:
    """The due times, and which of them were counted through a provisional calendar year.

    Under COUNT_ONCE_A_DAY a due is a function of the start day and the working days alone (and
    of the calendar), so the case's first count on a day counts its other limits from that start day
    too, and its later counts that day from the same start day need no activity. Kept for the day
    only (workflow.now() moves within a workflow task too, with each local activity), and dropped when
    a holiday notice makes the case recount (supervision.recount): a notice counts from the next day
    at the latest, and at once for every case it changes."""
    if not book.counts_once:
        return await run_local(
            book,
            compute_due_dates,
            DueDatesInput(start=start, working_days=working_days),
            "working-day due dates",
        )
    if not set(working_days.values()) <= _day_counts(book, start).keys():
        days = set(working_days.values()) | set(book.limit_days)
        ask = counts_to_ask(start, days - _day_counts(book, start).keys())
        keep_counts(book, start, await run_local(book, compute_due_dates, ask, "working-day due dates"))
    counted = _day_counts(book, start)
    return DueDates(
        due={name: counted[n][0] for name, n in working_days.items()},
        provisional_years={name: counted[n][1] for name, n in working_days.items() if counted[n][1]},
    )


def warning_day(days: int) -> int:
    """The working days to a limit's warning (预警): one before its due (supervision.set_limits)."""
    return max(days - 1, 0)


def with_warnings(days: Iterable[int]) -> tuple[int, ...]:
    """Limits in working days and the working days to each one's warning: what the day's counts hold."""
    limits = set(days)
    return tuple(sorted(limits | {warning_day(n) for n in limits}))


def counts_to_ask(start: datetime, days: Iterable[int]) -> DueDatesInput:
    """A count of these working days from `start`, named for `keep_counts`."""
    return DueDatesInput(start=start, working_days={f"{n}d": n for n in sorted(days)})


def keep_counts(book: CaseBook, start: datetime, answer: DueDates) -> None:
    """Keep a count of `counts_to_ask` for the day's later counts (COUNT_ONCE_A_DAY)."""
    counted = _day_counts(book, start)
    for name, due in answer.due.items():
        counted[int(name.removesuffix("d"))] = (due, answer.provisional_years.get(name, []))


def _day_counts(book: CaseBook, start: datetime) -> dict[int, tuple[datetime, list[int]]]:
    counted_for = (local_date(workflow.now()), local_date(start))
    if book.counted_for != counted_for:
        book.counted_for, book.counted = counted_for, {}
    return book.counted


async def notify(book: CaseBook, key: str, recipient: str, payload: dict[str, Any]) -> None:
    await run_local(
        book,
        queue_notice,
        NoticeInput(case_id=book.case_id, key=key, recipient=recipient, payload=payload),
        f"notice {key}",
    )
