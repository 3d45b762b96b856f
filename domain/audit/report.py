"""The report's shape (效能监察报告): its models, the KPI targets and the definitions printed with it.
Changes when what auditors are shown changes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from domain.calendar import YearStatus

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
    "signature verifies ÷ licences; 激活率 = licences their holder fetched ÷ licences",
}


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
    unreadable_events: int = 0
    calendar: list[
        CalendarNote
    ] = []  # stored events that do not parse: left out; `--verify-ledger` names them


KPI_NAMES: dict[str, str] = {
    "issuance_rate": "制证率",
    "collection_rate": "归集率",
    "quality_rate": "数据合格率",
    "activation_rate": "激活率",
}


ALL = "*"
"""The permit_class (or matter) of a subtotal row."""
