"""Fewer commands per case (issue 18, `one-write-per-workflow-task`): what a workflow task records
goes to the ledger in one local activity, its search attributes in one upsert of what changed, the
registry look-ups and the seal run as local activities, and one patch marker stands for the earlier
ones.

Counted on the history, not timed: the bench (`python -m bench`, "history") prints the figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.ledger import SupervisionBatch, record_supervision
from activities.licensing import VehicleLicenceQuery, licences_for_vehicles
from bench.floor_workflow import FLOOR_ACTIVITIES, BenchFloor
from domain.case import Opinion, Outcome
from domain.licence import VehicleLicence
from domain.oversize_case import permit_roads
from store.ledger import list_events
from store.schema import LedgerEventRow
from tests.factories import CLASS_I, CLASS_II_URBAN, submission
from tests.polling import eventually
from tests.workflows.conftest import Cases, worker_with
from worker import workflow_runner
from workflows.case.effects import COUNT_ONCE_A_DAY, PER_WORKFLOW_TASK
from workflows.client import start_case
from workflows.oversize_transport import OversizeTransportCase

CHANGE_VERSION = "TemporalChangeVersion"  # the SDK's upsert beside each patch marker


async def events_of(handle: WorkflowHandle[Any, Any]) -> list[Any]:
    return list((await handle.fetch_history()).events)


def our_upserts(events: list[Any]) -> list[list[str]]:
    """The keys of each upsert the case made (not the SDK's patch bookkeeping)."""
    upserts = []
    for e in events:
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            keys = sorted(
                e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
            )
            if keys != [CHANGE_VERSION]:
                upserts.append(keys)
    return upserts


def local_activities(events: list[Any]) -> list[str]:
    names = []
    for e in events:
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            details = e.marker_recorded_event_attributes.details
            if "data" in details:
                names.append(json.loads(details["data"].payloads[0].data)["activity_type"])
    return names


def patches(events: list[Any]) -> list[str]:
    return [
        json.loads(e.marker_recorded_event_attributes.details["patch-data"].payloads[0].data)["id"]
        for e in events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and "patch-data" in e.marker_recorded_event_attributes.details
    ]


async def ledger_steps(cases: Cases, case_id: str) -> list[str]:
    async with cases.deps.sessions() as session:
        return [e.step for e in await list_events(session, case_id)]


async def test_a_class_i_case_writes_once_per_workflow_task(cases: Cases):
    handle = await cases.start(submission(CLASS_I))
    final = await handle.result()
    assert final.outcome is Outcome.APPROVED
    events = await events_of(handle)

    assert patches(events) == [PER_WORKFLOW_TASK, COUNT_ONCE_A_DAY]
    # Two workflow tasks with something to show: the auto path to 办结, then the window's end.
    assert len(our_upserts(events)) == 2
    # Three local activities: the registries with the permits held and every due of the day (promised,
    # acceptance, statutory, the review task, the rating window), the seal, and the seven steps in one
    # write when the case waits to be rated.
    assert sorted(local_activities(events)) == ["issue_licence", "prefill_with_permits", "record_supervision"]
    assert not [e for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]
    assert len(events) <= 30
    assert await ledger_steps(cases, handle.id) == ["收件", "受理", "承办", "审核", "决定", "制证", "办结"]


async def test_an_officers_answer_is_in_the_ledger_when_the_update_returns(cases: Cases):
    """The row an update records is written in the update's own workflow task, before its answer."""
    handle = await cases.start(submission(CLASS_II_URBAN))
    await wait_for_open_tasks(handle, 3)
    await handle.execute_update(
        OversizeTransportCase.submit_opinion,
        Opinion(task_id="review:urban_road", department="urban_road", approve=True),
    )
    assert (await ledger_steps(cases, handle.id)).count("审核") == 1


async def wait_for_open_tasks(handle: WorkflowHandle[Any, Any], count: int) -> None:
    async def check() -> bool | None:
        status = await handle.query(OversizeTransportCase.status)
        return True if len(status.open_tasks) == count else None

    await eventually(check)


@activity.defn(name="record_supervision")
async def refuse_every_batch(batch: SupervisionBatch) -> list[int]:
    raise ApplicationError("a key of another case (test)", type="LedgerConflict", non_retryable=True)


async def test_a_batch_the_ledger_refuses_for_good_fails_the_case(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
):
    """Written by the case's writer task, not by the step that recorded it, a refused batch still
    fails the case, as a refused write did when each step wrote its own row."""
    stand_ins = {record_supervision: refuse_every_batch}
    async with worker_with(time_skipping_env, tmp_path, task_queue, stand_ins):
        handle, _ = await start_case(time_skipping_env.client, submission(CLASS_I), task_queue)
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
    causes, cause = [], failed.value.cause
    while cause is not None:
        causes.append(cause)
        cause = getattr(cause, "cause", None)
    assert any(isinstance(c, ApplicationError) and c.type == "LedgerConflict" for c in causes), causes


async def test_an_answer_is_keyed_by_its_task_not_by_when_it_came(cases: Cases):
    """A workflow task that wrote its rows and never completed (a worker killed) runs again, and its
    messages may come back in another order: keyed by its task, an answer written twice is one row."""
    handle = await cases.start(submission(CLASS_II_URBAN))
    await wait_for_open_tasks(handle, 3)
    for task_id, department in (
        ("review:urban_road", "urban_road"),
        ("countersign:police", "police"),
        ("review:highway", "highway"),
    ):
        await handle.execute_update(
            OversizeTransportCase.submit_opinion,
            Opinion(task_id=task_id, department=department, approve=True),
        )
    assert (await handle.result()).outcome is Outcome.APPROVED
    async with cases.deps.sessions() as session:
        rows = (
            await session.execute(
                sa.select(LedgerEventRow.step, LedgerEventRow.idempotency_key)
                .where(LedgerEventRow.case_id == handle.id, LedgerEventRow.step.in_(["审核", "会签"]))
                .order_by(LedgerEventRow.seq)
            )
        ).all()
    assert [key for _, key in rows] == [
        f"{handle.id}:task:review:urban_road:审核",
        f"{handle.id}:task:countersign:police:会签",
        f"{handle.id}:task:review:highway:审核",
    ]


async def test_the_cases_own_permit_is_no_repeat(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
):
    """A try of the auto path that issued the permit and never completed leaves it in the store; the
    next try finds it by plate, and it is this case's own, not a second permit (同一车辆重复办证)."""
    sub = submission(CLASS_I)

    @activity.defn(name="licences_for_vehicles")
    async def own_permit_held(query: VehicleLicenceQuery) -> list[VehicleLicence]:
        return [
            VehicleLicence(
                licence_id="issued-by-an-earlier-try",
                case_id=activity.info().workflow_id,
                plate=query.plates[0],
                valid_from=query.valid_from,
                valid_to=query.valid_to,
                roads=permit_roads(sub),
            )
        ]

    async with worker_with(time_skipping_env, tmp_path, task_queue, {licences_for_vehicles: own_permit_held}):
        handle, _ = await start_case(time_skipping_env.client, sub, task_queue)
        final = await handle.result()
    assert final.outcome is Outcome.APPROVED, final.reasons


def command_events(events: list[Any]) -> list[str]:
    """What a first workflow task's completion recorded, in order: each marker as its kind (a patch, a
    local activity), each upsert, each timer; up to the case's wait (or the floor's end)."""
    kinds = []
    for e in events[4:]:  # after started, task scheduled, started, completed
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            kinds.append(e.marker_recorded_event_attributes.marker_name)
        elif e.event_type in (
            EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
            EventType.EVENT_TYPE_TIMER_STARTED,
        ):
            kinds.append(EventType.Name(e.event_type))
        else:
            break
    return kinds


async def test_the_bench_floor_makes_the_commands_of_a_class_i_case(cases: Cases):
    """bench/floor_workflow.py is the floor `auto_path.ratio_to_floor` is measured against only while
    it makes the commands a class I case makes; a change to the case's commands shows here."""
    case = await cases.start(submission(CLASS_I))
    assert (await case.result()).outcome is Outcome.APPROVED
    floor_queue = f"{cases.task_queue}-floor"
    async with Worker(
        cases.client,
        task_queue=floor_queue,
        workflows=[BenchFloor],
        activities=list(FLOOR_ACTIVITIES),
        workflow_runner=workflow_runner(),
    ):
        floor = await cases.client.start_workflow(
            BenchFloor.run, "floor-1", id=f"floor-{cases.task_queue}", task_queue=floor_queue
        )
        assert await floor.result() == "floor-1"
    case_commands = command_events(await events_of(case))
    assert case_commands.count("core_local_activity") == 3
    assert command_events(await events_of(floor)) == case_commands
