"""Rebuild the supervision ledger from the Temporal histories, the source of truth (事件溯源).

The ledger is a projection: each case workflow writes its events through the `record_supervision`
local activity. Replaying a history runs the same workflow code again, deterministically, and calls
that activity with the same events — so an outbound interceptor on a replayer can collect exactly the
events the case wrote (or should have written), without executing anything. Comparing them with the
stored ledger by idempotency key finds every missing or altered event; `apply` appends the missing
ones in their original order, which gives back the same sequence numbers and hashes when a case's
rows were lost.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import workflow
from temporalio.client import Client, WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import (
    Interceptor,
    Replayer,
    StartLocalActivityInput,
    UnsandboxedWorkflowRunner,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from activities.ledger import SupervisionBatch
from domain.events import SupervisionEventIn, UnreadableEvent
from store.ledger import append_events, list_events


class LedgerDifference(BaseModel):
    case_id: str
    idempotency_key: str
    step: str
    problem: str  # "missing" or "differs: <fields>"


class RebuildReport(BaseModel):
    cases: int
    derived_events: int
    differences: list[LedgerDifference]
    restored: int = 0


class _Collector(Interceptor):
    """Collects the events each replayed case passes to `record_supervision`, per workflow id."""

    def __init__(self) -> None:
        self.events: dict[str, list[SupervisionEventIn]] = {}
        collector = self

        class Outbound(WorkflowOutboundInterceptor):
            def start_local_activity(self, input: StartLocalActivityInput) -> Any:
                if input.activity == "record_supervision" and input.args:
                    batch = input.args[0]
                    if isinstance(batch, SupervisionBatch):
                        collector.events.setdefault(workflow.info().workflow_id, []).extend(batch.events)
                return super().start_local_activity(input)

        class Inbound(WorkflowInboundInterceptor):
            def init(self, outbound: WorkflowOutboundInterceptor) -> None:
                super().init(Outbound(outbound))

        self._inbound = Inbound

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return self._inbound


async def derive_events(
    histories: AsyncIterator[WorkflowHistory], workflows: Sequence[type], converter: DataConverter
) -> dict[str, list[SupervisionEventIn]]:
    """The supervision events each history's workflow code writes, in order, by case id."""
    collector = _Collector()
    replayer = Replayer(
        workflows=workflows,
        # Replay only: no sandbox needed, and the interceptor's collector is shared directly.
        workflow_runner=UnsandboxedWorkflowRunner(),
        data_converter=converter,
        interceptors=[collector],
    )
    await replayer.replay_workflows(histories, raise_on_replay_failure=True)
    return collector.events


async def histories_of(client: Client, query: str) -> AsyncIterator[WorkflowHistory]:
    async for execution in client.list_workflows(query):
        yield await client.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()


_COMPARED: tuple[str, ...] = ("case_id", "matter", "actual_at")


def _compare(stored: SupervisionEventIn, derived: SupervisionEventIn) -> list[str]:
    """The fields in which a stored event differs from the one its history derives, compared as typed
    events (domain/events.py): a row written before a field existed, or with a time spelled "+00:00"
    rather than "Z", is the same event."""
    changed = [name for name in _COMPARED if getattr(stored, name) != getattr(derived, name)]
    try:
        before = stored.event().model_dump()
    except UnreadableEvent as exc:
        return [*changed, f"detail ({exc})"]
    after = derived.event().model_dump()
    return changed + [name for name in after if before.get(name) != after[name]]


async def rebuild_ledger(
    client: Client,
    sessions: async_sessionmaker[AsyncSession],
    workflows: Sequence[type],
    *,
    query: str = "OnethingMatter IS NOT NULL",
    apply: bool = False,
) -> RebuildReport:
    """Compare the ledger with what the histories derive; with `apply`, append what is missing."""
    derived = await derive_events(histories_of(client, query), workflows, client.data_converter)
    differences: list[LedgerDifference] = []
    missing: list[SupervisionEventIn] = []
    async with sessions() as session:
        for case_id, events in derived.items():
            stored = {e.idempotency_key: e for e in await list_events(session, case_id)}
            for event in events:
                if (found := stored.get(event.idempotency_key)) is None:
                    missing.append(event)
                    differences.append(
                        LedgerDifference(
                            case_id=case_id,
                            idempotency_key=event.idempotency_key,
                            step=event.step,
                            problem="missing",
                        )
                    )
                elif changed := _compare(found, event):
                    differences.append(
                        LedgerDifference(
                            case_id=case_id,
                            idempotency_key=event.idempotency_key,
                            step=event.step,
                            problem="differs: " + ", ".join(changed),
                        )
                    )
    report = RebuildReport(
        cases=len(derived), derived_events=sum(len(e) for e in derived.values()), differences=differences
    )
    if apply and missing:
        await append_events(sessions, missing)
        report.restored = len(missing)
    return report
