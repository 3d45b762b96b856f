"""Ledger writes (电子监察记录) as a local activity: idempotent by each event's key."""

from __future__ import annotations

import structlog
from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from bootstrap.deps import current
from domain.events import SupervisionEventIn, UnreadableEvent
from store.ledger import LedgerConflict, append_events

log = structlog.get_logger(__name__)


class SupervisionBatch(BaseModel):
    """The activity's input: the events of one workflow task, in step order (workflows/case/effects.py;
    cases started before `one-write-per-workflow-task` write one event per batch, and every saved
    history's ledger marker holds their `[seq]`). All of a batch is appended in one transaction."""

    events: list[SupervisionEventIn]


@activity.defn
async def record_supervision(batch: SupervisionBatch) -> list[int]:
    """Append the batch in one transaction; each event's seq, in order (the stored one on a retry)."""
    try:
        seqs = await append_events(current().sessions, batch.events)
    except UnreadableEvent as exc:
        # The workflow built an event its step's model refuses: a bug, not a passing fault.
        raise ApplicationError(str(exc), type="UnreadableEvent", non_retryable=True) from exc
    except LedgerConflict as exc:
        # Another case owns the key: a bug in how keys are built, which no retry can fix.
        raise ApplicationError(str(exc), type="LedgerConflict", non_retryable=True) from exc
    for event, seq in zip(batch.events, seqs, strict=True):
        log.info("supervision recorded", case_id=event.case_id, step=event.step, seq=seq)
    return seqs
