"""domain.audit without a database: percentiles, the working-day counter, one case's facts, licences."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.audit.facts import LedgerRecord, WorkdayCounter, licence_is_qualified, nearest_rank
from domain.audit.figures import compute_report, period_bounds
from domain.audit.summary import read_case
from domain.calendar import SHANGHAI, MissingCalendarYear, WorkingCalendar
from domain.case import Step
from domain.events import (
    Accepted,
    CardRaised,
    CardWithdrawn,
    DuesRecounted,
    Rated,
    Received,
    RectificationOpened,
    RectificationReplied,
)
from domain.notices import NOTICE_2024, NOTICE_2026, official_calendar
from tests.audit.fixture_ledger import NOW, CaseLog, at, due, fixture_cases, planned_licences

CAL = official_calendar()
COUNTER = WorkdayCounter(CAL)
D = date.fromisoformat


def records(cases: Sequence[CaseLog]) -> list[LedgerRecord]:
    """The fixture's events as the store would load them, seq numbered per case."""
    return [
        LedgerRecord(
            e.case_id,
            e.matter,
            seq,
            e.step,
            e.department,
            e.actor_role,
            e.planned_at,
            e.actual_at,
            e.limit_working_days,
            e.outcome,
            e.detail,
        )
        for case in cases
        for seq, e in enumerate(case.events, start=1)
    ]


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([], 50, None),
        ([7], 50, 7),
        ([7], 90, 7),
        ([1, 2, 3, 4], 50, 2),  # the lower middle, never the mean 2.5
        ([1, 2, 3, 4], 25, 1),
        ([1, 2, 3, 4], 75, 3),
        ([1, 2, 3, 4], 90, 4),
        ([1, 2, 3, 4, 5], 50, 3),
        (list(range(1, 11)), 90, 9),  # rank ⌈9⌉
        (list(range(1, 12)), 90, 10),  # rank ⌈9.9⌉
        (list(range(1, 11)), 100, 10),
        (list(range(1, 101)), 1, 1),
    ],
)
def test_nearest_rank(values: list[int], p: int, expected: int | None) -> None:
    assert nearest_rank(values, p) == expected


@pytest.mark.parametrize("p", [0, -1, 101])
def test_nearest_rank_refuses_a_percentile_out_of_range(p: int) -> None:
    with pytest.raises(ValueError, match="percentile"):
        nearest_rank([1, 2], p)


days_2024_2026 = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31))


@given(days_2024_2026, days_2024_2026)
def test_the_counter_agrees_with_the_calendar(a: date, b: date) -> None:
    a, b = min(a, b), max(a, b)
    assert COUNTER.between(a, b) == CAL.working_days_between(a, b)


def test_the_counter_refuses_what_the_calendar_refuses() -> None:
    with pytest.raises(MissingCalendarYear, match="2027"):
        COUNTER.between(D("2026-12-30"), D("2027-01-04"))
    with pytest.raises(MissingCalendarYear, match="2023"):
        COUNTER.between(D("2023-12-29"), D("2024-01-02"))
    with pytest.raises(ValueError, match="before start"):
        COUNTER.between(D("2026-03-02"), D("2026-03-01"))
    gap = WorkdayCounter(WorkingCalendar([NOTICE_2024, NOTICE_2026]))
    assert gap.between(D("2026-03-02"), D("2026-03-09")) == 5
    with pytest.raises(MissingCalendarYear, match="2025"):
        gap.between(D("2024-12-30"), D("2026-01-05"))


def test_period_bounds_are_shanghai_days() -> None:
    start, end = period_bounds(D("2026-09-01"), D("2026-09-30"))
    assert start == datetime(2026, 9, 1, tzinfo=SHANGHAI)
    assert end == datetime(2026, 10, 1, tzinfo=SHANGHAI)  # exclusive
    assert period_bounds(None, None) == (None, None)


def test_the_report_does_not_depend_on_the_order_events_arrive_in() -> None:
    events = records(fixture_cases())
    ordered = compute_report(events, [], CAL, now=NOW)
    shuffled = events[:]
    random.Random(7).shuffle(shuffled)
    assert compute_report(shuffled, [], CAL, now=NOW) == ordered
    assert ordered.total.received == 57
    assert ordered.total.licences.licences == 0
    assert ordered.total.licences.issuance_rate.rate == 0.0  # 41 approved cases, no licence loaded


def test_a_case_without_receipt_is_not_reported() -> None:
    case = CaseLog("NO-RECEIPT", "oversize-transport")
    case.accepted("2026-03-02", "I", ("2026-03-04", 2), ("2026-03-04", 2))
    assert read_case(records([case]), COUNTER) is None
    assert compute_report(records([case]), [], CAL, now=NOW).total.received == 0


def test_each_reply_answers_the_earliest_open_rectification() -> None:
    case = CaseLog("RECT", "oversize-transport").received("2026-03-02")

    def opened(due_day: str, limit: int) -> RectificationOpened:
        return RectificationOpened(
            department="highway", actor_role="system", planned_at=due(due_day), limit_working_days=limit
        )

    reply = RectificationReplied(department="highway", actor_role="officer")
    case.add(opened("2026-03-05", 2), at("2026-03-03"))
    case.add(opened("2026-03-09", 3), at("2026-03-04"))
    case.add(reply, at("2026-03-06"))  # answers the first, due 03-05: late
    case.add(reply, at("2026-03-09"))  # answers the second, due 03-09: on time
    case.add(reply, at("2026-03-10"))  # nothing left to answer: counted, never on time
    facts = read_case(records([case]), COUNTER)
    assert facts is not None
    assert (facts.rectifications_opened, facts.rectifications_replied) == (2, 3)
    assert facts.rectifications_replied_on_time == 1


@pytest.mark.parametrize(("outcome", "counted"), [("1", [1]), ("5", [5]), ("0", []), ("6", []), (None, [])])
def test_only_ratings_from_1_to_5_count(outcome: str | None, counted: list[int]) -> None:
    case = CaseLog("RATED", "oversize-transport").received("2026-03-02")
    case.add(Rated(department="applicant", outcome=outcome), at("2026-03-03"))
    facts = read_case(records([case]), COUNTER)
    assert facts is not None
    assert facts.ratings == counted


def test_a_stopped_clock_is_never_overdue_and_a_resumed_one_moves_the_due() -> None:
    case = CaseLog("STOPPED", "oversize-transport").received("2026-03-02")
    case.accepted("2026-03-02", "II", ("2026-03-09", 5), ("2026-03-09", 5))
    case.stop("2026-03-04", "专家评审")
    stopped = compute_report(records([case]), [], CAL, now=at("2026-03-20"))
    assert stopped.overdue == []
    case.resume(
        "2026-03-16", "专家评审", stopped_working_days=8, promised_due="2026-03-19", statutory_due=None
    )
    resumed = compute_report(records([case]), [], CAL, now=at("2026-03-20"))
    [overdue] = resumed.overdue
    assert (overdue.due, overdue.working_days_overdue) == (due("2026-03-19"), 1)


class Verifier:
    def __init__(self, answer: bool) -> None:
        self.answer, self.calls = answer, 0

    def __call__(self, public_key: str, data: bytes, signature: bytes) -> bool:
        self.calls += 1
        return self.answer


def sealed() -> tuple[dict[str, Any], bytes]:
    licence = planned_licences()[0].licence
    return licence.payload, licence.signed_data


def test_a_qualified_licence_parses_checks_out_matches_its_bytes_and_verifies() -> None:
    payload, signed = sealed()
    verifier = Verifier(True)
    assert licence_is_qualified(payload, signed, b"sig", "04ab", verifier)
    assert verifier.calls == 1
    assert not licence_is_qualified(payload, signed, b"sig", "04ab", Verifier(False))


@pytest.mark.parametrize(
    "spoil",
    [
        lambda p, s: ({**p, "identifier": None}, s),  # does not parse
        lambda p, s: ({**p, "jurisdiction_code": "4300"}, s),  # fails check_catalogue
        lambda p, s: (p, s + b" "),  # not the bytes that were signed
        lambda p, s: ({**p, "unexpected": "field"}, s),  # extra="forbid"
    ],
)
def test_an_unqualified_record_is_refused_before_the_costly_signature_check(spoil: Any) -> None:
    payload, signed = spoil(*sealed())
    verifier = Verifier(True)
    assert not licence_is_qualified(payload, signed, b"sig", "04ab", verifier)
    assert verifier.calls == 0


def test_a_recount_moves_the_dues_and_a_withdrawn_card_is_not_counted() -> None:
    """时限重算 and 撤销监察 (issue 13): judged on the recounted dues, without the card taken back."""
    t0 = datetime(2026, 12, 20, 9, 0, tzinfo=SHANGHAI)
    provisional = datetime(2027, 1, 18, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    official = datetime(2027, 1, 20, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    case = CaseLog("c1", "oversize-transport")
    case.add(Received(department="highway"), t0)
    case.add(
        Accepted(department="highway", actor_role="system", permit_class="III", statutory_due=provisional), t0
    )
    overdue = CardRaised(
        step=Step.STATUTORY_OVERDUE,
        department="highway",
        planned_at=provisional,
        scope="case",
        limit="statutory",
    )
    case.add(overdue, provisional)
    recount = DuesRecounted(
        department="highway",
        actor_role="system",
        year=2027,
        old_due={"statutory": provisional},
        new_due={"statutory": official},
    )
    case.add(recount, provisional)
    withdrawn = CardWithdrawn(
        department="highway",
        actor_role="system",
        planned_at=official,
        card="red-statutory",
        limit="statutory",
        reason="时限重算",
    )
    case.add(withdrawn, provisional)
    recs = records([case])
    facts = read_case(recs, COUNTER)
    assert facts is not None
    assert facts.statutory_due == official
    assert facts.cards == []
