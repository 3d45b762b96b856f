"""The headline figures as `domain.audit.figures` computed them before issue 18 made them tallies:
one pass over the cases of each group, matter and the total. Kept verbatim as the reference the
tallies are compared with (tests/audit/test_figures_tallies.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.audit.facts import CARD_KINDS, OUTCOMES, RATING_VALUES, CaseFacts, LicenceRecord, nearest_rank
from domain.audit.figures import _rate, _target_rate
from domain.audit.report import (
    ACTIVATION_TARGET,
    COLLECTION_TARGET,
    ISSUANCE_TARGET,
    QUALITY_TARGET,
    Acceleration,
    Elapsed,
    GroupFigures,
    LicenceKpis,
    Ratings,
)
from domain.case import Outcome
from domain.limits import BAD_RATING_AT_MOST


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
