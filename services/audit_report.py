"""The auditors' report as a use case (效能监察报告): load the cases and licences in one snapshot,
judge every licence's record and seal, compute the figures. `onething audit` and the portal's /audit
both call `build_report`.

One row per case (issue 18): the report reads the cases' summaries (store/case_summaries.py), kept
with the ledger; while some case of the period has none (a store just migrated to 0007, before
`onething ledger rebuild-summaries`), it reads the ledger events instead, as it always did, and says so
in the log. A licence is judged by the seal and record verdicts stored when it was issued, read alone:
a stored verdict is about the row as it is, since the database clears both when an UPDATE changes
the record, the signed bytes, the signature or the key (migration 0010), and its 归集 is looked up by
its message's key. A licence missing a verdict (issued before 0007 or 0009, or changed since) is read
whole and checked: its seal by the verdict while the digest of what was sealed still matches
(store.licences.seal_digest), else `seal.sm2.verify`, verified signatures remembered per process; its
record (parses, passes the catalogue checks, is the signed bytes) likewise. With `verify_seals=True`
(`onething audit --verify-seals`) every licence is read whole and every seal verified again.

The summaries are read part by part (10 000 rows), each part folded in a worker thread into the
cases' facts while the next one is read: the database works while Python computes, only the small
results are kept, and a server's event loop keeps answering.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gc
import hashlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.audit.facts import (
    CaseFacts,
    LedgerRecord,
    LicenceRecord,
    SignatureCheck,
    WorkdayCounter,
    licence_is_qualified,
)
from domain.audit.figures import cases_of_summaries, compute_report, report_of_cases
from domain.audit.report import AuditReport
from domain.audit.summary import CaseSummary
from domain.calendar import WorkingCalendar
from domain.licence import record_is_qualified
from seal.sm2 import verify
from store.audit_queries import (
    RawLicence,
    load_ledger_records,
    load_licence_records,
    load_unjudged_licences,
    stream_licence_verdicts,
)
from store.case_summaries import stream_summary_texts, summaries_complete
from store.db import reading
from store.ledger import BrokenChain, verify_chain
from store.licences import record_digest, seal_digest
from store.schema import LedgerEventRow

log = structlog.get_logger()

R = TypeVar("R")

SealProgress = Callable[[int, int], None]
"""(seals verified so far, seals to verify): called while `verify_seals` runs."""
SEAL_PROGRESS_EVERY = 1000

_SIGNATURE_CACHE_LIMIT = 500_000
_verified: dict[bytes, bool] = {}


def judge(licence: RawLicence, seal_check: SignatureCheck | None = None) -> LicenceRecord:
    """The KPI view of a loaded licence: collected, qualified (record and seal check out), activated.

    `seal_check`: how its signature is checked, its record then checked again too; by default the
    verdicts stored at issue where they are about these very bytes, else a check (`verify_remembered`
    for the seal).
    """
    if seal_check is None:
        qualified = _record_verdict(licence) and _seal_verdict(licence)
    else:
        qualified = licence_is_qualified(
            licence.payload, licence.signed_data, licence.signature, licence.public_key, seal_check
        )
    return LicenceRecord(
        licence_id=licence.licence_id,
        case_id=licence.case_id,
        collected=licence.collected,
        qualified=qualified,
        activated=licence.activated,
    )


def _record_verdict(licence: RawLicence) -> bool:
    """`record_is_qualified` as stored at issue, when it is about this record and these bytes."""
    if licence.record_valid is not None and licence.record_sha256 == record_digest(
        licence.payload_text, licence.signed_data
    ):
        return licence.record_valid
    return record_is_qualified(licence.payload, licence.signed_data)


def _seal_verdict(licence: RawLicence) -> bool:
    """The seal's verdict stored at issue, when it is about these very bytes; otherwise a verification."""
    key, data, signature = licence.public_key, licence.signed_data, licence.signature
    if licence.seal_valid is not None and licence.sealed_sha256 == seal_digest(key, data, signature):
        return licence.seal_valid
    return verify_remembered(key, data, signature)


def verify_remembered(public_key_hex: str, data: bytes, signature: bytes) -> bool:
    """`seal.sm2.verify`, remembered per (key, data, signature): a stored seal does not change."""
    key = hashlib.sha256(
        b"\0".join((public_key_hex.encode("ascii", "replace"), hashlib.sha256(data).digest(), signature))
    ).digest()
    known = _verified.get(key)
    if known is None:
        known = verify(public_key_hex, data, signature)
        if len(_verified) >= _SIGNATURE_CACHE_LIMIT:
            _verified.clear()
        _verified[key] = known
    return known


async def build_report(
    sessions: async_sessionmaker[AsyncSession],
    calendar: WorkingCalendar,
    *,
    now: datetime,
    received_from: date | None = None,
    received_to: date | None = None,
    verify_seals: bool = False,
    seal_progress: SealProgress | None = None,
) -> AuditReport:
    """The auditors' report: read in one transaction (a consistent snapshot), compute in a thread.

    `verify_seals`: verify every licence's SM2 signature again rather than trust the stored verdicts,
    calling `seal_progress` every `SEAL_PROGRESS_EVERY` licences and at the end.
    """
    workdays = WorkdayCounter(calendar)
    with _collector_paused(), _Folds() as folds:
        async with sessions() as session, session.begin():
            await reading(session)
            events: list[LedgerRecord] | None = None
            summary_parts: list[asyncio.Future[tuple[list[CaseFacts], int]]] = []
            licence_parts: list[asyncio.Future[list[LicenceRecord]]] = []
            judged_by_verdicts: list[LicenceRecord] = []
            if await summaries_complete(session, received_from, received_to):
                async for texts in stream_summary_texts(session, received_from, received_to):
                    summary_parts.append(
                        await folds.submit(_cases_of_texts, texts, workdays, received_from, received_to)
                    )
            else:
                log.warning(
                    "audit reads the ledger: cases without a summary",
                    hint="onething ledger rebuild-summaries",
                )
                events = await load_ledger_records(session, received_from, received_to)
            if verify_seals:  # all at once: the progress bar counts them
                licences = await load_licence_records(session, received_from, received_to)
                licence_parts.append(await folds.submit(_judge_all, licences, verify_seals, seal_progress))
            else:
                async for verdicts in stream_licence_verdicts(session, received_from, received_to):
                    judged_by_verdicts += verdicts
                unjudged = await load_unjudged_licences(session, received_from, received_to)
                if unjudged:
                    licence_parts.append(await folds.submit(_judge_all, unjudged, False, None))
        cases: list[CaseFacts] = []
        unreadable = 0
        for part_cases, part_unreadable in await asyncio.gather(*summary_parts):
            cases += part_cases
            unreadable += part_unreadable
        judged = judged_by_verdicts + [
            licence for part in await asyncio.gather(*licence_parts) for licence in part
        ]

        def compute() -> AuditReport:
            if events is not None:
                return compute_report(
                    events, judged, calendar, now=now, received_from=received_from, received_to=received_to
                )
            return report_of_cases(
                cases,
                unreadable,
                judged,
                calendar,
                workdays,
                now=now,
                received_from=received_from,
                received_to=received_to,
            )

        return await folds.run(compute)


def _cases_of_texts(
    texts: Sequence[str], workdays: WorkdayCounter, received_from: date | None, received_to: date | None
) -> tuple[list[CaseFacts], int]:
    validate = CaseSummary.model_validate_json
    return cases_of_summaries((validate(text) for text in texts), workdays, received_from, received_to)


class _Folds:
    """One worker thread that folds a report's parts in the order they were read while the event
    loop reads the next ones: the database works (SQLite in its own thread, PostgreSQL in its server)
    while Python validates and counts, and a server's event loop keeps answering. At most `AHEAD`
    parts wait to be folded, so a slow fold holds back the reading rather than filling the memory."""

    AHEAD = 3

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-fold")
        self._waiting: collections.deque[asyncio.Future[Any]] = collections.deque()

    def __enter__(self) -> _Folds:
        return self

    def __exit__(self, *exc: object) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def submit(self, fn: Callable[..., R], *args: Any) -> asyncio.Future[R]:
        """Queue `fn(*args)`; its future, once fewer than `AHEAD` folds are waiting."""
        while self._waiting and self._waiting[0].done():
            self._waiting.popleft()
        if len(self._waiting) >= self.AHEAD:
            await asyncio.wait([self._waiting.popleft()])
        future = asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        self._waiting.append(future)
        return future

    async def run(self, fn: Callable[[], R]) -> R:
        """`fn()` in the worker thread, after the folds queued before it."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)


def _judge_all(
    licences: Sequence[RawLicence], verify_seals: bool, progress: SealProgress | None
) -> list[LicenceRecord]:
    if not verify_seals:
        return [judge(licence) for licence in licences]
    judged = []
    for done, licence in enumerate(licences, start=1):
        judged.append(judge(licence, verify))
        if progress is not None and (done % SEAL_PROGRESS_EVERY == 0 or done == len(licences)):
            progress(done, len(licences))
    return judged


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a million small tuples are made: the collector would walk
    them again and again (about a third of the time), and they hold no cycles to find."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def verify_ledger(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, Sequence[BrokenChain]]:
    """How many cases the ledger holds, and every case whose hash chain is broken."""
    async with sessions() as session, session.begin():
        await reading(session)
        cases = await session.scalar(sa.select(sa.func.count(sa.distinct(LedgerEventRow.case_id))))
        broken = await verify_chain(session)
    return int(cases or 0), broken
