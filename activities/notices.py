"""Applicant and department notices (告知/催办) queued in the outbox, once per key."""

from __future__ import annotations

from typing import Any

import structlog
from pydantic import BaseModel
from temporalio import activity

from bootstrap.deps import current
from store.outbox import OutboxMessageIn, enqueue

log = structlog.get_logger(__name__)

DESTINATION = "notice"


class NoticeInput(BaseModel):
    case_id: str
    key: str  # unique within the case: "not_accepted", "supplement-1", "warning:review:highway"…
    recipient: str  # "applicant" or a department id
    payload: dict[str, Any]


@activity.defn
async def queue_notice(inp: NoticeInput) -> bool:
    """True when queued now, False when an earlier attempt already queued it."""
    message = OutboxMessageIn(
        idempotency_key=f"{inp.case_id}:notice:{inp.key}",
        destination=DESTINATION,
        case_id=inp.case_id,
        payload={**inp.payload, "recipient": inp.recipient},
    )
    async with current().sessions.begin() as session:
        new = await enqueue(session, [message]) == 1
    # The payload may hold personal data (names, phone numbers): only the key is logged.
    log.info("notice queued", case_id=inp.case_id, step="notice", key=inp.key, new=new)
    return new
