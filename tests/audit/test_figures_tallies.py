"""The headline figures from tallies (one pass over the cases, merged into the matters' subtotals and
the total) are those of the pass per group, per matter and over all cases that came before them
(tests/audit/reference_figures.py), on the fixture ledger's cases and on cases with outcomes outside
`OUTCOMES`, whose place in `by_outcome` is where a pass in case id order would put them."""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from domain.audit.facts import CaseFacts, LicenceRecord, WorkdayCounter
from domain.audit.figures import _group_order, report_of_cases
from domain.audit.report import ALL, GroupFigures
from domain.audit.summary import facts_of
from domain.notices import official_calendar
from services.audit_report import judge
from store.audit_queries import load_licence_records
from store.case_summaries import load_summaries
from tests.audit import reference_figures
from tests.audit.fixture_ledger import NOW
from tests.store.conftest import Db

CAL = official_calendar()


def reference(
    cases: list[CaseFacts], licences: list[LicenceRecord]
) -> tuple[list[GroupFigures], list[GroupFigures], GroupFigures]:
    """Groups, matters and total as `report_of_cases` computed them before the tallies."""
    cases = sorted(cases, key=lambda c: c.case_id)
    licences_by_case: dict[str, list[LicenceRecord]] = defaultdict(list)
    for licence in licences:
        licences_by_case[licence.case_id].append(licence)
    groups_of: dict[tuple[str, str | None], list[CaseFacts]] = defaultdict(list)
    matters_of: dict[str, list[CaseFacts]] = defaultdict(list)
    for case in cases:
        groups_of[case.group].append(case)
        matters_of[case.matter].append(case)
    summarise = reference_figures.summarise
    groups = [
        summarise(matter, permit_class, members, licences_by_case)
        for (matter, permit_class), members in sorted(groups_of.items(), key=_group_order)
    ]
    matters = [summarise(m, ALL, members, licences_by_case) for m, members in sorted(matters_of.items())]
    return groups, matters, summarise(ALL, ALL, cases, licences_by_case)


async def fixture_facts(db: Db) -> tuple[list[CaseFacts], list[LicenceRecord]]:
    async with db.sessions() as session:
        summaries = await load_summaries(session)
        licences = [judge(licence) for licence in await load_licence_records(session)]
    workdays = WorkdayCounter(CAL)
    return [facts_of(summary, workdays) for summary in summaries], licences


def assert_same_headlines(cases: list[CaseFacts], licences: list[LicenceRecord]) -> None:
    groups, matters, total = reference(cases, licences)
    report = report_of_cases(
        list(cases), 0, licences, CAL, WorkdayCounter(CAL), now=NOW, received_from=None, received_to=None
    )
    assert [g.model_dump_json() for g in report.groups] == [g.model_dump_json() for g in groups]
    assert [m.model_dump_json() for m in report.matters] == [m.model_dump_json() for m in matters]
    assert report.total.model_dump_json() == total.model_dump_json()


async def test_the_tallies_give_the_figures_of_a_pass_per_group(audit_db: Db) -> None:
    cases, licences = await fixture_facts(audit_db)
    assert len({c.group for c in cases}) > 2 and len({c.matter for c in cases}) > 1
    assert_same_headlines(cases, licences)


async def test_outcomes_outside_the_list_keep_the_place_a_pass_would_give_them(audit_db: Db) -> None:
    cases, licences = await fixture_facts(audit_db)
    first = min(cases, key=lambda c: c.case_id)  # its group's tally is the first one made
    other = next(c for c in cases if c.group != first.group)
    # "zeta" is in the first group, "alpha" in a later one but on an earlier case id: a pass over the
    # cases in id order meets alpha first, a merge of the groups in their order would meet zeta first.
    odd = [
        dataclasses.replace(first, case_id="zz-odd-1", outcome="zeta"),
        dataclasses.replace(other, case_id=f"{first.case_id}-odd-2", outcome="alpha"),
    ]
    assert_same_headlines(cases + odd, licences)
