"""Cases whose limits reach into a year without a State Council notice (issue 13).

The server's clock starts on Sun 2026-12-20 09:00 (Shanghai). With the notices transcribed up to 2026,
2027 is provisional: weekends and the statutory holidays (元旦 Fri Jan 1), no 调休. A class III
cross-province case received then is accepted at once; its dues, counted by hand (start day not
counted): review tasks 3 → Wed Dec 23; the en-route province's 15 (Art. 16) → Mon 2027-01-11;
promised 7 → Tue Dec 29; statutory 20 → Dec 21–25 (5), 28–31 (9), Jan 4–8 (14), Jan 11–15 (19),
Mon 2027-01-18 (20), provisional.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import WorkflowExecutionStatus

from bootstrap.deps import configure, dispose
from domain.calendar import SHANGHAI, YearNotice, end_of_day
from domain.case import Opinion, Outcome, Stage
from domain.notices import official_calendar
from store.holiday_notices import add_notice
from store.ledger import SupervisionEvent, list_events
from tests.conftest import time_skipping_env_at
from tests.factories import CLASS_I, CLASS_III, submission
from tests.polling import eventually
from tests.workflows.conftest import Cases, sample_deps
from worker import build_worker
from workflows import search_attributes as sa
from workflows.client import recount_open_cases
from workflows.oversize_transport import OversizeTransportCase

DECEMBER_20 = datetime(2026, 12, 20, 9, 0, tzinfo=SHANGHAI)

CROSS_PROVINCE = {
    **CLASS_III,
    "submission_id": "T-III-CROSS",
    "request": {**CLASS_III["request"], "cross_province": True},
    "route": [
        {"road": "G4", "from": "长沙", "to": "岳阳", "kind": "expressway", "province": "湖南"},
        {"road": "G4", "from": "岳阳", "to": "武汉", "kind": "expressway", "province": "湖北"},
    ],
    "travel_from": "2027-01-20",
    "travel_to": "2027-02-18",  # 30 days: a single trip's longest validity
}


def eod(y: int, m: int, d: int) -> datetime:
    return end_of_day(date(y, m, d))


@pytest_asyncio.fixture
async def december(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, task_queue: str, request: pytest.FixtureRequest
) -> AsyncIterator[Cases]:
    """A worker on a server pinned to 2026-12-20, counting on the real calendar data only."""
    async for env in time_skipping_env_at(tmp_path_factory, DECEMBER_20):
        deps = replace(await sample_deps(tmp_path), calendar=official_calendar())
        configure(deps)
        try:
            async with build_worker(env.client, task_queue):
                book = Cases(env, env.client, task_queue, deps)
                yield book
                if version := request.config.getoption("--record-histories"):
                    await book.save_histories(version, request.node.name)
        finally:
            configure(None)
            await dispose(deps)


async def ledger(cases: Cases, case_id: str) -> list[SupervisionEvent]:
    async with cases.deps.sessions() as session:
        return await list_events(session, case_id)


async def _in_review(handle):
    status = await handle.query(OversizeTransportCase.status)
    return status if status.stage is Stage.REVIEW and status.open_tasks else None


async def test_a_case_into_2027_is_accepted_at_once_with_provisional_dues(december: Cases):
    handle = await december.start(submission(CROSS_PROVINCE))
    status = await eventually(lambda: _in_review(handle))
    assert status.due == eod(2026, 12, 29)
    assert status.statutory_due == eod(2027, 1, 18)
    assert status.dues_provisional
    assert {t.task_id: t.due for t in status.open_tasks} == {
        "review:highway": eod(2026, 12, 23),
        "inspection:highway": eod(2026, 12, 23),  # 勘验: 3 working days
        "countersign:police": eod(2026, 12, 22),  # beside the reviews: 2 working days
        # An en-route province has Art. 16's 15 working days for class III: Jan 11, provisional.
        "review:province:湖北": eod(2027, 1, 11),
    }
    description = await handle.describe()
    assert description.typed_search_attributes.get(sa.DUES_PROVISIONAL) is True
    events = await ledger(december, handle.id)
    accepted = next(e for e in events if e.step == "受理")
    assert accepted.detail["statutory_due"] == eod(2027, 1, 18).isoformat()
    assert accepted.detail["dues_provisional"] is True
    assert accepted.actual_at.astimezone(SHANGHAI).date() == date(2026, 12, 20)
    await handle.terminate("test done")


# A TEST notice for 2027 (not the State Council's): 元旦 Jan 1–6, three weekdays more than the provisional
# year's Jan 1, and Sat Jan 9 a 调休 working day. Statutory 20 from Sun Dec 20: Dec 21–31 (9), Thu Jan 7,
# Fri Jan 8 (11), Sat Jan 9 (12), Jan 11–15 (17), Jan 18, 19, Wed 2027-01-20 (20).
TEST_NOTICE_2027 = YearNotice(
    year=2027,
    source="TEST notice for 2027 (not the State Council's)",
    holidays=frozenset(date(2027, 1, d) for d in range(1, 7)),
    make_up_workdays=frozenset({date(2027, 1, 9)}),
)


async def add_2027_notice(cases: Cases, case_id: str) -> dict[str, int]:
    """What `onething calendar add` does: store the notice, then message the open cases.

    The time-skipping server has no visibility queries, so the case is named here; on the dev server
    `recount_open_cases` finds it by `OnethingDuesProvisional = true` (tests/cli/test_calendar_recount.py).
    """
    await add_notice(cases.deps.sessions, TEST_NOTICE_2027, datetime.now(UTC))
    return await recount_open_cases(cases.client, 2027, TEST_NOTICE_2027.source, case_ids=[case_id])


async def sleep_until(cases: Cases, when: datetime) -> None:
    await cases.env.sleep(when - await cases.env.get_current_time())


def raised(events: list[SupervisionEvent], step: str) -> list[datetime | None]:
    """The dues of the `step` events, each checked to be raised at its due (give or take the worker)."""
    found = [e for e in events if e.step == step]
    for e in found:
        if step != "撤销监察":
            assert e.planned_at is not None
            assert timedelta(seconds=-1) < e.actual_at - e.planned_at < timedelta(minutes=1), e
    return [e.planned_at for e in found]


async def test_a_notice_moves_the_dues_to_the_official_dates_and_the_card_follows(december: Cases):
    handle = await december.start(submission(CROSS_PROVINCE))
    await eventually(lambda: _in_review(handle))

    assert await add_2027_notice(december, handle.id) == {"signalled": 1, "not_running": 0}

    async def recounted():
        status = await handle.query(OversizeTransportCase.status)
        return status if status.statutory_due == eod(2027, 1, 20) else None

    status = await eventually(recounted)
    assert not status.dues_provisional
    assert status.due == eod(2026, 12, 29)  # in 2026: unchanged
    assert (await handle.describe()).typed_search_attributes.get(sa.DUES_PROVISIONAL) is False
    (recount,) = [e for e in await ledger(december, handle.id) if e.step == "时限重算"]
    assert recount.detail["old_due"]["statutory"] == eod(2027, 1, 18).isoformat()
    assert recount.detail["new_due"]["statutory"] == eod(2027, 1, 20).isoformat()
    assert recount.detail["year"] == 2027 and recount.detail["still_provisional"] == []
    assert "promised" not in recount.detail["new_due"]

    await sleep_until(december, eod(2027, 1, 25))
    events = await ledger(december, handle.id)
    assert raised(events, "超法定时限") == [eod(2027, 1, 20)]  # not the provisional Jan 18
    assert raised(events, "红牌") == [eod(2026, 12, 29)]
    assert raised(events, "撤销监察") == []
    await handle.terminate("test done")


async def test_a_card_the_official_calendar_would_not_have_raised_is_withdrawn(december: Cases):
    handle = await december.start(submission(CROSS_PROVINCE))
    await eventually(lambda: _in_review(handle))
    await sleep_until(december, datetime(2027, 1, 19, 12, 0, tzinfo=SHANGHAI))
    events = await ledger(december, handle.id)
    assert raised(events, "超法定时限") == [eod(2027, 1, 18)]  # provisional: raised at the provisional due
    assert (await handle.query(OversizeTransportCase.status)).card == "red-statutory"

    await add_2027_notice(december, handle.id)

    async def withdrawn():
        found = [e for e in await ledger(december, handle.id) if e.step == "撤销监察"]
        return found or None

    (withdrawal,) = await eventually(withdrawn)
    assert withdrawal.detail == {"card": "red-statutory", "limit": "statutory", "reason": "时限重算"}
    assert withdrawal.planned_at == eod(2027, 1, 20)
    status = await handle.query(OversizeTransportCase.status)
    assert status.card == "red"  # the promised limit's red card of Dec 29 stands
    assert (await handle.describe()).typed_search_attributes.get(sa.CARD) == "red"

    await sleep_until(december, eod(2027, 1, 25))
    events = await ledger(december, handle.id)
    assert raised(events, "超法定时限") == [eod(2027, 1, 18), eod(2027, 1, 20)]
    assert (await handle.query(OversizeTransportCase.status)).card == "red-statutory"
    await handle.terminate("test done")


async def test_the_rating_window_of_a_closed_case_follows_the_notice(december: Cases):
    # Class I, approved by rules at once on Sun Dec 20; the 好差评 window is 10 working days: Dec 21–31 (9)
    # and provisionally Mon Jan 4 (10); on the test notice (Jan 1–6 off) Thu Jan 7.
    case = {**CLASS_I, "travel_from": "2027-01-20", "travel_to": "2027-02-18"}
    handle = await december.start(submission(case))

    async def approved():
        status = await handle.query(OversizeTransportCase.status)
        return status if status.outcome is Outcome.APPROVED else None

    assert (await eventually(approved)).dues_provisional
    await add_2027_notice(december, handle.id)

    async def recounted():
        found = [e for e in await ledger(december, handle.id) if e.step == "时限重算"]
        return found or None

    (recount,) = await eventually(recounted)
    assert recount.detail["old_due"]["evaluation"] == eod(2027, 1, 4).isoformat()
    assert recount.detail["new_due"]["evaluation"] == eod(2027, 1, 7).isoformat()

    await sleep_until(december, datetime(2027, 1, 5, 12, 0, tzinfo=SHANGHAI))
    assert (await handle.describe()).status is WorkflowExecutionStatus.RUNNING  # still open for a rating
    await sleep_until(december, datetime(2027, 1, 8, 9, 0, tzinfo=SHANGHAI))
    assert (await handle.describe()).status is WorkflowExecutionStatus.COMPLETED


async def test_the_supplement_reply_limit_is_provisional_and_follows_the_notice(december: Cases):
    # No escort plan: 补正 at once on Sun Dec 20, reply within 10 working days: Dec 21–31 (9) and
    # provisionally Mon Jan 4 (10); on the test notice (Jan 1–6 off) Thu Jan 7.
    handle = await december.start(submission(CROSS_PROVINCE, materials=["车货外廓尺寸图"]))

    async def in_supplement():
        status = await handle.query(OversizeTransportCase.status)
        return status if status.stage is Stage.SUPPLEMENT else None

    assert (await eventually(in_supplement)).dues_provisional
    await add_2027_notice(december, handle.id)

    async def recounted():
        found = [e for e in await ledger(december, handle.id) if e.step == "时限重算"]
        return found or None

    (recount,) = await eventually(recounted)
    assert recount.detail["old_due"]["supplement"] == eod(2027, 1, 4).isoformat()
    assert recount.detail["new_due"]["supplement"] == eod(2027, 1, 7).isoformat()

    await sleep_until(december, datetime(2027, 1, 5, 12, 0, tzinfo=SHANGHAI))
    status = await handle.query(OversizeTransportCase.status)
    assert (status.stage, status.outcome) == (Stage.SUPPLEMENT, None)  # the applicant may still answer
    await sleep_until(december, datetime(2027, 1, 8, 9, 0, tzinfo=SHANGHAI))
    assert (await handle.query(OversizeTransportCase.status)).outcome is Outcome.SUPPLEMENT_EXPIRED


async def test_a_due_counted_the_day_a_notice_arrives_is_counted_on_the_notice(december: Cases):
    # The day's first count (Sun Dec 20, at acceptance) counted every limit of the case, the 好差评
    # window's 10 working days among them: provisionally Mon Jan 4. The notice arrives, the case
    # recounts; the same day every task is approved and the case closes: its rating window, counted
    # then, is the notice's Thu Jan 7, not the morning's count kept for the day.
    handle = await december.start(submission(CROSS_PROVINCE))
    status = await eventually(lambda: _in_review(handle))
    await add_2027_notice(december, handle.id)

    async def recounted():
        found = [e for e in await ledger(december, handle.id) if e.step == "时限重算"]
        return found or None

    await eventually(recounted)
    for task in status.open_tasks:
        await handle.execute_update(
            OversizeTransportCase.submit_opinion,
            Opinion(task_id=task.task_id, department=task.department, approve=True),
        )

    async def closed():
        status = await handle.query(OversizeTransportCase.status)
        return status if status.stage is Stage.CLOSED else None

    assert (await eventually(closed)).outcome is Outcome.APPROVED
    assert (await december.env.get_current_time()).astimezone(SHANGHAI).date() == date(2026, 12, 20)
    await sleep_until(december, datetime(2027, 1, 5, 12, 0, tzinfo=SHANGHAI))
    assert (await handle.describe()).status is WorkflowExecutionStatus.RUNNING  # still open for a rating
    await sleep_until(december, datetime(2027, 1, 8, 9, 0, tzinfo=SHANGHAI))
    assert (await handle.describe()).status is WorkflowExecutionStatus.COMPLETED
