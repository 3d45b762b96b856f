"""One case's summary (办件摘要): what the auditors' report needs of a case, folded from its ledger events.

The report over 100 000 cases used to read a million ledger rows and parse each through its typed
model (issue 18). A `CaseSummary` is written beside the ledger in the same transaction as each event
the report reads (store/case_summaries.py), so the report reads one row per case.

It holds no working-day counts: those depend on the calendar, and a notice added later (`onething
calendar add`) must move them exactly as it moves today's report. So the summary keeps the *dates*
(a task's assigned and answered day, a 停表 and its 复表) and `facts_of` counts them on the report's
calendar. `read_case` is the two in one, for a report read from the ledger itself: one fold of the
events, whichever way the report reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.audit.facts import (
    DECIDED_OUTCOMES,
    Card,
    CaseFacts,
    LedgerRecord,
    Unreadable,
    WorkdayCounter,
    _card,
    _judge_decided,
    _rating,
    _withdraw_card,
    at_utc,
    local_day,
    task_kind,
)
from domain.case import Step
from domain.events import (
    Accepted,
    CardRaised,
    CardWithdrawn,
    ClockResumed,
    ClockStopped,
    Closed,
    DuesRecounted,
    Rated,
    RectificationOpened,
    RectificationReplied,
    ReturnVisited,
    TaskAnswered,
    TaskAssigned,
    UnreadableEvent,
)


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnsweredTask(_Part):
    """A task answered (审核/会签): its kind ("review:highway"), the day it was assigned and answered."""

    kind: str
    assigned_on: date
    answered_on: date


class ClockSpan(_Part):
    """A 复表 (clock resumed): the working days it recorded, or else the 停表 day to count from."""

    stopped_on: date | None
    resumed_on: date
    recorded_working_days: int | None


class SummaryCard(_Part):
    """A supervision card still standing (not withdrawn by 撤销监察)."""

    kind: str
    department: str
    scope: str
    subject: str


class UnreadableStep(_Part):
    """A stored event that does not parse as its step's model: counted by the report, never read."""

    seq: int
    step: str
    problem: str


class CaseSummary(_Part):
    """The report's view of one case, calendar-free; `facts_of` makes the `CaseFacts` from it."""

    case_id: str
    matter: str
    received_at: AwareDatetime
    permit_class: str | None = None
    closed_at: AwareDatetime | None = None
    outcome: str | None = None
    promised_due: AwareDatetime | None = None
    statutory_due: AwareDatetime | None = None
    statutory_working_days: int | None = None
    clock_stopped: bool = False
    clock_spans: tuple[ClockSpan, ...] = ()
    answered_tasks: tuple[AnsweredTask, ...] = ()
    cards: tuple[SummaryCard, ...] = ()
    ratings: tuple[int, ...] = ()
    rectifications_opened: int = 0
    rectifications_replied: int = 0
    rectifications_replied_on_time: int = 0
    return_visits: int = 0
    unreadable: tuple[UnreadableStep, ...] = ()


_RECEIVED = Step.RECEIVED.value


def summarise(events: Sequence[LedgerRecord]) -> CaseSummary | None:
    """The summary of one case from its events (those in `facts.STEPS_READ`) in seq order; None
    without a 收件 event. The one reading of a case's events: `read_case` counts its dates."""
    received = next((e for e in events if e.step == _RECEIVED), None)
    if received is None:
        return None
    facts = CaseFacts(case_id=received.case_id, matter=received.matter, received_at=received.actual_at)
    spans: list[ClockSpan] = []
    answered: list[AnsweredTask] = []
    unreadable: list[UnreadableStep] = []
    stopped_on: date | None = None
    assigned: dict[str, tuple[str, date]] = {}
    open_rectifications: list[datetime | None] = []
    statutory_due_closed: datetime | None = None
    for record in events:
        try:
            event = record.event()
        except UnreadableEvent as exc:
            unreadable.append(UnreadableStep(seq=record.seq, step=record.step, problem=str(exc)))
            continue
        day = local_day(record.actual_at)
        if isinstance(event, TaskAssigned):
            assigned[event.task_id] = (task_kind(event.task_id, event.department), day)
        elif isinstance(event, TaskAnswered):
            task = assigned.pop(event.task_id, None)
            if task is not None:
                answered.append(AnsweredTask(kind=task[0], assigned_on=task[1], answered_on=day))
        elif isinstance(event, Accepted):
            facts.permit_class = event.permit_class
            facts.promised_due = event.planned_at or facts.promised_due
            facts.statutory_due = event.statutory_due or facts.statutory_due
            facts.statutory_working_days = event.statutory_working_days
        elif isinstance(event, Closed):
            facts.closed_at, facts.outcome = record.actual_at, event.outcome
            facts.promised_due = event.planned_at or facts.promised_due
            statutory_due_closed = event.statutory_due
        elif isinstance(event, CardRaised):
            facts.cards.append(_card(event))
        elif isinstance(event, Rated):
            rating = _rating(event.outcome)
            if rating is not None:
                facts.ratings.append(rating)
        elif isinstance(event, ClockStopped):
            facts.clock_stopped, stopped_on = True, day
        elif isinstance(event, ClockResumed):
            spans.append(
                ClockSpan(
                    stopped_on=stopped_on, resumed_on=day, recorded_working_days=event.stopped_working_days
                )
            )
            facts.clock_stopped, stopped_on = False, None
            facts.promised_due = event.promised_due or facts.promised_due
            facts.statutory_due = event.statutory_due or facts.statutory_due
        elif isinstance(event, RectificationOpened):
            facts.rectifications_opened += 1
            open_rectifications.append(event.planned_at)
        elif isinstance(event, RectificationReplied):
            facts.rectifications_replied += 1
            if open_rectifications:
                due = open_rectifications.pop(0)
                if due is not None and record.actual_at <= due:
                    facts.rectifications_replied_on_time += 1
        elif isinstance(event, ReturnVisited):
            facts.return_visits += 1
        elif isinstance(event, DuesRecounted):
            facts.promised_due = event.new_due.get("promised") or facts.promised_due
            facts.statutory_due = event.new_due.get("statutory") or facts.statutory_due
        elif isinstance(event, CardWithdrawn):
            _withdraw_card(facts, event)
    if statutory_due_closed is not None:
        facts.statutory_due = statutory_due_closed
    return CaseSummary(
        case_id=facts.case_id,
        matter=facts.matter,
        received_at=facts.received_at,
        permit_class=facts.permit_class,
        closed_at=facts.closed_at,
        outcome=facts.outcome,
        promised_due=facts.promised_due,
        statutory_due=facts.statutory_due,
        statutory_working_days=facts.statutory_working_days,
        clock_stopped=facts.clock_stopped,
        clock_spans=tuple(spans),
        answered_tasks=tuple(answered),
        cards=tuple(SummaryCard(**card._asdict()) for card in facts.cards),
        ratings=tuple(facts.ratings),
        rectifications_opened=facts.rectifications_opened,
        rectifications_replied=facts.rectifications_replied,
        rectifications_replied_on_time=facts.rectifications_replied_on_time,
        return_visits=facts.return_visits,
        unreadable=tuple(unreadable),
    )


def read_case(
    events: Sequence[LedgerRecord], workdays: WorkdayCounter, unreadable: list[Unreadable] | None = None
) -> CaseFacts | None:
    """The facts of one case from its events in seq order; None when it has no 收件 event.

    An event that does not parse as its step's model is left out of every figure and appended to
    `unreadable` (when given), so the report can say how many it skipped and `--verify-ledger` which.
    """
    summary = summarise(events)
    if summary is None:
        return None
    if unreadable is not None:
        unreadable.extend(Unreadable(summary.case_id, u.seq, u.step, u.problem) for u in summary.unreadable)
    return facts_of(summary, workdays)


def facts_of(summary: CaseSummary, workdays: WorkdayCounter) -> CaseFacts:
    """The case's facts, its working days counted on the report's calendar.

    Called once per case of a report (100 000 of them): written for speed, the empty parts of a
    summary skipped rather than copied.
    """
    between = workdays.between
    closed_at, promised_due, statutory_due = summary.closed_at, summary.promised_due, summary.statutory_due
    facts = CaseFacts(
        case_id=summary.case_id,
        matter=summary.matter,
        received_at=_utc(summary.received_at),
        permit_class=summary.permit_class,
        closed_at=None if closed_at is None else _utc(closed_at),
        outcome=summary.outcome,
        promised_due=None if promised_due is None else _utc(promised_due),
        statutory_due=None if statutory_due is None else _utc(statutory_due),
        statutory_working_days=summary.statutory_working_days,
        clock_stopped=summary.clock_stopped,
        ratings=list(summary.ratings),
        rectifications_opened=summary.rectifications_opened,
        rectifications_replied=summary.rectifications_replied,
        rectifications_replied_on_time=summary.rectifications_replied_on_time,
        return_visits=summary.return_visits,
    )
    if summary.cards:
        facts.cards = [Card(c.kind, c.department, c.scope, c.subject) for c in summary.cards]
    if summary.answered_tasks:
        facts.task_durations = [
            (task.kind, between(task.assigned_on, task.answered_on)) for task in summary.answered_tasks
        ]
    for span in summary.clock_spans:
        days = span.recorded_working_days
        if days is None and span.stopped_on is not None:
            days = between(span.stopped_on, span.resumed_on)
        facts.stopped_working_days += days or 0
    if facts.closed_at is not None and facts.outcome in DECIDED_OUTCOMES:
        _judge_decided(facts, workdays)
    return facts


def _utc(dt: datetime) -> datetime:
    """At UTC, as the ledger loader gives times; pydantic's own zone for a JSON "Z" is kept as it is
    (`at_utc`): it compares, shifts and serialises as `datetime.UTC` does."""
    return dt if at_utc(dt) else dt.astimezone(UTC)
