"""queue_notice: one outbox message per (case, key), however often the activity runs."""

from __future__ import annotations

from typing import Any

from temporalio.testing import ActivityEnvironment

from activities.notices import NoticeInput, queue_notice
from bootstrap.deps import Deps
from store.outbox import OutboxMessage, list_messages


async def notify(case_id: str, key: str, recipient: str = "applicant", **payload: Any) -> bool:
    inp = NoticeInput(case_id=case_id, key=key, recipient=recipient, payload=payload)
    new: bool = await ActivityEnvironment().run(queue_notice, inp)
    return new


async def messages(deps: Deps) -> list[OutboxMessage]:
    async with deps.sessions() as session:
        return await list_messages(session)


async def test_queued_once_per_key(deps: Deps):
    assert await notify("case-1", "not_accepted", reason="超出许可范围") is True
    assert await notify("case-1", "not_accepted", reason="超出许可范围") is False

    [message] = await messages(deps)
    assert message.idempotency_key == "case-1:notice:not_accepted"
    assert message.destination == "notice"
    assert message.case_id == "case-1"
    assert message.payload == {"reason": "超出许可范围", "recipient": "applicant"}
    assert message.delivered_at is None


async def test_other_keys_and_cases_are_separate_messages(deps: Deps):
    assert await notify("case-1", "supplement-1")
    assert await notify("case-1", "supplement-2")
    assert await notify("case-2", "supplement-1")
    assert await notify("case-1", "warning:review:highway", recipient="highway", stage="review")
    stored = await messages(deps)
    assert [m.idempotency_key for m in stored] == [
        "case-1:notice:supplement-1",
        "case-1:notice:supplement-2",
        "case-2:notice:supplement-1",
        "case-1:notice:warning:review:highway",
    ]
    assert stored[-1].payload == {"stage": "review", "recipient": "highway"}


async def test_recipient_field_wins_over_a_payload_key(deps: Deps):
    inp = NoticeInput(case_id="case-1", key="k", recipient="police", payload={"recipient": "someone-else"})
    assert await ActivityEnvironment().run(queue_notice, inp)
    [message] = await messages(deps)
    assert message.payload["recipient"] == "police"
