"""Nothing retries without bound in the history (issue 13): a step that cannot progress for 30 days.

The case's first local activity (the pre-fill, which also counts the day's dues through the calendar)
is replaced by one that fails (retryably) while `broken` is set, as the due-date computation did for
every case reaching into 2027. Its few local tries fail, then it runs as
a regular activity whose retries the server keeps out of the history; once it can progress again the
case goes on within the hour.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.prefill_oversize import PrefillWithPermits, PrefillWithPermitsInput, prefill_with_permits
from domain.case import Stage
from tests.factories import CLASS_III, submission
from tests.polling import eventually
from tests.workflows.conftest import Cases, worker_with
from workflows.oversize_transport import OversizeTransportCase


class Store:
    broken = True
    for_good = False
    attempts = 0


@activity.defn(name="prefill_with_permits")
async def flaky_prefill(inp: PrefillWithPermitsInput) -> PrefillWithPermits:
    """The case's first local activity (the registries, the permits held, the day's dues)."""
    Store.attempts += 1
    if Store.broken:
        raise ApplicationError("store unreachable (test)", type="Unavailable", non_retryable=Store.for_good)
    return await prefill_with_permits(inp)


@pytest_asyncio.fixture
async def stuck(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> AsyncIterator[Cases]:
    Store.broken, Store.for_good, Store.attempts = True, False, 0
    async with worker_with(
        time_skipping_env, tmp_path, task_queue, {prefill_with_permits: flaky_prefill}
    ) as deps:
        yield Cases(time_skipping_env, time_skipping_env.client, task_queue, deps)


async def _pending_prefill(handle) -> bool:
    description = await handle.describe()
    pending = description.raw_description.pending_activities
    return any(p.activity_type.name == "prefill_with_permits" for p in pending)


@pytest.mark.slow  # about 2 minutes: some 750 retries, each a step of the time-skipping server
async def test_a_case_waiting_30_days_on_a_broken_step_keeps_a_short_history(stuck: Cases):
    handle = await stuck.start(submission(CLASS_III))
    await eventually(lambda: _pending_prefill(handle), within=60)
    for _ in range(30):  # a day at a time: one skip of 30 days outlasts the RPC's own timeout
        await stuck.env.sleep(timedelta(days=1))

    events = [e async for e in handle.fetch_history_events()]
    assert len(events) < 200, len(events)
    assert await _pending_prefill(handle)  # still waiting, as a regular activity
    assert Store.attempts > 30 * 20  # it kept trying, about every hour, without writing the history

    Store.broken = False  # the store is back: the next try (at most an hour on) goes through
    await stuck.env.sleep(timedelta(hours=1, minutes=1))

    async def in_review():
        status = await handle.query(OversizeTransportCase.status)
        return status.stage is Stage.REVIEW

    await eventually(in_review)
    await handle.terminate("test done")


async def test_a_failure_for_good_is_not_retried_as_a_regular_activity(stuck: Cases):
    Store.for_good = True
    handle = await stuck.start(submission(CLASS_III))
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    events = [e async for e in handle.fetch_history_events()]
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert "prefill_with_permits" not in scheduled
    assert Store.attempts == 1
