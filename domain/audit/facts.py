"""Reading the supervision ledger into facts (办件事实): one case's events → `CaseFacts`, the working-day
counter and percentiles the figures use. Changes when the ledger's vocabulary does (domain/events.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any, NamedTuple

from domain.calendar import SHANGHAI, MissingCalendarYear, WorkingCalendar
from domain.case import Card as CaseCard
from domain.case import Outcome, Step
from domain.events import (
    CardRaised,
    CardWithdrawn,
    SupervisionEvent,
    read_row,
)
from domain.licence import record_is_qualified

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

STEPS_READ = frozenset(
    {_RECEIVED, _ACCEPTED, _CLOCK_STOP, _CLOCK_RESUME, _ASSIGNED, *_ANSWERS, _CLOSED, *_CARDS}
    | {step.value for step in EvaluationStep}
    | {Step.RECOUNTED.value, Step.CARD_WITHDRAWN.value}
)
"""The steps the report reads; a loader may leave the others (决定, 制证, 补正, 撤回 …) out."""


class LedgerRecord(NamedTuple):
    """One stored ledger event (no hashes, no idempotency key), read through its typed model.

    A loader may leave out the steps not in `STEPS_READ`.
    """

    case_id: str
    matter: str
    seq: int
    step: str
    department: str
    actor_role: str
    planned_at: datetime | None
    actual_at: datetime
    limit_working_days: int | None
    outcome: str | None
    detail: Mapping[str, Any]

    def event(self) -> SupervisionEvent:
        """The typed event (domain/events.py); `UnreadableEvent` when the row does not parse."""
        return read_row(self)


class Unreadable(NamedTuple):
    """A stored event that does not parse as its step's model: reported, never counted."""

    case_id: str
    seq: int
    step: str
    problem: str


@dataclass(frozen=True, slots=True)
class LicenceRecord:
    """One issued licence, as the KPIs see it."""

    licence_id: str
    case_id: str
    collected: bool  # its 归集 message to the licence repository is delivered
    qualified: bool  # 数据合格: see `licence_is_qualified`
    activated: bool  # fetched by its holder (激活), not by a checkpoint or a verifier


SignatureCheck = Callable[[str, bytes, bytes], bool]
"""(public key hex, signed bytes, DER signature) → valid: `seal.sm2.verify`."""


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
    if not record_is_qualified(payload, signed_data):
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


_AT_UTC: dict[tzinfo | None, bool] = {UTC: True, None: False}


def at_utc(dt: datetime) -> bool:
    """Whether `dt` is in a fixed zone at UTC+0: `datetime.UTC` (how the ledger loader gives times) or
    pydantic's own zone for a JSON "Z" (how a summary gives them), remembered per zone — a summary's
    100 000 cases share one, and converting each of their times to `UTC` was a tenth of a report."""
    zone = dt.tzinfo
    known = _AT_UTC.get(zone)
    if known is None:
        assert zone is not None
        known = _AT_UTC[zone] = zone.utcoffset(None) == timedelta(0)
    return known


def local_day(dt: datetime) -> date:
    """The Shanghai date of an instant; at UTC (how the ledger stores every time) by a fixed shift,
    which is exact: China keeps UTC+8 all year."""
    if dt.tzinfo is UTC or at_utc(dt):
        return (dt + _SHANGHAI_OFFSET).date()
    return dt.astimezone(SHANGHAI).date()


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


def _judge_decided(facts: CaseFacts, workdays: WorkdayCounter) -> None:
    assert facts.closed_at is not None
    elapsed = workdays.between(local_day(facts.received_at), local_day(facts.closed_at))
    facts.elapsed_working_days = max(elapsed - facts.stopped_working_days, 0)
    if facts.promised_due is not None:
        facts.on_time_promised = facts.closed_at <= facts.promised_due
    if facts.statutory_due is not None:
        facts.on_time_statutory = facts.closed_at <= facts.statutory_due
    if facts.statutory_working_days is not None:
        facts.acceleration = facts.statutory_working_days / max(facts.elapsed_working_days, 1)


def _withdraw_card(facts: CaseFacts, event: CardWithdrawn) -> None:
    """A 撤销监察 takes back the latest card of its kind and department."""
    try:
        kind = CaseCard(event.card).step.value
    except ValueError:
        return
    for i in range(len(facts.cards) - 1, -1, -1):
        if facts.cards[i].kind == kind and facts.cards[i].department == event.department:
            del facts.cards[i]
            return


def _card(event: CardRaised) -> Card:
    """A card by its department, scope and subject: the task's kind, the stage, or "" for the case."""
    if event.scope == "task" and event.task_id is not None:
        subject = task_kind(event.task_id, event.department)
    elif event.scope == "stage":
        subject = event.stage or ""
    else:
        subject = ""
    return Card(event.step.value, event.department, event.scope, subject)


def _rating(outcome: str | None) -> int | None:
    return int(outcome) if outcome in RATING_VALUES else None
