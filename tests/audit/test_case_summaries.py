"""The audit from one summary per case and the stored seal verdicts equals the audit as it was computed
before them (issue 18): every ledger event read through `read_case`, every SM2 seal verified.

On the 57-case fixture store (tests/audit/fixture_ledger.py), on SQLite and PostgreSQL, whole and for
a period, on two calendars (a notice added after the summaries were written moves both the same way).
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from domain.audit.figures import compute_report
from domain.audit.report import AuditReport
from domain.audit.summary import CaseSummary
from domain.calendar import WorkingCalendar, YearNotice
from domain.notices import official_calendar
from seal.sm2 import verify
from services import audit_report
from services.audit_report import build_report, judge
from store.audit_queries import load_ledger_records, load_licence_records
from store.case_summaries import load_summaries, rebuild
from store.schema import CaseSummaryRow, LicenceRow
from tests.audit.fixture_ledger import NOW
from tests.store.conftest import Db

CAL = official_calendar()
# A made-up notice over 2026: a working day off in the middle of the fixture's period.
MOVED = CAL.replaced(
    [
        YearNotice(
            year=2026,
            source=f"{CAL.notice_for(2026).source}; and a test day off on 2026-09-24",
            holidays=CAL.notice_for(2026).holidays | {date(2026, 9, 24)},
            make_up_workdays=CAL.notice_for(2026).make_up_workdays,
        )
    ]
)


def by_id(summary: CaseSummary) -> str:
    return summary.case_id


PERIODS = [{}, {"received_from": date(2026, 9, 1), "received_to": date(2026, 9, 30)}]


async def report_as_before(db: Db, calendar: WorkingCalendar, **period: date) -> AuditReport:
    """Today's way before issue 18: the ledger's events, and every seal verified."""
    async with db.sessions() as session, session.begin():
        events = await load_ledger_records(session, **period)
        licences = await load_licence_records(session, **period)
    judged = [judge(licence, verify) for licence in licences]
    return compute_report(events, judged, calendar, now=NOW, **period)


@pytest.mark.parametrize("period", PERIODS, ids=["every case", "a period"])
@pytest.mark.parametrize("calendar", [CAL, MOVED], ids=["official", "a notice moved"])
async def test_the_report_from_summaries_is_the_report_from_the_ledger(
    audit_db: Db, calendar: WorkingCalendar, period: dict[str, date], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await report_as_before(audit_db, calendar, **period)
    read_ledger = pytest.fail  # the summaries are complete: the ledger's events must not be read
    monkeypatch.setattr(audit_report, "load_ledger_records", lambda *a, **k: read_ledger("ledger read"))
    now = await build_report(audit_db.sessions, calendar, now=NOW, **period)
    assert now.model_dump_json() == before.model_dump_json()
    assert now.total.received > 0


async def test_the_moved_notice_moves_the_figures(audit_db: Db) -> None:
    """So the calendar parameter above tests something: summaries keep dates, not working days."""
    official, moved = await report_as_before(audit_db, CAL), await report_as_before(audit_db, MOVED)
    assert official.model_dump_json() != moved.model_dump_json()


async def test_stored_verdicts_spare_the_verification_and_verify_seals_does_it(
    audit_db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await report_as_before(audit_db, CAL)
    calls: list[bytes] = []

    def counted(public_key_hex: str, data: bytes, signature: bytes) -> bool:
        calls.append(signature)
        return verify(public_key_hex, data, signature)

    monkeypatch.setattr(audit_report, "verify", counted)
    audit_report._verified.clear()
    assert (await build_report(audit_db.sessions, CAL, now=NOW)).model_dump_json() == before.model_dump_json()
    assert calls == []
    progress: list[tuple[int, int]] = []
    again = await build_report(
        audit_db.sessions, CAL, now=NOW, verify_seals=True, seal_progress=lambda *p: progress.append(p)
    )
    assert again.model_dump_json() == before.model_dump_json()
    async with audit_db.sessions() as session:
        licences = int(await session.scalar(sa.select(sa.func.count()).select_from(LicenceRow)) or 0)
    assert progress[-1] == (licences, licences)
    assert 0 < len(calls) <= licences  # the records that fail the catalogue checks are never verified


async def test_with_every_verdict_stored_no_record_nor_seal_is_read(
    audit_db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stored verdict is about the row as it is (the database clears it on a change: migration
    0010), so the report neither hashes nor checks a licence that has both (issue 18 item 3)."""
    before = await report_as_before(audit_db, CAL)
    async with audit_db.sessions() as session:
        unjudged = LicenceRow.seal_valid.is_(None) | LicenceRow.record_valid.is_(None)
        assert await session.scalar(sa.select(sa.func.count()).where(unjudged)) == 0
    for name in ("verify", "record_is_qualified", "seal_digest", "record_digest"):
        monkeypatch.setattr(audit_report, name, lambda *a, name=name: pytest.fail(f"{name} called"))
    now = await build_report(audit_db.sessions, CAL, now=NOW)
    assert now.model_dump_json() == before.model_dump_json()


async def test_a_verdict_about_other_bytes_is_not_trusted(audit_db: Db) -> None:
    """A signature changed after issue no longer matches the digest of the verdict: verified, it fails."""
    async with audit_db.sessions.begin() as session:
        row = (await session.scalars(sa.select(LicenceRow).where(LicenceRow.seal_valid.is_(True)))).first()
        assert row is not None
        row.signature = row.signature[:-1] + bytes([row.signature[-1] ^ 0x01])
    before = await report_as_before(audit_db, CAL)
    audit_report._verified.clear()
    now = await build_report(audit_db.sessions, CAL, now=NOW)
    assert now.model_dump_json() == before.model_dump_json()


async def test_licences_without_a_record_verdict_are_checked_at_the_report(audit_db: Db) -> None:
    """Licences issued before 0009 have no record verdict: their records are checked, as before."""
    before = await report_as_before(audit_db, CAL)
    async with audit_db.sessions.begin() as session:
        assert await session.scalar(sa.select(sa.func.count()).where(LicenceRow.record_valid.is_(False))) == 1
        await session.execute(sa.update(LicenceRow).values(record_valid=None, record_sha256=None))
    now = await build_report(audit_db.sessions, CAL, now=NOW)
    assert now.model_dump_json() == before.model_dump_json()


async def test_a_record_verdict_about_another_record_is_not_trusted(audit_db: Db) -> None:
    """A record changed after issue no longer matches the digest of its verdict: checked, it fails."""
    first = await report_as_before(audit_db, CAL)
    async with audit_db.sessions.begin() as session:
        row = (await session.scalars(sa.select(LicenceRow).where(LicenceRow.record_valid.is_(True)))).first()
        assert row is not None
        row.payload = {**row.payload, "holder": "另一家公司"}
    before = await report_as_before(audit_db, CAL)
    assert before.total.licences.quality_rate.count == first.total.licences.quality_rate.count - 1
    now = await build_report(audit_db.sessions, CAL, now=NOW)
    assert now.model_dump_json() == before.model_dump_json()


async def test_without_every_summary_the_report_reads_the_ledger(audit_db: Db) -> None:
    """A store just migrated to 0007 has no summaries yet: the report is still the whole one."""
    before = await report_as_before(audit_db, CAL)
    async with audit_db.sessions.begin() as session:
        await session.execute(sa.delete(CaseSummaryRow).where(CaseSummaryRow.case_id.in_(["I-a-1", "I-c-1"])))
    now = await build_report(audit_db.sessions, CAL, now=NOW)
    assert now.model_dump_json() == before.model_dump_json()


async def test_summaries_written_whole_as_0007_did_read_the_same(audit_db: Db) -> None:
    """Since 0009 a summary leaves out its defaults; a row written with every field reads the same."""
    before = await report_as_before(audit_db, CAL)
    async with audit_db.sessions.begin() as session:
        summaries = await load_summaries(session)
        for summary in summaries:
            await session.execute(
                sa.update(CaseSummaryRow)
                .where(CaseSummaryRow.case_id == summary.case_id)
                .values(summary=summary.model_dump(mode="json"))
            )
    async with audit_db.sessions() as session:
        text = await session.scalar(sa.select(sa.cast(CaseSummaryRow.summary, sa.Text)).limit(1))
        assert '"unreadable"' in text  # written whole indeed
        assert sorted(await load_summaries(session), key=by_id) == sorted(summaries, key=by_id)
    now = await build_report(audit_db.sessions, CAL, now=NOW)
    assert now.model_dump_json() == before.model_dump_json()


async def test_rebuild_folds_the_summaries_the_appends_wrote(audit_db: Db) -> None:
    async with audit_db.sessions() as session:
        written = sorted((s.case_id, s.model_dump_json()) for s in await load_summaries(session))
    assert await rebuild(audit_db.sessions) == len(written) > 0
    async with audit_db.sessions() as session:
        rebuilt = sorted((s.case_id, s.model_dump_json()) for s in await load_summaries(session))
    assert rebuilt == written
