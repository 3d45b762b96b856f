"""The audit over a ledger the real workflows wrote: both matters side by side, each with its licences.

One 大件运输 class I case (approved by rules, one permit) and two 开办运输企业 cases (one approved with
the operating licence and three 道路运输证, one not accepted for dangerous goods) run on the
time-skipping server; the report is then built from the ledger and licence repository they filled.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from domain.calendar import SHANGHAI
from domain.case import CaseStatus, Outcome
from reports.as_csv import render_csv
from reports.as_table import render_table
from services.audit_report import build_report
from tests.audit.stack import Handle, Stack
from tests.factories import BUSINESS, BUSINESS_HEAVY, CLASS_I, DANGEROUS_GOODS, business, submission
from tests.workflows.conftest import calendar_for_tests

OVERSIZE = "oversize-transport"
OPEN_BUSINESS = "open-transport-business"


async def outcome_of(handle: Handle) -> Outcome:
    final: CaseStatus = await handle.result()  # through the 好差评 window: the server skips it
    assert final.outcome is not None
    return final.outcome


async def test_the_report_shows_both_matters_side_by_side(stack: Stack):
    business_tasks = [
        (task_id, "road_transport")
        for task_id in ["review:operating_licence", *(f"review:certificate:{p}" for p in BUSINESS_HEAVY)]
    ]
    # All three are received at the pinned instant before any result is awaited: the time-skipping server
    # keeps a finished workflow's (unset, ten-year) run timeout as a timer and may jump to it once nothing
    # else is pending, so a case started after another's result could be received in 2036 (registry
    # data then expired).
    handles = [
        await stack.start(submission(CLASS_I)),
        await stack.start(business(BUSINESS), tuple(business_tasks)),
        await stack.start(business(DANGEROUS_GOODS)),
    ]
    outcomes = [await outcome_of(h) for h in handles]
    assert outcomes == [Outcome.APPROVED, Outcome.APPROVED, Outcome.NOT_ACCEPTED]

    now = datetime(2026, 12, 1, 12, tzinfo=SHANGHAI)
    report = await build_report(stack.deps.sessions, calendar_for_tests(), now=now)

    matters = {row.matter: row for row in report.matters}
    assert sorted(matters) == [OPEN_BUSINESS, OVERSIZE]
    assert [(g.matter, g.permit_class) for g in report.groups] == [(OPEN_BUSINESS, None), (OVERSIZE, "I")]
    opened, oversize = matters[OPEN_BUSINESS], matters[OVERSIZE]
    assert (opened.received, opened.completed, opened.decided) == (2, 2, 1)
    assert opened.by_outcome["approved"] == 1 and opened.by_outcome["not_accepted"] == 1
    assert (oversize.received, oversize.decided, oversize.by_outcome["approved"]) == (1, 1, 1)
    # Decided the day it was received: on time against the promised 5 and the statutory 20 working days
    # (条例 Art. 24), 20 / max(0, 1) = 20× faster than the law allows.
    assert (opened.on_time_promised.rate, opened.on_time_statutory.rate) == (1.0, 1.0)
    assert opened.acceleration.median == 20.0
    # The operating licence and three certificates for one approved case; one permit for the other.
    assert (opened.licences.licences, opened.licences.approved_cases) == (4, 1)
    assert opened.licences.issuance_rate.rate == 1.0
    assert opened.licences.quality_rate.rate == 1.0  # every record parses, matches and verifies
    assert (oversize.licences.licences, oversize.licences.quality_rate.rate) == (1, 1.0)
    assert report.total.received == 3 and report.total.licences.licences == 5
    assert report.licences_outside_report == 0

    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert [(r["matter"], r["permit_class"]) for r in rows] == [
        (OPEN_BUSINESS, ""),
        (OVERSIZE, "I"),
        (OPEN_BUSINESS, "*"),
        (OVERSIZE, "*"),
        ("*", "*"),
    ]
    table = render_table(report)
    assert OPEN_BUSINESS in table and OVERSIZE in table
