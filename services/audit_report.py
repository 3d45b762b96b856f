"""The auditors' report as a use case (效能监察报告): load the ledger and licences in one snapshot,
judge every licence's record and seal, compute the figures. `onething audit` and the portal's /audit
both call `build_report`.

It checks the licences' seals with `seal.sm2.verify` (GmSSL's SM2, under a millisecond each):
verified signatures are remembered per process, and the whole computation runs in a worker thread so
a server's event loop keeps answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
from collections.abc import Iterator, Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.audit.facts import LicenceRecord, licence_is_qualified
from domain.audit.figures import compute_report
from domain.audit.report import AuditReport
from domain.calendar import WorkingCalendar
from seal.sm2 import verify
from store.audit_queries import RawLicence, load_ledger_records, load_licence_records
from store.ledger import BrokenChain, verify_chain
from store.schema import LedgerEventRow

_SIGNATURE_CACHE_LIMIT = 500_000
_verified: dict[bytes, bool] = {}


def judge(licence: RawLicence) -> LicenceRecord:
    """The KPI view of a loaded licence: collected, qualified (record and seal check out), activated."""
    qualified = licence_is_qualified(
        licence.payload, licence.signed_data, licence.signature, licence.public_key, verify_remembered
    )
    return LicenceRecord(
        licence_id=licence.licence_id,
        case_id=licence.case_id,
        collected=licence.collected,
        qualified=qualified,
        activated=licence.fetch_count > 0,
    )


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
) -> AuditReport:
    """The auditors' report: read in one transaction (a consistent snapshot), compute in a thread."""
    with _collector_paused():
        async with sessions() as session, session.begin():
            events = await load_ledger_records(session, received_from, received_to)
            licences = await load_licence_records(session, received_from, received_to)

        def compute() -> AuditReport:
            return compute_report(
                events,
                [judge(licence) for licence in licences],
                calendar,
                now=now,
                received_from=received_from,
                received_to=received_to,
            )

        return await asyncio.to_thread(compute)


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
        cases = await session.scalar(sa.select(sa.func.count(sa.distinct(LedgerEventRow.case_id))))
        broken = await verify_chain(session)
    return int(cases or 0), broken
