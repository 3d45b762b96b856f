"""Builds the Temporal client and worker for onething and runs it.

Everything that must be the same for every process talking to the cluster lives here: the data
converter (pydantic), the task queue, the registered workflows and activities. The workflows and
pre-fill activities are the matter registry's (workflows/matters.py); the other activities every
matter shares.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Callable
from typing import Any

import structlog
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.deadlines import compute_due_dates, move_due_dates, recount_due_dates
from activities.ledger import record_supervision
from activities.licensing import issue_licence, licences_for_vehicles
from activities.notices import queue_notice
from bootstrap.deps import Deps, configure
from bootstrap.tls import temporal_tls
from codec import EncryptionCodec, codec_from_env, encrypted_converter
from services.calendar_outlook import calendar_warnings_now
from services.outbox_relay import run_relay, sender_from_env
from settings import Settings
from workflows import search_attributes
from workflows.matters import MATTERS, MatterRegistry

log = structlog.get_logger(__name__)

# The steps every matter's workflow takes (workflows/case/); each matter adds its pre-fill.
SHARED_ACTIVITIES: list[Callable[..., Any]] = [
    compute_due_dates,
    move_due_dates,
    recount_due_dates,
    record_supervision,
    issue_licence,
    licences_for_vehicles,
    queue_notice,
]


def activities_for(matters: MatterRegistry) -> list[Callable[..., Any]]:
    return [*matters.own_activities, *SHARED_ACTIVITIES]


WORKFLOWS = MATTERS.workflows
ACTIVITIES = activities_for(MATTERS)


async def register_search_attributes(client: Client, namespace: str = "default") -> None:
    """Register our custom search attributes where the server does not have them yet.

    The dev server gets them by flag at start; the time-skipping server and a fresh cluster need
    this call. Registering an attribute that exists is skipped, so this is safe at every start.
    """
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        known = set(existing.custom_attributes)
    except RPCError as exc:
        # The time-skipping test server can add attributes but cannot list them.
        if exc.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        known = set()
    missing = {
        key.name: IndexedValueType.ValueType(SearchAttributeIndexedValueType(key.indexed_value_type))
        for key in search_attributes.ALL
        if key.name not in known
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )


def build_worker(
    client: Client, task_queue: str, *, matters: MatterRegistry = MATTERS, **options: Any
) -> Worker:
    """A worker for the workflows of `matters` and their activities (their runner: `workflow_runner`).

    It decodes through `key_holders_only(client)`: inputs nobody with the codec key sealed are refused.
    """
    return Worker(
        key_holders_only(client),
        task_queue=task_queue,
        workflows=matters.workflows,
        activities=activities_for(matters),
        workflow_runner=workflow_runner(),
        **options,
    )


def key_holders_only(client: Client) -> Client:
    """The client a worker polls with: the same connection and settings, its codec refusing (codec.py).

    The portal may share `client` (`onething up` runs both in one process) and keeps decoding what the
    UI shows. A client without our codec (the tests' plain converter) is returned as it is.
    """
    codec = client.data_converter.payload_codec
    if not isinstance(codec, EncryptionCodec):
        return client
    config = client.config()
    config["data_converter"] = dataclasses.replace(client.data_converter, payload_codec=codec.refusing())
    return Client(**config)


def workflow_runner() -> UnsandboxedWorkflowRunner:
    """How workers and the replayer run workflow code: in the worker's own interpreter, unsandboxed.

    Temporal's sandbox re-imported every module a workflow uses for each run and proxied the clock,
    randomness and I/O, so that a call that would break replay fails at once. Passing the pure modules
    through (domain, pydantic, and since issue 18 the workflow modules themselves) had already turned
    that off for all of our code; what it still cost was an `exec` of a small code string, inside its
    import hooks, for every activation and for every payload's serialization context: 11.8 → 7.2 ms
    of the trivial workflow's worker CPU, 39 → 20 ms of the floor's, 107 → 72 ms of a class I case's
    (issue 18, measured with the bench's quick figures, one run each way on the same machine).

    What the sandbox checked is checked on the source of every module that runs in a workflow, before
    anything runs: only the modules of an allow-list, no clock but `workflow.now()`, no `open()`, no
    mutable state at module or class level (tests/workflows/test_workflow_code_rules.py); and every
    saved history must replay to the same commands (tests/workflows/test_replay.py). The
    `imports_passed_through()` blocks in workflows/ stay: they cost nothing unsandboxed, and keep the
    modules ready for the sandbox should a worker ever be given one.
    """
    return UnsandboxedWorkflowRunner()


async def connect(settings: Settings) -> Client:
    """A client whose payloads are encrypted (codec.py): the server never sees case data in clear.

    With `settings.metrics_address` its runtime serves the SDK's Prometheus metrics there (task
    slots, poll and schedule-to-start latencies, workflow and activity failures: README "What to
    alert on"); the worker built on this client reports through it.
    """
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=encrypted_converter(codec_from_env(os.environ, settings.data_dir)),
        runtime=metrics_runtime(settings.metrics_address),
        tls=temporal_tls(),
    )


_runtimes: dict[str, Runtime] = {}


def metrics_runtime(address: str | None) -> Runtime | None:
    """A Temporal runtime exporting Prometheus metrics at `address` (one per address and process: a
    runtime binds its port when created); None keeps the SDK's default runtime, without metrics."""
    if address is None:
        return None
    if address not in _runtimes:
        # Seconds, not milliseconds, and counters with _total: what Prometheus' own conventions expect.
        prometheus = PrometheusConfig(
            bind_address=address, counters_total_suffix=True, durations_as_seconds=True
        )
        _runtimes[address] = Runtime(telemetry=TelemetryConfig(metrics=prometheus))
    return _runtimes[address]


async def run_worker(client: Client, settings: Settings, deps: Deps, stop: asyncio.Event) -> None:
    """Poll the task queue and relay the outbox until `stop` is set; then drain in-flight work."""
    configure(deps)
    relay = asyncio.create_task(run_relay(deps.sessions, sender_from_env(), stop=stop))
    worker = build_worker(client, settings.task_queue, max_cached_workflows=settings.workflow_cache)
    log.info("worker started", task_queue=settings.task_queue, address=settings.temporal_address)
    for warning in await calendar_warnings_now(client, deps):
        log.warning("holiday notice missing", detail=warning)
    async with worker:
        await stop.wait()
    await relay
    log.info("worker stopped", task_queue=settings.task_queue)
