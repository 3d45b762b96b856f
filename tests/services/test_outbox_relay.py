"""The outbox relay: each message delivered once; a failed send stays pending and is retried later."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from temporalio.testing import ActivityEnvironment

from activities.notices import NoticeInput, queue_notice
from bootstrap.deps import Deps
from services import outbox_relay as relay
from services.outbox_relay import (
    NoPushUrl,
    drain,
    http_sender,
    logging_sender,
    push_urls_from_env,
    run_relay,
    sender_from_env,
)
from store.outbox import OutboxMessage, list_messages, retry_delay


async def queue(case_id: str, *keys: str) -> None:
    for key in keys:
        inp = NoticeInput(case_id=case_id, key=key, recipient="applicant", payload={"phone": "13800000000"})
        assert await ActivityEnvironment().run(queue_notice, inp)


async def stored(deps: Deps) -> list[OutboxMessage]:
    async with deps.sessions() as session:
        return await list_messages(session)


class FakeLog:
    """Stands in for the relay's structlog logger (robust to however logging gets configured)."""

    def __init__(self) -> None:
        self.entries: list[dict[str, object]] = []

    def _record(self, event: str, **fields: object) -> None:
        self.entries.append({"event": event, **fields})

    info = warning = exception = _record


@pytest.fixture
def relay_log(monkeypatch: pytest.MonkeyPatch) -> FakeLog:
    fake = FakeLog()
    monkeypatch.setattr(relay, "log", fake)
    return fake


class Recorder:
    def __init__(self, failures: int = 0) -> None:
        self.sent: list[str] = []
        self.failures = failures

    async def __call__(self, message: OutboxMessage) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("receiver unavailable")
        self.sent.append(message.idempotency_key)


async def test_drain_delivers_each_message_once(deps: Deps):
    await queue("case-1", "a", "b", "c")
    send = Recorder()

    assert await drain(deps.sessions, send) == 3
    assert await drain(deps.sessions, send) == 0
    assert await drain(deps.sessions, send, now=datetime.now(UTC) + timedelta(days=1)) == 0

    assert sorted(send.sent) == ["case-1:notice:a", "case-1:notice:b", "case-1:notice:c"]
    assert all(m.delivered_at is not None for m in await stored(deps))


async def test_failed_send_stays_pending_until_the_backoff_has_passed(deps: Deps):
    await queue("case-1", "a")
    send = Recorder(failures=1)
    now = datetime.now(UTC) + timedelta(seconds=1)

    assert await drain(deps.sessions, send, now=now) == 0
    [pending] = await stored(deps)
    assert pending.delivered_at is None
    assert pending.attempts == 1
    assert pending.last_error == "ConnectionError: receiver unavailable"

    assert await drain(deps.sessions, send, now=now + retry_delay(1) - timedelta(seconds=1)) == 0
    assert await drain(deps.sessions, send, now=now + retry_delay(1)) == 1
    assert await drain(deps.sessions, send, now=now + timedelta(days=1)) == 0
    assert send.sent == ["case-1:notice:a"]
    [delivered] = await stored(deps)
    assert delivered.delivered_at is not None and delivered.attempts == 2


async def test_drain_goes_past_one_batch(deps: Deps):
    await queue("case-1", *(f"k{i}" for i in range(130)))
    send = Recorder()
    assert await drain(deps.sessions, send) == 130
    assert len(set(send.sent)) == 130


async def test_run_relay_delivers_until_stopped(deps: Deps):
    await queue("case-1", "a", "b")
    stop = asyncio.Event()
    sent: list[str] = []

    async def send(message: OutboxMessage) -> None:
        sent.append(message.idempotency_key)
        if len(sent) == 2:
            stop.set()

    await asyncio.wait_for(run_relay(deps.sessions, send, interval=0.05, stop=stop), timeout=30)
    assert sorted(sent) == ["case-1:notice:a", "case-1:notice:b"]


async def test_run_relay_survives_a_failing_round(deps: Deps, relay_log: FakeLog):
    await queue("case-1", "a")
    stop = asyncio.Event()
    rounds = 0

    class BrokenSessions:
        """The database is down for the first round."""

        def begin(self) -> Any:
            nonlocal rounds
            rounds += 1
            if rounds == 1:
                raise ConnectionRefusedError("database down")
            return deps.sessions.begin()

    async def send(message: OutboxMessage) -> None:
        stop.set()

    sessions: Any = BrokenSessions()
    await asyncio.wait_for(run_relay(sessions, send, interval=0.01, stop=stop), timeout=30)
    assert [e["event"] for e in relay_log.entries] == ["outbox relay round failed"]
    assert [m.delivered_at is not None for m in await stored(deps)] == [True]


async def test_logging_sender_logs_no_payload(deps: Deps, relay_log: FakeLog):
    await queue("case-1", "a")
    assert await drain(deps.sessions, logging_sender) == 1
    [entry] = relay_log.entries
    assert entry["event"] == "outbox message delivered"
    assert entry["destination"] == "notice"
    assert entry["case_id"] == "case-1"
    assert entry["idempotency_key"] == "case-1:notice:a"
    assert "13800000000" not in repr(relay_log.entries)


async def test_http_sender_posts_json_with_the_idempotency_key(deps: Deps):
    await queue("case-1", "a", "b")
    received: list[httpx.Request] = []
    answers = iter([503, 200, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(next(answers))

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        send = http_sender({"notice": "http://notices.example.invalid/push"}, client=client)
        now = datetime.now(UTC) + timedelta(seconds=1)
        assert await drain(deps.sessions, send, now=now) == 1  # the first answer was 503
        assert await drain(deps.sessions, send, now=now + retry_delay(1)) == 1

    assert [str(r.url) for r in received] == ["http://notices.example.invalid/push"] * 3
    keys = [r.headers["Idempotency-Key"] for r in received]
    assert sorted(keys) == ["case-1:notice:a", "case-1:notice:a", "case-1:notice:b"]
    body = json.loads(received[0].content)
    assert body["idempotency_key"] == keys[0]
    assert body["destination"] == "notice"
    assert body["case_id"] == "case-1"
    assert body["payload"] == {"phone": "13800000000", "recipient": "applicant"}
    [failed_first] = [m for m in await stored(deps) if m.attempts == 2]
    assert failed_first.last_error is not None and "503" in failed_first.last_error


async def test_http_sender_carries_a_chinese_key_in_the_header_percent_encoded(deps: Deps):
    """Real keys hold step names and plates; an ASCII-only header must still carry them, reversibly."""
    await queue("case-1", "certificate:湘AH1001:归集")
    [pending] = await stored(deps)
    key = pending.idempotency_key
    assert "湘AH1001:归集" in key
    received: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        send = http_sender({"notice": "http://notices.example.invalid/push"}, client=client)
        assert await drain(deps.sessions, send, now=datetime.now(UTC) + timedelta(seconds=1)) == 1

    [request] = received
    header = request.headers["Idempotency-Key"]
    assert header.isascii() and unquote(header) == key
    assert json.loads(request.content)["idempotency_key"] == key
    [message] = await stored(deps)
    assert message.delivered_at is not None and message.last_error is None


async def test_http_sender_without_a_url_for_the_destination_keeps_the_message(deps: Deps):
    await queue("case-1", "a")
    send = http_sender({"checkpoint": "http://checkpoints.example.invalid/"})
    assert await drain(deps.sessions, send) == 0
    [pending] = await stored(deps)
    assert pending.last_error is not None
    assert pending.last_error.startswith("NoPushUrl") and "ONETHING_PUSH_URL_NOTICE" in pending.last_error
    with pytest.raises(NoPushUrl):
        await send(pending)


def test_sender_from_env_picks_http_when_a_push_url_is_set():
    assert sender_from_env({}) is logging_sender
    assert sender_from_env({"ONETHING_PUSH_URL_": "x", "ONETHING_PUSH_URL_NOTICE": " "}) is logging_sender
    env = {
        "ONETHING_PUSH_URL_LICENCE_REPOSITORY": "http://repo/",
        "ONETHING_PUSH_URL_CHECKPOINT": "http://cp/",
    }
    assert push_urls_from_env(env) == {"licence_repository": "http://repo/", "checkpoint": "http://cp/"}
    assert sender_from_env(env) is not logging_sender
