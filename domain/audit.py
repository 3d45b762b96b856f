"""The auditors' report (效能监察报告), computed from the supervision ledger and the licence repository.

Pure: it takes plain records (`LedgerRecord`, `LicenceRecord`), a working-day calendar and the
instant "now", and returns an `AuditReport`. Loading the records is store/audit_queries.py; rendering
is cli/audit_render.py.

Definitions (also in `DEFINITIONS`, printed with every report):

- Cohort: the cases whose 收件 (receipt) falls in the period, dates in Asia/Shanghai. A case with no
  收件 event in the ledger is not reported. Events after the period still count (a case received in
  the period and closed after it is completed).
- Decided cases: closed (办结) with outcome approved or refused. They are the denominator of both
  on-time rates, of the elapsed-time percentiles and of the acceleration; cases that ended without a
  decision (不予受理, 撤回, 补正逾期) would flatter all three.
- On time against the promised limit (承诺时限): 办结.actual_at ≤ 办结.planned_at (the final promised
  due, after any moves). Against the statutory limit (法定时限): 办结.actual_at ≤ 办结.detail.statutory_due
  (falling back to the latest statutory_due of 受理/复表 when the closing event lacks it).
- Elapsed working days: working days from the receipt date to the closing date (start day not counted,
  official calendar) minus the working days the clock was stopped (Σ 复表.detail.stopped_working_days;
  where a 复表 lacks it, the working days from the 停表 date to the 复表 date).
- Percentiles use the nearest-rank method: the p-th percentile of n sorted values is the value at rank
  ⌈p·n/100⌉ (1-based). The median is the 50th percentile, so for an even n it is the lower of the two
  middle values, never an average: every figure reported is one a case actually had.
- Acceleration (提速倍数) of a decided case: 受理.detail.statutory_working_days ÷ max(elapsed, 1); the
  report gives the nearest-rank median over the decided cases that carry the statutory limit.
- Task duration: working days from a 承办 (task assigned) date to its 审核/会签 (answer) date, per task
  kind = the task_id before its first ":" plus the department ("review:highway"). The bottleneck is
  the kind with the highest median; ties go to the higher p90, then more tasks, then the name.
- Overdue: open cases whose promised due (the latest of 受理.planned_at and 复表.promised_due) is before
  "now", unless the clock is stopped (a 停表 with no 复表 after it: the applicant has the case); and
  closed cases that closed after their promised due. Working days overdue: from the due date to the
  date of "now" (open) or of closing (closed).
- 好差评: a bad rating is 1 or 2. Each 整改答复 answers the earliest unanswered 整改 of its case; it is
  on time when it comes no later than that 整改's planned_at.
- E-licence KPIs come from the licence repository (licences and outbox tables), not from the ledger,
  for the licences of the reported cases: 制证率 = approved cases with at least one licence ÷ approved
  cases (a case may issue several licences, so licences ÷ cases could pass 100 %); 归集率 = licences
  whose "licence_repository" outbox message is delivered ÷ licences; 数据合格率 = licences whose stored
  payload parses as a catalogue record, passes check_catalogue, is exactly what was signed and whose
  SM2 signature verifies ÷ licences; 激活率 = licences fetched at least once ÷ licences. Targets (Hunan
  2025): 制证率, 激活率 ≥ 80 %; 归集率, 数据合格率 ≥ 90 %.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, ValidationError

from domain.calendar import SHANGHAI, MissingCalendarYear, WorkingCalendar, YearStatus, calendar_outlook
from domain.case import Card as CaseCard
from domain.case import Outcome, Step
from domain.licence import LicenceCatalogue, canonical_bytes, check_catalogue
from domain.limits import BAD_RATING_AT_MOST

# --- the ledger vocabulary the report reads ------------------------------------------------------


class CardKind(StrEnum):
    """Supervision cards (电子监察预警/亮牌), mildest first."""

    WARNING = "催办"  # a working day before a limit
    YELLOW = "黄牌"  # a task or stage passed its own limit
    RED = "红牌"  # the case passed its promised limit
    STATUTORY_OVERRUN = "超法定时限"  # the case passed its statutory limit


class EvaluationStep(StrEnum):
    """好差评 events (国办发〔2019〕51号)."""

    RATED = "评价"
    RECTIFICATION = "整改"
    RECTIFICATION_REPLY = "整改答复"
    RETURN_VISIT = "回访"


CARD_KINDS: tuple[str, ...] = tuple(kind.value for kind in CardKind)
OUTCOMES: tuple[str, ...] = tuple(outcome.value for outcome in Outcome)
DECIDED_OUTCOMES = frozenset({Outcome.APPROVED.value, Outcome.REFUSED.value})
RATING_VALUES: tuple[str, ...] = ("1", "2", "3", "4", "5")

# Plain strings for the hot loop: a comparison with a str is cheaper than with an enum member.
_RECEIVED = Step.RECEIVED.value
_ACCEPTED = Step.ACCEPTED.value
_CLOCK_STOP = Step.CLOCK_STOP.value
_CLOCK_RESUME = Step.CLOCK_RESUME.value
_ASSIGNED = Step.ASSIGNED.value
_ANSWERS = frozenset({Step.REVIEWED.value, Step.COUNTERSIGNED.value})
_CLOSED = Step.CLOSED.value
_CARDS = frozenset(CARD_KINDS)
_RATED = EvaluationStep.RATED.value
_RECTIFICATION = EvaluationStep.RECTIFICATION.value
_RECTIFICATION_REPLY = EvaluationStep.RECTIFICATION_REPLY.value
_RETURN_VISIT = EvaluationStep.RETURN_VISIT.value
_RECOUNTED = Step.RECOUNTED.value  # 时限重算: a holiday notice moved the dues
_CARD_WITHDRAWN = Step.CARD_WITHDRAWN.value  # 撤销监察: a card raised before the recounted due

READS: dict[str, frozenset[str]] = {
    "matter": frozenset({_RECEIVED}),
    "department": frozenset({_ASSIGNED, *_CARDS, _CARD_WITHDRAWN}),
    "planned_at": frozenset({_ACCEPTED, _CLOSED, _RECTIFICATION}),
    "outcome": frozenset({_CLOSED, _RATED}),
}
"""Of these fields the report reads only the listed steps' values; a loader may blank the others
(matter and department as "", planned_at and outcome as None) to fetch less."""
STEPS_READ = frozenset(
    {_RECEIVED, _ACCEPTED, _CLOCK_STOP, _CLOCK_RESUME, _ASSIGNED, *_ANSWERS, _CLOSED, *_CARDS}
    | {step.value for step in EvaluationStep}
    | {_RECOUNTED, _CARD_WITHDRAWN}
)
"""The steps the report reads; a loader may leave the others (决定, 制证, 补正, 撤回 …) out."""
TASK_STEPS = frozenset({_ASSIGNED, *_ANSWERS})
"""Steps of which the report reads only detail["task_id"]."""
DETAIL_STEPS = frozenset({_ACCEPTED, _CLOCK_RESUME, _CLOSED, *_CARDS, _RECOUNTED, _CARD_WITHDRAWN})
"""Steps whose whole detail the report reads; of the other steps it reads none."""

ISSUANCE_TARGET = 0.80  # 制证率
ACTIVATION_TARGET = 0.80  # 激活率
COLLECTION_TARGET = 0.90  # 归集率
QUALITY_TARGET = 0.90  # 数据合格率

DEFINITIONS: dict[str, str] = {
    "cohort": "cases whose 收件 (receipt) falls in the period, dates in Asia/Shanghai",
    "decided": "closed (办结) with outcome approved or refused; the denominator of the on-time rates, "
    "the elapsed-time percentiles and the acceleration",
    "on_time_promised": "办结.actual_at ≤ 办结.planned_at (final promised due), over decided cases",
    "on_time_statutory": "办结.actual_at ≤ 办结.detail.statutory_due, over decided cases",
    "elapsed_working_days": "working days from receipt date to closing date (start day not counted) "
    "minus the working days the clock was stopped (停表→复表)",
    "percentiles": "nearest rank: the value at rank ⌈p·n/100⌉ of the n sorted values; the median is "
    "p50, the lower middle value for an even n",
    "acceleration": "statutory working days ÷ max(elapsed working days, 1) per decided case; median",
    "task_duration": "working days from 承办 to its 审核/会签, per task kind (task_id before the first "
    "':' + department); the bottleneck has the highest median",
    "overdue": "open cases past their promised due (clock not stopped), and cases closed after it",
    "ratings": "bad = 1 or 2; a 整改答复 answers the earliest open 整改 of its case, on time if no later "
    "than its planned_at",
    "licence_kpis": "from the licence repository, not the ledger: 制证率 = approved cases with a licence "
    "÷ approved cases; 归集率 = licences delivered to the licence repository ÷ licences; 数据合格率 = "
    "licences whose record parses, passes the catalogue checks, equals the signed bytes and whose SM2 "
    "signature verifies ÷ licences; 激活率 = licences fetched at least once ÷ licences",
}


class LedgerRecord(NamedTuple):
    """The columns of one ledger event the report needs (no hashes, no idempotency key).

    A loader may leave out the steps not in `STEPS_READ`, blank the fields `READS` says are not read
    for a step, and give `detail` only for `DETAIL_STEPS` (and just the task id for `TASK_STEPS`).
    """

    case_id: str
    matter: str
    seq: int
    step: str
    department: str
    planned_at: datetime | None
    actual_at: datetime
    outcome: str | None
    detail: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class LicenceRecord:
    """One issued licence, as the KPIs see it."""

    licence_id: str
    case_id: str
    collected: bool  # its 归集 message to the licence repository is delivered
    qualified: bool  # 数据合格: see `licence_is_qualified`
    activated: bool  # fetched at least once


SignatureCheck = Callable[[str, bytes, bytes], bool]
"""(public key hex, signed bytes, DER signature) → valid: `activities.seal.verify`."""


def licence_is_qualified(
    payload: Mapping[str, Any],
    signed_data: bytes,
    signature: bytes,
    public_key_hex: str,
    verify: SignatureCheck,
) -> bool:
    """数据合格: the stored record parses, passes `check_catalogue`, is the signed bytes, and verifies.

    The signature is checked last: it is by far the most expensive test.
    """
    try:
        catalogue = LicenceCatalogue.model_validate(payload)
    except ValidationError:
        return False
    if check_catalogue(catalogue) or canonical_bytes(catalogue) != signed_data:
        return False
    return verify(public_key_hex, signed_data, signature)


# --- working days and percentiles --------------------------------------------------------------------


class WorkdayCounter:
    """`WorkingCalendar.working_days_between` in constant time, over prefix sums of working days.

    Same answers and the same refusals (a year without a notice raises `MissingCalendarYear`), but a
    report over 100 000 cases asks for hundreds of thousands of date pairs.
    """

    def __init__(self, calendar: WorkingCalendar) -> None:
        self._years = frozenset(calendar.years)
        if not self._years:
            self._first = 0
            self._cumulative: list[int] = [0]
            return
        first, last = date(min(self._years), 1, 1), date(max(self._years), 12, 31)
        self._first = first.toordinal()
        cumulative, count = [], 0
        for ordinal in range(self._first, last.toordinal() + 1):
            day = date.fromordinal(ordinal)
            if day.year in self._years and calendar.is_working_day(day):
                count += 1
            cumulative.append(count)
        self._cumulative = cumulative

    def between(self, a: date, b: date) -> int:
        """Working days d with a < d ≤ b (the start day is not counted)."""
        if b < a:
            raise ValueError(f"working days between: end {b.isoformat()} is before start {a.isoformat()}")
        if a.year != b.year or a.year not in self._years:
            for year in range(a.year, b.year + 1):
                if year not in self._years:
                    raise MissingCalendarYear(year)
        first, cumulative = self._first, self._cumulative
        return cumulative[b.toordinal() - first] - cumulative[a.toordinal() - first]


def nearest_rank(sorted_values: Sequence[Any], p: int) -> Any:
    """The p-th percentile (0 < p ≤ 100) of ascending `sorted_values` by nearest rank; None if empty."""
    if not 0 < p <= 100:
        raise ValueError(f"percentile: expected 0 < p <= 100, got {p}")
    n = len(sorted_values)
    if n == 0:
        return None
    return sorted_values[max(1, -(-p * n // 100)) - 1]


_SHANGHAI_OFFSET = timedelta(hours=8)


def _local(dt: datetime) -> date:
    """The Shanghai date of an instant; UTC (how the ledger stores every time) by a fixed shift,
    which is exact: China keeps UTC+8 all year."""
    if dt.tzinfo is UTC:
        return (dt + _SHANGHAI_OFFSET).date()
    return dt.astimezone(SHANGHAI).date()


def _instant(value: object) -> datetime | None:
    """An aware datetime from an ISO string in an event's detail; None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def iso_week(d: date) -> str:
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


# --- one case, read from its events ------------------------------------------------------------------


class Card(NamedTuple):
    kind: str
    department: str
    scope: str  # "task", "stage", "case" (or "unspecified")
    subject: str  # the task kind, the stage, or "" for the case


@dataclass(slots=True)
class CaseFacts:
    """What the report needs to know about one case, read once from its events."""

    case_id: str
    matter: str
    received_at: datetime
    permit_class: str | None = None
    closed_at: datetime | None = None
    outcome: str | None = None
    promised_due: datetime | None = None  # latest of 受理.planned_at / 复表.promised_due / 办结.planned_at
    statutory_due: datetime | None = None
    statutory_working_days: int | None = None
    stopped_working_days: int = 0
    clock_stopped: bool = False
    elapsed_working_days: int | None = None  # decided cases only
    on_time_promised: bool | None = None  # decided cases only
    on_time_statutory: bool | None = None  # decided cases only
    acceleration: float | None = None  # decided cases with a statutory limit only
    cards: list[Card] = field(default_factory=list)
    task_durations: list[tuple[str, int]] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)
    rectifications_opened: int = 0
    rectifications_replied: int = 0
    rectifications_replied_on_time: int = 0
    return_visits: int = 0

    @property
    def decided(self) -> bool:
        return self.outcome in DECIDED_OUTCOMES

    @property
    def group(self) -> tuple[str, str | None]:
        return self.matter, self.permit_class


def task_kind(task_id: str, department: str) -> str:
    """A task's kind: "review:highway" for task "review:highway" or "review:2" of department highway."""
    return f"{task_id.partition(':')[0]}:{department}"


def read_case(events: Sequence[LedgerRecord], workdays: WorkdayCounter) -> CaseFacts | None:
    """The facts of one case from its events in seq order; None when it has no 收件 event."""
    received = events[0] if events and events[0].step == _RECEIVED else None
    if received is None:
        received = next((e for e in events if e.step == _RECEIVED), None)
        if received is None:
            return None
    facts = CaseFacts(case_id=received.case_id, matter=received.matter, received_at=received.actual_at)
    stopped_on: date | None = None
    assigned: dict[str, tuple[str, date]] = {}
    open_rectifications: list[datetime | None] = []
    statutory_due_closed: datetime | None = None
    # The most frequent steps first: a report reads about ten events per case, a million in all.
    for event in events:
        step, detail = event.step, event.detail
        if step == _ASSIGNED:
            task_id = detail.get("task_id")
            if isinstance(task_id, str):
                assigned[task_id] = (task_kind(task_id, event.department), _local(event.actual_at))
        elif step in _ANSWERS:
            task = assigned.pop(str(detail.get("task_id")), None)
            if task is not None:
                facts.task_durations.append((task[0], workdays.between(task[1], _local(event.actual_at))))
        elif step == _ACCEPTED:
            permit_class = detail.get("permit_class")
            facts.permit_class = permit_class if isinstance(permit_class, str) else None
            facts.promised_due = event.planned_at or facts.promised_due
            facts.statutory_due = _instant(detail.get("statutory_due")) or facts.statutory_due
            facts.statutory_working_days = _int(detail.get("statutory_working_days"))
        elif step == _CLOSED:
            facts.closed_at, facts.outcome = event.actual_at, event.outcome
            facts.promised_due = event.planned_at or facts.promised_due
            statutory_due_closed = _instant(detail.get("statutory_due"))
        elif step == _RECEIVED:
            continue
        elif step in _CARDS:
            facts.cards.append(_card(event))
        elif step == _RATED:
            rating = _rating(event.outcome)
            if rating is not None:
                facts.ratings.append(rating)
        elif step == _CLOCK_STOP:
            facts.clock_stopped, stopped_on = True, _local(event.actual_at)
        elif step == _CLOCK_RESUME:
            days = _int(detail.get("stopped_working_days"))
            if days is None and stopped_on is not None:
                days = workdays.between(stopped_on, _local(event.actual_at))
            facts.stopped_working_days += days or 0
            facts.clock_stopped, stopped_on = False, None
            facts.promised_due = _instant(detail.get("promised_due")) or facts.promised_due
            facts.statutory_due = _instant(detail.get("statutory_due")) or facts.statutory_due
        elif step == _RECTIFICATION:
            facts.rectifications_opened += 1
            open_rectifications.append(event.planned_at)
        elif step == _RECTIFICATION_REPLY:
            facts.rectifications_replied += 1
            if open_rectifications:
                due = open_rectifications.pop(0)
                if due is not None and event.actual_at <= due:
                    facts.rectifications_replied_on_time += 1
        elif step == _RETURN_VISIT:
            facts.return_visits += 1
        elif step == _RECOUNTED:
            new_due = detail.get("new_due")
            if isinstance(new_due, dict):
                facts.promised_due = _instant(new_due.get("promised")) or facts.promised_due
                facts.statutory_due = _instant(new_due.get("statutory")) or facts.statutory_due
        elif step == _CARD_WITHDRAWN:
            _withdraw_card(facts, event)
    if statutory_due_closed is not None:
        facts.statutory_due = statutory_due_closed
    if facts.decided and facts.closed_at is not None:
        _judge_decided(facts, workdays)
    return facts


def _judge_decided(facts: CaseFacts, workdays: WorkdayCounter) -> None:
    assert facts.closed_at is not None
    elapsed = workdays.between(_local(facts.received_at), _local(facts.closed_at))
    facts.elapsed_working_days = max(elapsed - facts.stopped_working_days, 0)
    if facts.promised_due is not None:
        facts.on_time_promised = facts.closed_at <= facts.promised_due
    if facts.statutory_due is not None:
        facts.on_time_statutory = facts.closed_at <= facts.statutory_due
    if facts.statutory_working_days is not None:
        facts.acceleration = facts.statutory_working_days / max(facts.elapsed_working_days, 1)


def _withdraw_card(facts: CaseFacts, event: LedgerRecord) -> None:
    """A 撤销监察 takes back the latest card of its kind and department: it is not counted."""
    try:
        kind = CaseCard(str(event.detail.get("card"))).step.value
    except ValueError:
        return
    for i in range(len(facts.cards) - 1, -1, -1):
        if facts.cards[i].kind == kind and facts.cards[i].department == event.department:
            del facts.cards[i]
            return


def _card(event: LedgerRecord) -> Card:
    scope = event.detail.get("scope")
    if scope == "task":
        task_id = event.detail.get("task_id")
        subject = task_kind(task_id, event.department) if isinstance(task_id, str) else "?"
    elif scope == "stage":
        subject = str(event.detail.get("stage") or "?")
    elif scope == "case":
        subject = ""
    else:
        scope, subject = "unspecified", ""
    return Card(event.step, event.department, str(scope), subject)


def _rating(outcome: str | None) -> int | None:
    return int(outcome) if outcome in RATING_VALUES else None


# --- the report ----------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Rate(_Model):
    """count of of; `rate` is None when nothing was counted (a 0 denominator is no 0 %)."""

    count: int
    of: int
    rate: float | None


class TargetRate(Rate):
    target: float
    meets_target: bool | None


class Elapsed(_Model):
    cases: int
    median: int | None
    p90: int | None


class Acceleration(_Model):
    cases: int
    median: float | None


class Ratings(_Model):
    count: int
    distribution: dict[str, int]
    mean: float | None
    bad: int
    bad_rated_cases: int
    bad_rated_cases_visited: int
    rectifications_opened: int
    rectifications_replied: int
    rectifications_replied_on_time: int
    return_visits: int


class LicenceKpis(_Model):
    licences: int
    approved_cases: int
    issuance_rate: TargetRate  # 制证率
    collection_rate: TargetRate  # 归集率
    quality_rate: TargetRate  # 数据合格率
    activation_rate: TargetRate  # 激活率


class GroupFigures(_Model):
    """The headline figures of one matter × permit class (or a subtotal: permit_class "*")."""

    matter: str
    permit_class: str | None
    received: int
    completed: int
    open: int
    by_outcome: dict[str, int]
    decided: int
    on_time_promised: Rate
    on_time_statutory: Rate
    elapsed_working_days: Elapsed
    acceleration: Acceleration
    cards: dict[str, int]
    ratings: Ratings
    licences: LicenceKpis


class TaskDurations(_Model):
    """Working days from 承办 to the answer, for one task kind: the five numbers of a box plot + p90."""

    task_kind: str
    count: int
    min: int
    q1: int
    median: int
    q3: int
    p90: int
    max: int


class WeekOnTime(_Model):
    week: str  # ISO week of receipt, "2026-W40"
    decided: int
    on_time_promised: int
    rate: float | None


class Cards(_Model):
    by_department: dict[str, dict[str, int]]
    by_scope: dict[str, dict[str, int]]
    by_task_kind: dict[str, dict[str, int]]
    by_stage: dict[str, dict[str, int]]


class OverdueCase(_Model):
    case_id: str
    matter: str
    permit_class: str | None
    status: str  # "open" or "closed"
    received_at: datetime
    due: datetime
    closed_at: datetime | None
    working_days_overdue: int


class TargetMiss(_Model):
    matter: str
    permit_class: str | None
    kpi: str
    rate: float
    target: float


class Period(_Model):
    received_from: date | None
    received_to: date | None
    now: datetime


class CalendarNote(_Model):
    """A year the report's working days lean on without an official notice (this year, or next year
    from 1 November), and how many open cases of the report have a due in or after it."""

    year: int
    status: YearStatus
    open_cases: int
    message: str


class AuditReport(_Model):
    period: Period
    definitions: dict[str, str]
    groups: list[GroupFigures]
    matters: list[GroupFigures]
    total: GroupFigures
    cards: Cards
    task_durations: list[TaskDurations]
    bottleneck: TaskDurations | None
    on_time_by_week: list[WeekOnTime]
    overdue: list[OverdueCase]
    targets_missed: list[TargetMiss]
    licences_outside_report: int
    calendar: list[CalendarNote] = []


ALL = "*"
"""The permit_class (or matter) of a subtotal row."""


def compute_report(
    events: Iterable[LedgerRecord],
    licences: Iterable[LicenceRecord],
    calendar: WorkingCalendar,
    *,
    now: datetime,
    received_from: date | None = None,
    received_to: date | None = None,
) -> AuditReport:
    """The report over the cases whose 收件 falls in [received_from, received_to] (None: open-ended).

    `events` may come in any order; each case's are put in seq order here.
    """
    workdays = WorkdayCounter(calendar)
    by_case: dict[str, list[LedgerRecord]] = defaultdict(list)
    for event in events:
        by_case[event.case_id].append(event)
    cases: list[CaseFacts] = []
    for case_events in by_case.values():
        case_events.sort(key=_seq)
        facts = read_case(case_events, workdays)
        if facts is not None and _in_period(facts.received_at, received_from, received_to):
            cases.append(facts)
    cases.sort(key=lambda c: c.case_id)
    case_ids = {c.case_id for c in cases}
    licences_by_case: dict[str, list[LicenceRecord]] = defaultdict(list)
    outside = 0
    for licence in licences:
        if licence.case_id in case_ids:
            licences_by_case[licence.case_id].append(licence)
        else:
            outside += 1

    groups_of: dict[tuple[str, str | None], list[CaseFacts]] = defaultdict(list)
    matters_of: dict[str, list[CaseFacts]] = defaultdict(list)
    for case in cases:
        groups_of[case.group].append(case)
        matters_of[case.matter].append(case)
    groups = [
        summarise(matter, permit_class, members, licences_by_case)
        for (matter, permit_class), members in sorted(groups_of.items(), key=_group_order)
    ]
    matters = [summarise(m, ALL, members, licences_by_case) for m, members in sorted(matters_of.items())]
    total = summarise(ALL, ALL, cases, licences_by_case)
    durations = task_durations(cases)
    return AuditReport(
        period=Period(received_from=received_from, received_to=received_to, now=now.astimezone(UTC)),
        definitions=DEFINITIONS,
        groups=groups,
        matters=matters,
        total=total,
        cards=count_cards(cases),
        task_durations=durations,
        bottleneck=bottleneck(durations),
        on_time_by_week=on_time_by_week(cases),
        overdue=overdue_cases(cases, now, workdays),
        targets_missed=targets_missed([*groups, *matters, total]),
        licences_outside_report=outside,
        calendar=calendar_notes(cases, calendar, now),
    )


def calendar_notes(
    cases: Sequence[CaseFacts], calendar: WorkingCalendar, now: datetime
) -> list[CalendarNote]:
    """Said before it bites: each year near `now` without a notice, with the open cases counting into it."""
    notes = []
    for outlook in calendar_outlook(calendar, now.astimezone(SHANGHAI).date()):
        open_cases = sum(
            1
            for case in cases
            if case.closed_at is None
            and any(
                due is not None and due.astimezone(SHANGHAI).year >= outlook.year
                for due in (case.promised_due, case.statutory_due)
            )
        )
        notes.append(
            CalendarNote(
                year=outlook.year,
                status=outlook.status,
                open_cases=open_cases,
                message=outlook.message(open_cases),
            )
        )
    return notes


def _seq(event: LedgerRecord) -> int:
    return event.seq


def _group_order(item: tuple[tuple[str, str | None], list[CaseFacts]]) -> tuple[str, bool, str]:
    (matter, permit_class), _ = item
    return matter, permit_class is None, permit_class or ""


def _in_period(received_at: datetime, start: date | None, end: date | None) -> bool:
    day = _local(received_at)
    return (start is None or day >= start) and (end is None or day <= end)


def _rate(count: int, of: int) -> Rate:
    return Rate(count=count, of=of, rate=round(count / of, 4) if of else None)


def _target_rate(count: int, of: int, target: float) -> TargetRate:
    rate = round(count / of, 4) if of else None
    return TargetRate(
        count=count, of=of, rate=rate, target=target, meets_target=None if rate is None else rate >= target
    )


def summarise(
    matter: str,
    permit_class: str | None,
    cases: Sequence[CaseFacts],
    licences_by_case: Mapping[str, Sequence[LicenceRecord]],
) -> GroupFigures:
    """The headline figures over `cases` (one group, a matter's subtotal or the grand total)."""
    by_outcome = dict.fromkeys(OUTCOMES, 0)
    cards = dict.fromkeys(CARD_KINDS, 0)
    decided = on_time = on_time_of = statutory = statutory_of = 0
    elapsed: list[int] = []
    accelerations: list[float] = []
    for case in cases:
        if case.outcome is not None:
            by_outcome[case.outcome] = by_outcome.get(case.outcome, 0) + 1
        for card in case.cards:
            cards[card.kind] += 1
        if not case.decided:
            continue
        decided += 1
        if case.on_time_promised is not None:
            on_time_of += 1
            on_time += case.on_time_promised
        if case.on_time_statutory is not None:
            statutory_of += 1
            statutory += case.on_time_statutory
        if case.elapsed_working_days is not None:
            elapsed.append(case.elapsed_working_days)
        if case.acceleration is not None:
            accelerations.append(case.acceleration)
    elapsed.sort()
    accelerations.sort()
    median_acceleration = nearest_rank(accelerations, 50)
    completed = sum(1 for case in cases if case.closed_at is not None)
    return GroupFigures(
        matter=matter,
        permit_class=permit_class,
        received=len(cases),
        completed=completed,
        open=len(cases) - completed,
        by_outcome=by_outcome,
        decided=decided,
        on_time_promised=_rate(on_time, on_time_of),
        on_time_statutory=_rate(statutory, statutory_of),
        elapsed_working_days=Elapsed(
            cases=len(elapsed), median=nearest_rank(elapsed, 50), p90=nearest_rank(elapsed, 90)
        ),
        acceleration=Acceleration(
            cases=len(accelerations),
            median=None if median_acceleration is None else round(median_acceleration, 2),
        ),
        cards=cards,
        ratings=summarise_ratings(cases),
        licences=licence_kpis(cases, licences_by_case),
    )


def summarise_ratings(cases: Sequence[CaseFacts]) -> Ratings:
    distribution = dict.fromkeys(RATING_VALUES, 0)
    bad_cases = visited = opened = replied = on_time = visits = 0
    for case in cases:
        for rating in case.ratings:
            distribution[str(rating)] += 1
        if any(rating <= BAD_RATING_AT_MOST for rating in case.ratings):
            bad_cases += 1
            visited += case.return_visits > 0
        opened += case.rectifications_opened
        replied += case.rectifications_replied
        on_time += case.rectifications_replied_on_time
        visits += case.return_visits
    count = sum(distribution.values())
    total = sum(int(value) * n for value, n in distribution.items())
    return Ratings(
        count=count,
        distribution=distribution,
        mean=round(total / count, 2) if count else None,
        bad=sum(n for value, n in distribution.items() if int(value) <= BAD_RATING_AT_MOST),
        bad_rated_cases=bad_cases,
        bad_rated_cases_visited=visited,
        rectifications_opened=opened,
        rectifications_replied=replied,
        rectifications_replied_on_time=on_time,
        return_visits=visits,
    )


def licence_kpis(
    cases: Sequence[CaseFacts], licences_by_case: Mapping[str, Sequence[LicenceRecord]]
) -> LicenceKpis:
    approved = [case for case in cases if case.outcome == Outcome.APPROVED.value]
    with_licence = sum(1 for case in approved if licences_by_case.get(case.case_id))
    licences = [licence for case in cases for licence in licences_by_case.get(case.case_id, ())]
    n = len(licences)
    return LicenceKpis(
        licences=n,
        approved_cases=len(approved),
        issuance_rate=_target_rate(with_licence, len(approved), ISSUANCE_TARGET),
        collection_rate=_target_rate(sum(lic.collected for lic in licences), n, COLLECTION_TARGET),
        quality_rate=_target_rate(sum(lic.qualified for lic in licences), n, QUALITY_TARGET),
        activation_rate=_target_rate(sum(lic.activated for lic in licences), n, ACTIVATION_TARGET),
    )


KPI_NAMES: dict[str, str] = {
    "issuance_rate": "制证率",
    "collection_rate": "归集率",
    "quality_rate": "数据合格率",
    "activation_rate": "激活率",
}


def targets_missed(rows: Iterable[GroupFigures]) -> list[TargetMiss]:
    """Every KPI below its Hunan 2025 target, per row (groups, subtotals, total)."""
    misses = []
    for row in rows:
        for kpi in KPI_NAMES:
            rate: TargetRate = getattr(row.licences, kpi)
            if rate.meets_target is False and rate.rate is not None:
                misses.append(
                    TargetMiss(
                        matter=row.matter,
                        permit_class=row.permit_class,
                        kpi=kpi,
                        rate=rate.rate,
                        target=rate.target,
                    )
                )
    return misses


def task_durations(cases: Iterable[CaseFacts]) -> list[TaskDurations]:
    by_kind: dict[str, list[int]] = defaultdict(list)
    for case in cases:
        for kind, working_days in case.task_durations:
            by_kind[kind].append(working_days)
    result = []
    for kind, days in sorted(by_kind.items()):
        days.sort()
        result.append(
            TaskDurations(
                task_kind=kind,
                count=len(days),
                min=days[0],
                q1=nearest_rank(days, 25),
                median=nearest_rank(days, 50),
                q3=nearest_rank(days, 75),
                p90=nearest_rank(days, 90),
                max=days[-1],
            )
        )
    return result


def bottleneck(durations: Sequence[TaskDurations]) -> TaskDurations | None:
    """The task kind with the highest median; ties: higher p90, then more tasks, then by name."""
    if not durations:
        return None
    return min(durations, key=lambda d: (-d.median, -d.p90, -d.count, d.task_kind))


def count_cards(cases: Iterable[CaseFacts]) -> Cards:
    tables: dict[str, dict[str, dict[str, int]]] = {
        "department": {},
        "scope": {},
        "task": {},
        "stage": {},
    }

    def add(table: str, key: str, kind: str) -> None:
        row = tables[table].setdefault(key, dict.fromkeys(CARD_KINDS, 0))
        row[kind] += 1

    for case in cases:
        for card in case.cards:
            add("department", card.department, card.kind)
            add("scope", card.scope, card.kind)
            if card.scope == "task":
                add("task", card.subject, card.kind)
            elif card.scope == "stage":
                add("stage", card.subject, card.kind)
    return Cards(
        by_department=dict(sorted(tables["department"].items())),
        by_scope=dict(sorted(tables["scope"].items())),
        by_task_kind=dict(sorted(tables["task"].items())),
        by_stage=dict(sorted(tables["stage"].items())),
    )


def on_time_by_week(cases: Iterable[CaseFacts]) -> list[WeekOnTime]:
    """On time against the promised limit, per ISO week of receipt, over decided cases."""
    weeks: dict[str, list[int]] = {}
    for case in cases:
        if case.on_time_promised is None:
            continue
        tally = weeks.setdefault(iso_week(_local(case.received_at)), [0, 0])
        tally[0] += 1
        tally[1] += case.on_time_promised
    return [
        WeekOnTime(week=week, decided=decided, on_time_promised=on_time, rate=round(on_time / decided, 4))
        for week, (decided, on_time) in sorted(weeks.items())
    ]


def overdue_cases(cases: Iterable[CaseFacts], now: datetime, workdays: WorkdayCounter) -> list[OverdueCase]:
    """Open cases past their promised due (clock running) and cases that closed after it."""
    overdue = []
    for case in cases:
        due = case.promised_due
        if due is None:
            continue
        if case.closed_at is None:
            if case.clock_stopped or due >= now:
                continue
            until, status = now, "open"
        elif case.closed_at > due:
            until, status = case.closed_at, "closed"
        else:
            continue
        overdue.append(
            OverdueCase(
                case_id=case.case_id,
                matter=case.matter,
                permit_class=case.permit_class,
                status=status,
                received_at=case.received_at,
                due=due,
                closed_at=case.closed_at,
                working_days_overdue=workdays.between(_local(due), _local(until)),
            )
        )
    overdue.sort(key=lambda o: (-o.working_days_overdue, o.case_id))
    return overdue


def period_bounds(
    received_from: date | None, received_to: date | None
) -> tuple[datetime | None, datetime | None]:
    """The period as instants: [start of `received_from`, start of the day after `received_to`)."""
    start = None if received_from is None else datetime.combine(received_from, datetime.min.time(), SHANGHAI)
    end = (
        None
        if received_to is None
        else datetime.combine(received_to + timedelta(days=1), datetime.min.time(), SHANGHAI)
    )
    return start, end
