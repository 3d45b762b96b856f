"""A retried activity writes nothing twice: the injected failure strikes after the database commit."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import sqlalchemy as sa

import activities.ledger
import activities.licensing
import activities.notices
from domain.case import Outcome
from store.ledger import list_events, verify_chain
from store.outbox import list_messages
from store.schema import LicenceRow
from tests.factories import CLASS_I, submission, with_request
from tests.workflows.conftest import Cases


def fail_once_after(real: Callable[..., Awaitable[Any]], calls: Counter[str], name: str):
    """Wrap a store write: the first call commits and then raises, as a crash after commit would."""

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = await real(*args, **kwargs)
        calls[name] += 1
        if calls[name] == 1:
            raise ConnectionError(f"injected failure after {name} committed")
        return result

    return wrapper


@pytest.fixture
def failures(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    calls: Counter[str] = Counter()
    monkeypatch.setattr(
        activities.licensing,
        "save_licence_once",
        fail_once_after(activities.licensing.save_licence_once, calls, "licence"),
    )
    monkeypatch.setattr(
        activities.ledger, "append_events", fail_once_after(activities.ledger.append_events, calls, "ledger")
    )
    monkeypatch.setattr(
        activities.notices, "enqueue", fail_once_after(activities.notices.enqueue, calls, "notice")
    )
    return calls


async def test_failures_after_commit_leave_one_licence_one_event_per_step_one_message_per_push(
    cases: Cases, failures: Counter[str]
):
    handle = await cases.start(submission(CLASS_I))
    final = await handle.result()
    assert final.outcome is Outcome.APPROVED
    assert failures["licence"] >= 2 and failures["ledger"] >= 2  # the failure did strike, then retried

    async with cases.deps.sessions() as session:
        licences = (
            await session.execute(sa.select(LicenceRow.licence_id).where(LicenceRow.case_id == handle.id))
        ).all()
        events = await list_events(session, handle.id)
        messages = await list_messages(session, handle.id)
        assert await verify_chain(session) == []
    assert [row.licence_id for row in licences] == final.licence_ids
    assert [e.step for e in events] == ["收件", "受理", "承办", "审核", "决定", "制证", "办结"]
    assert sorted(m.destination for m in messages) == ["checkpoint", "licence_repository", "notice"]


async def test_a_notice_retried_after_commit_is_queued_once(cases: Cases, failures: Counter[str]):
    handle = await cases.start(submission(with_request(CLASS_I, cargo__divisible=True)))
    final = await handle.result()
    assert final.outcome is Outcome.NOT_ACCEPTED
    assert failures["notice"] >= 2
    async with cases.deps.sessions() as session:
        messages = await list_messages(session, handle.id)
    assert [m.destination for m in messages] == ["notice"]
