"""Cases whose limits reach into a year without a State Council notice (issue 13).

The server's clock starts on Sun 2026-12-20 09:00 (Shanghai). With the notices transcribed up to 2026,
2027 is provisional: weekends and the statutory holidays (元旦 Fri Jan 1), no 调休. A class III
cross-province case received then is accepted at once; its dues, counted by hand (start day not
counted): review tasks 3 → Wed Dec 23; promised 7 → Tue Dec 29; statutory 20 → Dec 21–25 (5), 28–31
(9), Jan 4–8 (14), Jan 11–15 (19), Mon 2027-01-18 (20), provisional.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
import pytest_asyncio

from activities.deps import configure, dispose
from domain.calendar import SHANGHAI, end_of_day
from domain.case import Stage
from domain.notices import official_calendar
from store.ledger import SupervisionEvent, list_events
from tests.conftest import time_skipping_env_at
from tests.factories import CLASS_III, submission
from tests.polling import eventually
from tests.workflows.conftest import Cases, sample_deps
from worker import build_worker
from workflows import search_attributes as sa
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
    "travel_to": "2027-02-20",
}


def eod(y: int, m: int, d: int) -> datetime:
    return end_of_day(date(y, m, d))


@pytest_asyncio.fixture
async def december(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, task_queue: str
) -> AsyncIterator[Cases]:
    """A worker on a server pinned to 2026-12-20, counting on the real calendar data only."""
    async for env in time_skipping_env_at(tmp_path_factory, DECEMBER_20):
        deps = replace(await sample_deps(tmp_path), calendar=official_calendar())
        configure(deps)
        try:
            async with build_worker(env.client, task_queue):
                yield Cases(env, env.client, task_queue, deps)
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
        "review:province:湖北": eod(2026, 12, 23),
    }
    description = await handle.describe()
    assert description.typed_search_attributes.get(sa.DUES_PROVISIONAL) is True
    events = await ledger(december, handle.id)
    accepted = next(e for e in events if e.step == "受理")
    assert accepted.detail["statutory_due"] == eod(2027, 1, 18).isoformat()
    assert accepted.detail["dues_provisional"] is True
    assert accepted.actual_at.astimezone(SHANGHAI).date() == date(2026, 12, 20)
    await handle.terminate("test done")
