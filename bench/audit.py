"""Figure 5: `onething audit` (`services.audit_report.build_report`) over a synthetic ledger of N completed
cases, on SQLite and on PostgreSQL.

The synthetic store is what N closed 大件运输 cases leave behind: their hash-chained supervision events
(class I approved by rules, class II with urban review and countersign, class III with an expert-review
clock stop; a few refused, late, warned or carded; most rated), one sealed e-licence per approved case
with its 归集 and checkpoint outbox messages (most delivered, most fetched). It is built once into a
SQLite file under bench/.cache/ and copied into a fresh PostgreSQL schema for each run, vacuumed and
checkpointed before it is measured, as a store that served a year would be.

The seals are real SM2-with-SM3 signatures under a throwaway key, made fast by reusing one nonce for
all of them (which would give the private key away: never do this with a real key) and by SM3 from
OpenSSL (hashlib). They verify with `seal.sm2.verify` like any other.

Since issue 18 item 3 the store also holds one summary per case (store/case_summaries.py, folded here
with the same `summarise` the ledger append uses) and each licence's seal verdict (verified once, at
build, as `issue_licence` does at issue) and record verdict (checked once, as `save_licence_once`
does). The measurement runs in a fresh process per database, like the command:
1. after: `build_report` as `onething audit` runs it, cold — one summary row per case, the stored
   seal and record verdicts (the SM2 calls and record checks it still makes are counted: none, when
   every verdict is stored);
2. the same report again in the same process (the portal's /audit from its second request on);
3. before: the report as it was computed until then — every ledger event read, every seal checked —
   with the SM2 verification replaced by a stub, plus `seal.sm2.verify` timed on a sample; the cold
   figure of before = that + licences × the sample's time per seal (a projection: measuring it
   outright would verify 100 000 seals per database for one figure).

    python -m bench.audit --cases 1000          # this figure alone (SQLite and PostgreSQL), as JSON
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from unittest import mock

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

import services.audit_report as audit_report
import store.audit_queries as audit_queries
from bench.progress import progress
from bootstrap.issuer import issuer_from_env
from domain.audit.facts import STEPS_READ, LedgerRecord
from domain.audit.figures import compute_report
from domain.audit.summary import summarise
from domain.calendar import SHANGHAI
from domain.case import Outcome
from domain.events import parse_event, to_row
from domain.licence import (
    HolderCodeType,
    LicenceCatalogue,
    LicenceStatus,
    canonical_bytes,
    make_licence_identifier,
    record_is_qualified,
    serial_for,
)
from seal.sm2 import DEFAULT_USER_ID, GX, GY, A, B, N, encode_signature, generate_key, verify
from store.calendar_sources import calendar_from_env
from store.case_summaries import row_values
from store.db import make_engine, migrate, session_factory
from store.ledger import chain_hash
from store.licences import record_digest, seal_digest
from store.schema import GENESIS_HASH, CaseSummaryRow, LedgerEventRow, LicenceRow, OutboxRow
from workflows.matters import MATTERS

CACHE = Path(__file__).resolve().parent / ".cache"
CACHE_VERSION = 5  # bump when the synthetic cases change (2: typed events; 3: summaries, seal verdicts;
# 4: activation by the holder; 5: record verdicts, shorter summaries, the receipts index)
MATTER = "oversize-transport"
POSTGRES_URL = os.environ.get(
    "ONETHING_BENCH_POSTGRES_URL",
    os.environ.get("ONETHING_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
)
REPORT_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
FIRST_DAY = date(2025, 1, 6)
DAYS = 640  # receipts from 2025-01-06 into October 2026: the calendar knows both years
BATCH = 5_000

LEDGER = cast(sa.Table, LedgerEventRow.__table__)
LICENCES = cast(sa.Table, LicenceRow.__table__)
OUTBOX = cast(sa.Table, OutboxRow.__table__)
SUMMARIES = cast(sa.Table, CaseSummaryRow.__table__)


# --- SM2 seals, fast (bench only) ---------------------------------------------------------------------


class FastSeal:
    """SM2-with-SM3 signatures under a throwaway key, one nonce for all (see the module docstring)."""

    def __init__(self) -> None:
        key, nonce = generate_key(), generate_key()
        self.public_key_hex = key.public_key_hex
        self._d = int(key.private_key_hex, 16)
        self._k = int(nonce.private_key_hex, 16)
        self._x1 = int(nonce.public_key_hex[2:66], 16)  # x of k·G: the nonce's "public key"
        self._inverse = pow(1 + self._d, N - 2, N)
        entl = (len(DEFAULT_USER_ID) * 8).to_bytes(2, "big")
        curve = b"".join(v.to_bytes(32, "big") for v in (A, B, GX, GY))
        self._z = _sm3(entl + DEFAULT_USER_ID + curve + bytes.fromhex(self.public_key_hex[2:]))

    def sign(self, data: bytes) -> bytes:
        e = int.from_bytes(_sm3(self._z + data), "big")
        r = (e + self._x1) % N
        s = (self._inverse * (self._k + r) - r) % N
        return encode_signature(r, s)


def _sm3(data: bytes) -> bytes:
    return hashlib.new("sm3", data).digest()


# --- the synthetic cases -----------------------------------------------------------------------------


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def _end_of(day: date) -> datetime:
    return _at(day, 23, 59)


def _working(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


class _Case:
    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        self.rows: list[dict[str, Any]] = []
        self.prev_hash = GENESIS_HASH

    def add(
        self,
        step: str,
        when: datetime,
        *,
        department: str = "highway",
        actor_role: str = "system",
        planned_at: datetime | None = None,
        limit_days: int | None = None,
        outcome: str | None = None,
        **detail: Any,
    ) -> None:
        """Append one event, built and checked by its step's typed model as the workflows' are."""
        seq = len(self.rows) + 1
        event = parse_event(
            step,
            detail,
            department=department,
            actor_role=actor_role,
            planned_at=planned_at,
            limit_working_days=limit_days,
            outcome=outcome,
        )
        row = to_row(
            event,
            case_id=self.case_id,
            matter=MATTER,
            actual_at=when,
            idempotency_key=f"{self.case_id}:{seq:03d}:{step}",
        )
        fields: dict[str, Any] = {**row.model_dump(), "seq": seq}
        digest = chain_hash(self.prev_hash, fields)
        self.rows.append({**fields, "prev_hash": self.prev_hash, "hash": digest})
        self.prev_hash = digest


def synthetic_case(
    i: int, rng: random.Random, seal: FastSeal
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, list[dict[str, Any]]]:
    """The ledger rows, licence row (None when refused) and outbox rows of closed case number i."""
    case = _Case(f"{MATTER}-SYN{i:07d}")
    received_day = _working(FIRST_DAY + timedelta(days=rng.randrange(DAYS)))
    received = _at(received_day, rng.randint(8, 16), rng.randrange(60))
    cls = rng.choices(("I", "II", "III"), weights=(50, 35, 15))[0]
    promised, statutory = {"I": (3, 20), "II": (10, 20), "III": (15, 20)}[cls]
    promised_due = _end_of(received_day + timedelta(days=promised * 7 // 5))
    statutory_due = _end_of(received_day + timedelta(days=statutory * 7 // 5))
    refused = rng.random() < 0.04
    late = rng.random() < 0.06

    case.add("收件", received, actor_role="portal")
    accepted = received + timedelta(minutes=1)
    case.add(
        "受理",
        accepted,
        planned_at=promised_due,
        limit_days=promised,
        outcome="受理",
        permit_class=cls,
        statutory_due=statutory_due.isoformat(),
        statutory_working_days=statutory,
        promised_working_days=promised,
    )
    if cls == "I":
        tasks = [("review:highway", "highway", "审核", True)]
        span = timedelta(minutes=rng.randint(1, 30))
    else:
        tasks = [("review:highway", "highway", "审核", False)]
        if cls == "II" or rng.random() < 0.5:
            tasks.append(("review:urban_road", "urban_road", "审核", False))
        tasks.append(("countersign:police", "police", "会签", False))
        span = timedelta(
            days=rng.randint(1, promised * 7 // 5 + (10 if late else 0)), hours=rng.randint(0, 6)
        )
    decided_at = accepted + span
    when = accepted
    for n, (task_id, department, answer_step, by_rules) in enumerate(tasks):
        opened = accepted if n == 0 or task_id.startswith("review") else when
        task_due = _end_of(received_day + timedelta(days=7))
        case.add(
            "承办",
            opened,
            department=department,
            planned_at=task_due,
            limit_days=5,
            task_id=task_id,
            title=task_id,
        )
        if cls == "III" and n == 0:
            stopped = opened + timedelta(hours=2)
            resumed = stopped + timedelta(days=rng.randint(1, 4))
            case.add("停表", stopped, department=department, actor_role="officer", reason="专家评审")
            promised_due += resumed - stopped
            case.add(
                "复表",
                resumed,
                department=department,
                actor_role="officer",
                planned_at=promised_due,
                reason="专家评审",
                stopped_working_days=max(1, (resumed - stopped).days * 5 // 7),
                promised_due=promised_due.isoformat(),
                statutory_due=statutory_due.isoformat(),
            )
        if late and n == len(tasks) - 1:
            case.add(
                "催办",
                task_due - timedelta(days=1),
                department=department,
                planned_at=task_due,
                limit_days=5,
                scope="task",
                limit=f"task:{task_id}",
                task_id=task_id,
            )
            case.add(
                "黄牌",
                task_due,
                department=department,
                planned_at=task_due,
                limit_days=5,
                scope="task",
                limit=f"task:{task_id}",
                task_id=task_id,
            )
        when = opened + (span * (n + 1)) / len(tasks)
        approve = not (refused and n == len(tasks) - 1)
        case.add(
            answer_step,
            when,
            department=department,
            actor_role="rules" if by_rules else "officer",
            outcome="approve" if approve else "refuse",
            planned_at=task_due,
            task_id=task_id,
            reason=None if approve else "桥梁荷载不足",
            conditions=[],
        )
    licence_ids: list[str] = []
    licence: dict[str, Any] | None = None
    outbox: list[dict[str, Any]] = []
    case.add("决定", decided_at, outcome="不予许可" if refused else "准予许可", planned_at=promised_due)
    if not refused:
        issued_at = decided_at + timedelta(seconds=rng.randint(1, 30))
        licence, outbox = _licence(case.case_id, issued_at, rng, seal)
        licence_ids.append(licence["licence_id"])
        case.add("制证", issued_at, outcome="issued", licence_id=licence["licence_id"], licence_key="permit")
    closed = decided_at + timedelta(minutes=1)
    case.add(
        "办结",
        closed,
        planned_at=promised_due,
        outcome=(Outcome.REFUSED if refused else Outcome.APPROVED).value,
        reasons=["桥梁荷载不足"] if refused else [],
        licence_ids=licence_ids,
        statutory_due=statutory_due.isoformat(),
    )
    if rng.random() < 0.7:
        score = rng.choices((5, 4, 3, 2, 1), weights=(80, 10, 5, 3, 2))[0]
        rated = closed + timedelta(days=rng.randint(0, 5))
        case.add(
            "评价",
            rated,
            department="applicant",
            actor_role="applicant",
            outcome=str(score),
            has_comment=False,
        )
        if score <= 2:
            rectify_due = _end_of((rated + timedelta(days=7)).astimezone(SHANGHAI).date())
            case.add("整改", rated, planned_at=rectify_due, limit_days=5)
            case.add("整改答复", rated + timedelta(days=rng.randint(1, 9)), actor_role="officer")
            case.add("回访", rated + timedelta(days=10), actor_role="officer", outcome="satisfied")
    return case.rows, licence, outbox


_ISSUER = issuer_from_env({}, MATTERS.licence_kinds)
_SERIAL_KEY = b"bench synthetic store serial key!"  # the synthetic issuer's own


def _licence(
    case_id: str, issued_at: datetime, rng: random.Random, seal: FastSeal
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    type_code = _ISSUER.type_code(MATTER)
    assert type_code is not None
    serial = serial_for(case_id, "permit", _SERIAL_KEY)
    identifier = make_licence_identifier(type_code, _ISSUER.code, serial, 1)
    issue_date = issued_at.astimezone(SHANGHAI).date()
    catalogue = LicenceCatalogue(
        identifier=identifier,
        type_name="超限运输车辆通行证",
        type_code=type_code,
        number=f"湘超限{serial[-12:]}",
        name="超限运输车辆通行证",
        version=1,
        issue_date=issue_date,
        issuer_name=_ISSUER.name,
        issuer_code=_ISSUER.code,
        valid_from=issue_date + timedelta(days=3),
        valid_to=issue_date + timedelta(days=23),
        jurisdiction_code=_ISSUER.jurisdiction_code,
        holder="示例大件运输有限公司",
        holder_code="91430100MA4L00001J",
        holder_code_type=HolderCodeType.UNIFIED_SOCIAL_CREDIT_CODE,
        related_matter=MATTER,
        file_url=f"{_ISSUER.file_url_base}/{identifier}",
        status=LicenceStatus.VALID,
        particulars={
            "permit_class": "I",
            "tractor_plate": "湘AD1234",
            "trailer_plate": "湘A1234挂",
            "route": ["G4 长沙—株洲"],
            "conditions": [],
        },
    )
    signed = canonical_bytes(catalogue)
    signature = seal.sign(signed)
    seal_valid = verify(seal.public_key_hex, signed, signature)  # as issue_licence does, once
    payload = catalogue.model_dump(mode="json")
    fetched = rng.random() < 0.85
    licence = {
        "licence_id": identifier,
        "case_id": case_id,
        "licence_key": "permit",
        "matter": MATTER,
        "type_code": type_code,
        "number": catalogue.number,
        "holder_name": catalogue.holder,
        "holder_code": catalogue.holder_code,
        "issued_at": issued_at,
        "valid_from": catalogue.valid_from,
        "valid_to": catalogue.valid_to,
        "payload": payload,
        "signed_data": signed,
        "signature": signature,
        "public_key": seal.public_key_hex,
        "seal_valid": seal_valid,
        "sealed_sha256": seal_digest(seal.public_key_hex, signed, signature),
        # As save_licence_once stores it, over the text the engine writes (SQLAlchemy's json.dumps).
        "record_valid": record_is_qualified(payload, signed),
        "record_sha256": record_digest(json.dumps(payload), signed),
        "status": LicenceStatus.VALID.value,
        "first_fetched_at": issued_at + timedelta(hours=1) if fetched else None,
        "fetch_count": rng.randint(1, 3) if fetched else 0,
        "activated_at": issued_at + timedelta(hours=1) if fetched else None,  # fetched by the holder
    }
    delivered = issued_at + timedelta(seconds=5) if rng.random() < 0.95 else None
    prefix = f"{case_id}:permit"
    outbox = [
        {
            "idempotency_key": f"{prefix}:归集",
            "destination": "licence_repository",
            "case_id": case_id,
            "payload": {"licence_id": identifier, "catalogue": payload, "signature_algorithm": "SM2"},
            "created_at": issued_at,
            "delivered_at": delivered,
            "attempts": 1,
            "last_error": None,
            "next_attempt_at": issued_at,
        },
        {
            "idempotency_key": f"{prefix}:checkpoint:0",
            "destination": "checkpoint",
            "case_id": case_id,
            "payload": {"licence_id": identifier, "number": catalogue.number, "road": "G4"},
            "created_at": issued_at,
            "delivered_at": issued_at + timedelta(seconds=5),
            "attempts": 1,
            "last_error": None,
            "next_attempt_at": issued_at,
        },
    ]
    return licence, outbox


def synthetic_batches(
    cases: int, seed: int = 20261127
) -> Iterator[tuple[list[Any], list[Any], list[Any], list[Any]]]:
    rng = random.Random(seed)
    seal = FastSeal()
    events: list[Any] = []
    licences: list[Any] = []
    outbox: list[Any] = []
    summaries: list[Any] = []
    for i in range(cases):
        rows, licence, messages = synthetic_case(i, rng, seal)
        events += rows
        outbox += messages
        summary = _summary_row(rows)
        if summary is not None:
            summaries.append(summary)
        if licence is not None:
            licences.append(licence)
        if len(licences) >= BATCH or i == cases - 1:
            yield events, licences, outbox, summaries
            events, licences, outbox, summaries = [], [], [], []


def _summary_row(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The case's summary row, folded as store/case_summaries.py folds it at each append."""
    records = [
        LedgerRecord(
            r["case_id"],
            r["matter"],
            r["seq"],
            r["step"],
            r["department"],
            r["actor_role"],
            r["planned_at"],
            r["actual_at"],
            r["limit_working_days"],
            r["outcome"],
            r["detail"],
        )
        for r in rows
        if r["step"] in STEPS_READ
    ]
    summary = summarise(records)
    if summary is None:
        return None
    return row_values(summary, records[-1].seq)


# --- building and copying the store ------------------------------------------------------------------


def sqlite_cache(cases: int) -> Path:
    return CACHE / f"audit-{cases}-v{CACHE_VERSION}.sqlite"


async def ensure_sqlite(cases: int) -> Path:
    """The cached SQLite store of `cases` synthetic cases, built when missing (atomically)."""
    path = sqlite_cache(cases)
    if path.exists():
        progress(f"audit: using the cached synthetic store {path.name}")
        await migrate(f"sqlite+aiosqlite:///{path}")  # built before a later migration: brought up to it
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    building = path.with_name(f".{path.name}.{os.getpid()}")
    building.unlink(missing_ok=True)
    progress(f"audit: building a synthetic store of {cases} closed cases (cached afterwards)")
    started = time.monotonic()
    engine = make_engine(f"sqlite+aiosqlite:///{building}")
    try:
        await migrate(engine)
        done = 0
        for events, licences, outbox, summaries in synthetic_batches(cases):
            async with engine.begin() as conn:
                await _insert(conn, events, licences, outbox, summaries)
            done += len(licences)
        async with engine.connect() as conn:
            count = await conn.scalar(sa.select(sa.func.count()).select_from(LEDGER))
    finally:
        await engine.dispose()
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{building}{suffix}")
    os.replace(building, path)
    progress(f"audit: {count} events, {done} licences built in {time.monotonic() - started:.0f}s")
    return path


async def _insert(
    conn: Any, events: list[Any], licences: list[Any], outbox: list[Any], summaries: list[Any]
) -> None:
    if summaries:
        await conn.execute(sa.insert(SUMMARIES), summaries)
    if events:
        await conn.execute(sa.insert(LEDGER), events)
    if licences:
        await conn.execute(sa.insert(LICENCES), licences)
    if outbox:
        await conn.execute(sa.insert(OUTBOX), outbox)


async def copy_to_postgres(sqlite_path: Path, url: str, schema: str) -> None:
    """The cached store, table by table, into a fresh, migrated PostgreSQL schema."""
    progress(f"audit: copying the store into PostgreSQL schema {schema}")
    started = time.monotonic()
    source = make_engine(f"sqlite+aiosqlite:///{sqlite_path}")
    target = make_engine(url, schema=schema)
    try:
        await migrate(target)
        for table in (LEDGER, LICENCES, OUTBOX, SUMMARIES):
            columns = [c for c in table.columns if c.name != "id"]
            async with source.connect() as src, target.begin() as dst:
                result = await src.stream(sa.select(*columns).execution_options(yield_per=BATCH))
                async for partition in result.partitions():
                    await dst.execute(sa.insert(table), [row._asdict() for row in partition])
        # A store that served a year has been vacuumed and checkpointed long ago; one loaded a moment
        # ago has not, and its first report would pay for that (hint bits written on every row read,
        # the checkpointer flushing the load): VACUUM and CHECKPOINT before the cold report.
        async with target.connect() as dst:
            await dst.execution_options(isolation_level="AUTOCOMMIT")
            for table in (LEDGER, LICENCES, OUTBOX, SUMMARIES):
                await dst.execute(sa.text(f"VACUUM (ANALYZE) {table.name}"))
            with contextlib.suppress(sa.exc.DBAPIError):  # CHECKPOINT needs a superuser
                await dst.execute(sa.text("CHECKPOINT"))
    finally:
        await source.dispose()
        await target.dispose()
    progress(f"audit: copied in {time.monotonic() - started:.0f}s")


# --- the measurement (in a fresh process per database) ---------------------------------------------


async def measure(url: str, schema: str | None, sample: int) -> dict[str, Any]:
    calendar = calendar_from_env(os.environ)
    engine = make_engine(url, schema=schema) if schema else make_engine(url)
    sessions = session_factory(engine)
    calls = 0

    def counted(public_key_hex: str, data: bytes, signature: bytes) -> bool:
        nonlocal calls
        calls += 1
        return verify(public_key_hex, data, signature)

    def stub(public_key_hex: str, data: bytes, signature: bytes) -> bool:
        return True

    records_checked = 0
    check_record = audit_report.record_is_qualified

    def counted_record(payload: Any, signed_data: bytes) -> bool:
        nonlocal records_checked
        records_checked += 1
        return check_record(payload, signed_data)

    try:
        async with engine.connect() as conn:
            events = int(await conn.scalar(sa.select(sa.func.count()).select_from(LEDGER)) or 0)
        with (
            mock.patch.object(audit_report, "verify", counted),
            mock.patch.object(audit_report, "record_is_qualified", counted_record),
        ):
            started = time.perf_counter()
            report = await audit_report.build_report(sessions, calendar, now=REPORT_NOW)
            cold = time.perf_counter() - started
            started = time.perf_counter()
            await audit_report.build_report(sessions, calendar, now=REPORT_NOW)
            warm = time.perf_counter() - started
        async with sessions() as session, session.begin():
            started = time.perf_counter()
            records = await audit_queries.load_ledger_records(session)
            load_ledger = time.perf_counter() - started
            started = time.perf_counter()
            licences = await audit_queries.load_licence_records(session)
            load_licences = time.perf_counter() - started
        started = time.perf_counter()
        before = compute_report(
            records, [audit_report.judge(licence, stub) for licence in licences], calendar, now=REPORT_NOW
        )
        before_without_sm2 = load_ledger + load_licences + time.perf_counter() - started
        if licences:  # the first call pays for imports and tables; not part of the per-seal cost
            verify(licences[-1].public_key, licences[-1].signed_data, licences[-1].signature)
        started = time.perf_counter()
        verified = sum(
            verify(licence.public_key, licence.signed_data, licence.signature)
            for licence in licences[:sample]
        )
        seal_seconds = (time.perf_counter() - started) / max(1, min(sample, len(licences)))
    finally:
        await engine.dispose()
    return {
        "cases_reported": report.total.received,
        "cases_completed": report.total.completed,
        "same_report_as_before": before.model_dump_json() == report.model_dump_json(),
        "events": events,
        "event_records_read_before": len(records),
        "licences": len(licences),
        "seconds_cold": round(cold, 3),
        "seconds_warm": round(warm, 3),
        "sm2_verify_calls": calls,
        "records_checked": records_checked,
        "before": {
            "seconds_without_sm2": round(before_without_sm2, 3),
            "load_ledger_seconds": round(load_ledger, 3),
            "load_licences_seconds": round(load_licences, 3),
            "sm2_verify_ms": round(seal_seconds * 1000, 2),
            "sm2_sample": min(sample, len(licences)),
            "sm2_sample_verified": verified,
            "seconds_cold_projected": round(before_without_sm2 + len(licences) * seal_seconds, 1),
        },
    }


def run_measurement(url: str, schema: str | None, sample: int) -> dict[str, Any]:
    """`measure` in a fresh Python process, as `onething audit` runs."""
    args = [sys.executable, "-m", "bench.audit", url, "--sample", str(sample)]
    if schema:
        args += ["--schema", schema]
    done = subprocess.run(
        args, cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, check=False
    )
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"the audit measurement failed ({done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


async def audit_figures(cases: int, postgres_url: str, sample: int) -> dict[str, Any]:
    sqlite_path = await ensure_sqlite(cases)
    progress("audit: measuring on SQLite")
    figures: dict[str, Any] = {"cases": cases}
    figures["sqlite"] = run_measurement(f"sqlite+aiosqlite:///{sqlite_path}", None, sample)
    schema = f"bench_audit_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres_url, poolclass=NullPool)
    try:
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            await copy_to_postgres(sqlite_path, postgres_url, schema)
            progress("audit: measuring on PostgreSQL")
            figures["postgresql"] = run_measurement(postgres_url, schema, sample)
        finally:
            async with admin.begin() as conn:
                await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        await admin.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description="the audit figure alone (--cases N), or one database's measurement (URL: python -m bench)"
    )
    parser.add_argument("url", nargs="?", help="measure this database once (a fresh process per database)")
    parser.add_argument("--schema")
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--cases", type=int, help="build (or reuse) the synthetic store and measure both")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()
    if args.cases is not None:
        result = asyncio.run(audit_figures(args.cases, args.postgres_url, args.sample))
    elif args.url is not None:
        result = asyncio.run(measure(args.url, args.schema, args.sample))
    else:
        parser.error("give a database URL or --cases N")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
