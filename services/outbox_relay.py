"""The outbox relay: delivers what the activities queued (归集, checkpoint pushes, notices).

Activities never call a receiver themselves: they write outbox rows in the transaction that made
them true (store/outbox.py), and this relay sends them afterwards, at least once, each with its
idempotency key so receivers can drop a repeat. A failed send stays pending and is retried with
backoff (`store.outbox.retry_delay`).

Senders: `logging_sender` (the embedded default: one log line per delivery) or `http_sender` (POST
JSON to one URL per destination). `sender_from_env` picks `http_sender` when any
ONETHING_PUSH_URL_<DESTINATION> is set, e.g. ONETHING_PUSH_URL_LICENCE_REPOSITORY,
ONETHING_PUSH_URL_CHECKPOINT, ONETHING_PUSH_URL_NOTICE. A destination without a URL then fails
and stays pending (its last_error says why) rather than being dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Final
from urllib.parse import quote

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.outbox import OutboxMessage, deliver_pending

log = structlog.get_logger(__name__)

Sender = Callable[[OutboxMessage], Awaitable[None]]

PUSH_URL_ENV_PREFIX: Final = "ONETHING_PUSH_URL_"
# Sent concurrently (store.outbox.deliver_pending): a receiver sees at most this many at once.
BATCH: Final = 20
HTTP_TIMEOUT_SECONDS: Final = 10.0


async def logging_sender(message: OutboxMessage) -> None:
    """Log one line per delivery. No payload: it may hold personal data (a notice's recipient)."""
    log.info(
        "outbox message delivered",
        destination=message.destination,
        case_id=message.case_id,
        idempotency_key=message.idempotency_key,
    )


class NoPushUrl(Exception):
    """A message's destination has no URL configured."""


def http_sender(
    urls: Mapping[str, str],
    *,
    timeout: float = HTTP_TIMEOUT_SECONDS,
    client: httpx.AsyncClient | None = None,
) -> Sender:
    """A sender POSTing each message as JSON to `urls[destination]` with an `Idempotency-Key` header
    (`idempotency_header`).

    A non-2xx answer or a transport error raises, so the message stays pending and is retried.
    Pass `client` to reuse connections (its owner closes it); otherwise each send opens its own.
    """
    targets = dict(urls)

    async def send(message: OutboxMessage) -> None:
        url = targets.get(message.destination)
        if url is None:
            raise NoPushUrl(
                f"no URL for destination {message.destination!r}: set "
                f"{PUSH_URL_ENV_PREFIX}{message.destination.upper()}"
            )
        body = {
            "idempotency_key": message.idempotency_key,
            "destination": message.destination,
            "case_id": message.case_id,
            "created_at": message.created_at.isoformat(),
            "payload": message.payload,
        }
        headers = {"Idempotency-Key": idempotency_header(message.idempotency_key)}
        if client is not None:
            response = await client.post(url, json=body, headers=headers, timeout=timeout)
        else:
            async with httpx.AsyncClient(timeout=timeout) as own:
                response = await own.post(url, json=body, headers=headers)
        response.raise_for_status()
        log.info(
            "outbox message pushed",
            destination=message.destination,
            case_id=message.case_id,
            idempotency_key=message.idempotency_key,
            status=response.status_code,
        )

    return send


def idempotency_header(key: str) -> str:
    """The key as an HTTP header value: percent-encoded UTF-8, since headers carry ASCII only and our
    keys hold step names and plates (`…:permit:归集`, `certificate:湘AH1001`). The body carries the
    key as it is; a receiver dedupes on either."""
    return quote(key, safe=":/-._~")


def push_urls_from_env(env: Mapping[str, str]) -> dict[str, str]:
    """{destination: url} from ONETHING_PUSH_URL_<DESTINATION> (destination lower-cased)."""
    return {
        name[len(PUSH_URL_ENV_PREFIX) :].lower(): value.strip()
        for name, value in env.items()
        if name.startswith(PUSH_URL_ENV_PREFIX) and len(name) > len(PUSH_URL_ENV_PREFIX) and value.strip()
    }


def sender_from_env(env: Mapping[str, str] | None = None) -> Sender:
    urls = push_urls_from_env(os.environ if env is None else env)
    return http_sender(urls) if urls else logging_sender


async def drain(sessions: async_sessionmaker[AsyncSession], send: Sender, now: datetime | None = None) -> int:
    """Deliver everything due at `now` (default: the current time); returns how many were delivered.

    A message whose send fails is rescheduled after `now`, so it is tried once per drain.
    """
    at = now or datetime.now(UTC)
    delivered = 0
    while True:
        report = await deliver_pending(sessions, send, at, limit=BATCH)
        delivered += len(report.delivered)
        if report.claimed == 0:
            return delivered


async def run_relay(
    sessions: async_sessionmaker[AsyncSession],
    send: Sender,
    *,
    interval: float = 1.0,
    stop: asyncio.Event,
) -> None:
    """Deliver pending messages every `interval` seconds until `stop` is set.

    A full batch is followed at once by the next; a database error is logged and tried again on the
    next round rather than ending the relay.
    """
    while not stop.is_set():
        claimed = 0
        try:
            report = await deliver_pending(sessions, send, datetime.now(UTC), limit=BATCH)
            claimed = report.claimed
            if report.failed:
                log.warning("outbox deliveries failed", failed=len(report.failed))
        except Exception:
            log.exception("outbox relay round failed")
        if claimed >= BATCH:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
