"""The figures (指标): cohorts, on-time rates, percentiles, cards, bottleneck, overdue cases, licence
KPIs, computed from the facts of each case. Changes when a figure's definition does (`DEFINITIONS`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

from domain.audit.facts import (
    CARD_KINDS,
    DECIDED_OUTCOMES,
    OUTCOMES,
    RATING_VALUES,
    CaseFacts,
    LedgerRecord,
    LicenceRecord,
    Unreadable,
    WorkdayCounter,
    iso_week,
    local_day,
    nearest_rank,
)
from domain.audit.report import (
    ACTIVATION_TARGET,
    ALL,
    COLLECTION_TARGET,
    DEFINITIONS,
    ISSUANCE_TARGET,
    KPI_NAMES,
    QUALITY_TARGET,
    Acceleration,
    AuditReport,
    CalendarNote,
    Cards,
    Elapsed,
    GroupFigures,
    LicenceKpis,
    OverdueCase,
    Period,
    Rate,
    Ratings,
    TargetMiss,
    TargetRate,
    TaskDurations,
    WeekOnTime,
)
from domain.audit.summary import CaseSummary, facts_of, read_case
from domain.calendar import SHANGHAI, WorkingCalendar, calendar_outlook
from domain.case import Outcome
from domain.limits import BAD_RATING_AT_MOST


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
    unreadable: list[Unreadable] = []
    for case_events in by_case.values():
        case_events.sort(key=_seq)
        facts = read_case(case_events, workdays, unreadable)
        if facts is not None and _in_period(facts.received_at, received_from, received_to):
            cases.append(facts)
    return report_of_cases(
        cases,
        len(unreadable),
        licences,
        calendar,
        workdays,
        now=now,
        received_from=received_from,
        received_to=received_to,
    )


def compute_report_from_summaries(
    summaries: Iterable[CaseSummary],
    licences: Iterable[LicenceRecord],
    calendar: WorkingCalendar,
    *,
    now: datetime,
    received_from: date | None = None,
    received_to: date | None = None,
) -> AuditReport:
    """`compute_report` from one summary per case (domain/audit/summary.py) instead of its events."""
    workdays = WorkdayCounter(calendar)
    cases, unreadable = cases_of_summaries(summaries, workdays, received_from, received_to)
    return report_of_cases(
        cases,
        unreadable,
        licences,
        calendar,
        workdays,
        now=now,
        received_from=received_from,
        received_to=received_to,
    )


def cases_of_summaries(
    summaries: Iterable[CaseSummary],
    workdays: WorkdayCounter,
    received_from: date | None = None,
    received_to: date | None = None,
) -> tuple[list[CaseFacts], int]:
    """The facts of the summaries' cases received in the period, and how many events the summaries
    left unread; for `report_of_cases` (a report may fold its summaries part by part)."""
    cases: list[CaseFacts] = []
    unreadable = 0
    for summary in summaries:
        unreadable += len(summary.unreadable)
        facts = facts_of(summary, workdays)
        if _in_period(facts.received_at, received_from, received_to):
            cases.append(facts)
    return cases, unreadable


def report_of_cases(
    cases: list[CaseFacts],
    unreadable_events: int,
    licences: Iterable[LicenceRecord],
    calendar: WorkingCalendar,
    workdays: WorkdayCounter,
    *,
    now: datetime,
    received_from: date | None,
    received_to: date | None,
) -> AuditReport:
    """The report from the facts of the cases in the period, however they were read."""
    cases.sort(key=lambda c: c.case_id)
    case_ids = {c.case_id for c in cases}
    licences_by_case: dict[str, list[LicenceRecord]] = defaultdict(list)
    outside = 0
    for licence in licences:
        if licence.case_id in case_ids:
            licences_by_case[licence.case_id].append(licence)
        else:
            outside += 1

    tallies: dict[tuple[str, str | None], _Tally] = {}
    for case in cases:
        tally = tallies.get(case.group)
        if tally is None:
            tally = tallies[case.group] = _Tally()
        tally.add(case, licences_by_case.get(case.case_id, ()))
    ordered = sorted(tallies.items(), key=_group_order)
    groups = [tally.figures(matter, permit_class) for (matter, permit_class), tally in ordered]
    tallies_of: dict[str, list[_Tally]] = defaultdict(list)
    for (matter, _), tally in ordered:
        tallies_of[matter].append(tally)
    matters = [_Tally.merged(of).figures(m, ALL) for m, of in sorted(tallies_of.items())]
    total = _Tally.merged(tallies.values()).figures(ALL, ALL)
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
        unreadable_events=unreadable_events,
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


def _group_order(item: tuple[tuple[str, str | None], object]) -> tuple[str, bool, str]:
    (matter, permit_class), _ = item
    return matter, permit_class is None, permit_class or ""


def _in_period(received_at: datetime, start: date | None, end: date | None) -> bool:
    day = local_day(received_at)
    return (start is None or day >= start) and (end is None or day <= end)


def _rate(count: int, of: int) -> Rate:
    return Rate(count=count, of=of, rate=round(count / of, 4) if of else None)


def _target_rate(count: int, of: int, target: float) -> TargetRate:
    rate = round(count / of, 4) if of else None
    return TargetRate(
        count=count, of=of, rate=rate, target=target, meets_target=None if rate is None else rate >= target
    )


class _Tally:
    """The headline figures' counts over some cases, added one case at a time; a matter's subtotal
    and the grand total merge their groups' tallies instead of going over the cases again."""

    __slots__ = (
        "accelerations",
        "activated",
        "approved",
        "bad_rated_cases",
        "bad_rated_cases_visited",
        "by_outcome",
        "cards",
        "collected",
        "completed",
        "decided",
        "elapsed",
        "licences",
        "on_time",
        "on_time_of",
        "other_outcomes",
        "qualified",
        "ratings",
        "received",
        "rectifications_opened",
        "rectifications_replied",
        "rectifications_replied_on_time",
        "return_visits",
        "statutory",
        "statutory_of",
        "with_licence",
    )

    def __init__(self) -> None:
        self.received = self.completed = self.decided = 0
        self.by_outcome: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
        # An outcome outside `OUTCOMES` → the first case (by id) with it: its place in `by_outcome`.
        self.other_outcomes: dict[str, str] = {}
        self.cards: dict[str, int] = dict.fromkeys(CARD_KINDS, 0)
        self.on_time = self.on_time_of = self.statutory = self.statutory_of = 0
        self.elapsed: list[int] = []
        self.accelerations: list[float] = []
        self.ratings: dict[str, int] = dict.fromkeys(RATING_VALUES, 0)
        self.bad_rated_cases = self.bad_rated_cases_visited = self.return_visits = 0
        self.rectifications_opened = self.rectifications_replied = self.rectifications_replied_on_time = 0
        self.approved = self.with_licence = 0
        self.licences = self.collected = self.qualified = self.activated = 0

    def add(self, case: CaseFacts, licences: Sequence[LicenceRecord]) -> None:
        """One more case (in case id order), with its licences."""
        self.received += 1
        if case.closed_at is not None:
            self.completed += 1
        outcome = case.outcome
        if outcome is not None:
            if outcome not in self.by_outcome:
                self.by_outcome[outcome] = 0
                self.other_outcomes[outcome] = case.case_id
            self.by_outcome[outcome] += 1
        for card in case.cards:
            self.cards[card.kind] += 1
        if outcome in DECIDED_OUTCOMES:
            self.decided += 1
            if case.on_time_promised is not None:
                self.on_time_of += 1
                self.on_time += case.on_time_promised
            if case.on_time_statutory is not None:
                self.statutory_of += 1
                self.statutory += case.on_time_statutory
            if case.elapsed_working_days is not None:
                self.elapsed.append(case.elapsed_working_days)
            if case.acceleration is not None:
                self.accelerations.append(case.acceleration)
        if case.ratings:
            for rating in case.ratings:
                self.ratings[str(rating)] += 1
            if min(case.ratings) <= BAD_RATING_AT_MOST:
                self.bad_rated_cases += 1
                self.bad_rated_cases_visited += case.return_visits > 0
        self.rectifications_opened += case.rectifications_opened
        self.rectifications_replied += case.rectifications_replied
        self.rectifications_replied_on_time += case.rectifications_replied_on_time
        self.return_visits += case.return_visits
        if outcome == _APPROVED:
            self.approved += 1
            self.with_licence += bool(licences)
        for licence in licences:
            self.licences += 1
            self.collected += licence.collected
            self.qualified += licence.qualified
            self.activated += licence.activated

    @classmethod
    def merged(cls, tallies: Iterable[_Tally]) -> _Tally:
        """The tally of the cases of all `tallies` (each case in one of them)."""
        total = cls()
        for tally in tallies:
            for name in _COUNTS:
                setattr(total, name, getattr(total, name) + getattr(tally, name))
            for name in ("by_outcome", "cards", "ratings"):
                into: dict[str, int] = getattr(total, name)
                for key, n in getattr(tally, name).items():
                    into[key] = into.get(key, 0) + n
            for outcome, case_id in tally.other_outcomes.items():
                first = total.other_outcomes.get(outcome)
                total.other_outcomes[outcome] = case_id if first is None else min(first, case_id)
            total.elapsed += tally.elapsed
            total.accelerations += tally.accelerations
        return total

    def figures(self, matter: str, permit_class: str | None) -> GroupFigures:
        # The outcomes in the order a pass over the cases in id order would have met them.
        by_outcome = {outcome: self.by_outcome[outcome] for outcome in OUTCOMES}
        for outcome in sorted(self.other_outcomes, key=self.other_outcomes.__getitem__):
            by_outcome[outcome] = self.by_outcome[outcome]
        elapsed, accelerations = sorted(self.elapsed), sorted(self.accelerations)
        median_acceleration = nearest_rank(accelerations, 50)
        return GroupFigures(
            matter=matter,
            permit_class=permit_class,
            received=self.received,
            completed=self.completed,
            open=self.received - self.completed,
            by_outcome=by_outcome,
            decided=self.decided,
            on_time_promised=_rate(self.on_time, self.on_time_of),
            on_time_statutory=_rate(self.statutory, self.statutory_of),
            elapsed_working_days=Elapsed(
                cases=len(elapsed), median=nearest_rank(elapsed, 50), p90=nearest_rank(elapsed, 90)
            ),
            acceleration=Acceleration(
                cases=len(accelerations),
                median=None if median_acceleration is None else round(median_acceleration, 2),
            ),
            cards=dict(self.cards),
            ratings=self._ratings(),
            licences=self._licence_kpis(),
        )

    def _ratings(self) -> Ratings:
        distribution = dict(self.ratings)
        count = sum(distribution.values())
        total = sum(int(value) * n for value, n in distribution.items())
        return Ratings(
            count=count,
            distribution=distribution,
            mean=round(total / count, 2) if count else None,
            bad=sum(n for value, n in distribution.items() if int(value) <= BAD_RATING_AT_MOST),
            bad_rated_cases=self.bad_rated_cases,
            bad_rated_cases_visited=self.bad_rated_cases_visited,
            rectifications_opened=self.rectifications_opened,
            rectifications_replied=self.rectifications_replied,
            rectifications_replied_on_time=self.rectifications_replied_on_time,
            return_visits=self.return_visits,
        )

    def _licence_kpis(self) -> LicenceKpis:
        n = self.licences
        return LicenceKpis(
            licences=n,
            approved_cases=self.approved,
            issuance_rate=_target_rate(self.with_licence, self.approved, ISSUANCE_TARGET),
            collection_rate=_target_rate(self.collected, n, COLLECTION_TARGET),
            quality_rate=_target_rate(self.qualified, n, QUALITY_TARGET),
            activation_rate=_target_rate(self.activated, n, ACTIVATION_TARGET),
        )


_APPROVED = Outcome.APPROVED.value
_COUNTS = tuple(
    name
    for name in _Tally.__slots__
    if name not in {"by_outcome", "other_outcomes", "cards", "ratings", "elapsed", "accelerations"}
)


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
        tally = weeks.setdefault(iso_week(local_day(case.received_at)), [0, 0])
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
                working_days_overdue=workdays.between(local_day(due), local_day(until)),
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
