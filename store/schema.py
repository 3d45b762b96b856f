"""The database schema: registries, the supervision ledger and its inbox projection, issued e-licences
and the outbox.

Portable across SQLite (embedded default) and PostgreSQL (production). `store/migrations` creates
exactly this; a test compares the migrated database with these models on both.

Times are timezone-aware and stored as UTC (`UTCDateTime`): SQLite has no time zone type, so the
value is normalised to UTC on the way in and marked UTC on the way out, and both databases return
the same instant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints, so migrations can refer to them and both databases carry the same names.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

GENESIS_HASH = "0" * 64
"""`prev_hash` of the first event of every case."""


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware datetime, stored as UTC; naive datetimes are refused, not guessed."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware time")
        value = value.astimezone(UTC)
        # SQLite's DATETIME keeps no offset; storing the UTC wall time keeps values comparable.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


# --- registries, as the data-sharing platform (数据共享平台) gives them -------------------------


class VehicleRow(Base):
    """行驶证: the vehicle licence."""

    __tablename__ = "vehicles"

    plate: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    vin: Mapped[str] = mapped_column(sa.String(17))
    vehicle_type: Mapped[str] = mapped_column(sa.String(64))
    axles: Mapped[int] = mapped_column(sa.Integer)
    curb_mass_kg: Mapped[int] = mapped_column(sa.Integer)
    length_m: Mapped[float] = mapped_column(sa.Double)
    width_m: Mapped[float] = mapped_column(sa.Double)
    height_m: Mapped[float] = mapped_column(sa.Double)
    owner_credit_code: Mapped[str] = mapped_column(sa.String(18))
    owner_name: Mapped[str] = mapped_column(sa.String(200))
    valid_until: Mapped[date] = mapped_column(sa.Date)
    # 总质量 on the 行驶证 (migration 0002); None in rows imported before it.
    total_mass_kg: Mapped[int | None] = mapped_column(sa.Integer)


class TransportCertificateRow(Base):
    """道路运输证: the road transport certificate of one vehicle."""

    __tablename__ = "transport_certificates"

    number: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    plate: Mapped[str] = mapped_column(sa.String(16), index=True)
    carrier_credit_code: Mapped[str] = mapped_column(sa.String(18))
    valid_until: Mapped[date] = mapped_column(sa.Date)


class CarrierRow(Base):
    """A carrier and its road transport operating licence (道路运输经营许可证)."""

    __tablename__ = "carriers"

    credit_code: Mapped[str] = mapped_column(sa.String(18), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    licence_number: Mapped[str] = mapped_column(sa.String(64))
    licence_scopes: Mapped[list[str]] = mapped_column(sa.JSON)
    licence_valid_until: Mapped[date] = mapped_column(sa.Date)
    barred_until: Mapped[date | None] = mapped_column(sa.Date)


class DriverRow(Base):
    """从业资格证: a driver's professional qualification."""

    __tablename__ = "drivers"

    qualification_number: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    id_number: Mapped[str] = mapped_column(sa.String(18))
    categories: Mapped[list[str]] = mapped_column(sa.JSON)
    valid_until: Mapped[date] = mapped_column(sa.Date)


class CreditGradeRow(Base):
    """A carrier's credit grade (信用等级) and serious-dishonesty flag (严重失信)."""

    __tablename__ = "credit_grades"
    __table_args__ = (sa.CheckConstraint("grade IN ('A', 'B', 'C', 'D')", name="grade"),)

    credit_code: Mapped[str] = mapped_column(sa.String(18), primary_key=True)
    grade: Mapped[str] = mapped_column(sa.String(1))
    serious_dishonesty: Mapped[bool] = mapped_column(sa.Boolean)


class BusinessLicenceRow(Base):
    """营业执照: a business licence, as the market-regulation registry (市场监管) holds it."""

    __tablename__ = "business_licences"

    credit_code: Mapped[str] = mapped_column(sa.String(18), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    legal_representative: Mapped[str] = mapped_column(sa.String(100))  # personal data
    registered_address: Mapped[str] = mapped_column(sa.String(200))
    business_scope: Mapped[list[str]] = mapped_column(sa.JSON)
    established: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16))  # 存续, 在业, 吊销, 注销 …
    valid_until: Mapped[date | None] = mapped_column(sa.Date)  # 营业期限至; None = 长期


class RegistrySnapshotRow(Base):
    """One import of registry data: where it came from and whether it is sample data."""

    __tablename__ = "registry_snapshots"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(sa.String(200))
    is_sample: Mapped[bool] = mapped_column(sa.Boolean)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    counts: Mapped[dict[str, int]] = mapped_column(sa.JSON)


# --- the efficiency e-supervision ledger (行政效能电子监察) ------------------------------------


class LedgerEventRow(Base):
    """One supervision event. Append-only; each case's events form a hash chain."""

    __tablename__ = "ledger_events"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "seq"),
        # The cases received in a period (the audit's cohort, and whether each has its summary) from
        # the index alone rather than a scan of every event.
        sa.Index("ix_ledger_events_step_actual_at_case_id", "step", "actual_at", "case_id"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(sa.String(200))
    matter: Mapped[str] = mapped_column(sa.String(100))
    seq: Mapped[int] = mapped_column(sa.Integer)
    step: Mapped[str] = mapped_column(sa.String(50))
    department: Mapped[str] = mapped_column(sa.String(100))
    actor_role: Mapped[str] = mapped_column(sa.String(100))
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actual_at: Mapped[datetime] = mapped_column(UTCDateTime)
    limit_working_days: Mapped[int | None] = mapped_column(sa.Integer)
    outcome: Mapped[str | None] = mapped_column(sa.String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    idempotency_key: Mapped[str] = mapped_column(sa.String(300), unique=True)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class CaseSummaryRow(Base):
    """One case as the auditors' report reads it (domain/audit/summary.py), folded from its ledger
    events in their transaction and rebuildable from them (store/case_summaries.py)."""

    __tablename__ = "case_summaries"
    __table_args__ = (sa.Index("ix_case_summaries_received_at", "received_at"),)

    case_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    matter: Mapped[str] = mapped_column(sa.String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the cohort of a period is by 收件
    last_seq: Mapped[int] = mapped_column(sa.Integer)  # the latest ledger event folded into it
    summary: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # `CaseSummary`, as JSON


class InboxTaskRow(Base):
    """One task of the officers' inbox (待办/已办): a projection of the ledger (domain/inbox.py), written
    with the ledger events in their transaction and rebuildable from them (store/inbox.py)."""

    __tablename__ = "inbox_tasks"
    __table_args__ = (
        sa.Index("ix_inbox_tasks_department_state_due", "department", "state", "due"),
        sa.Index("ix_inbox_tasks_holder_state", "holder", "state"),
    )

    case_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    task_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    matter: Mapped[str] = mapped_column(sa.String(100))
    department: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(32))
    title: Mapped[str] = mapped_column(sa.String(200))
    permit_class: Mapped[str | None] = mapped_column(sa.String(16))
    holder: Mapped[str | None] = mapped_column(sa.String(100))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(sa.String(16))
    answer: Mapped[str | None] = mapped_column(sa.String(32))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    card: Mapped[str | None] = mapped_column(sa.String(32))
    clock_stopped: Mapped[str | None] = mapped_column(sa.String(50))


# --- issued e-licences (电子证照) and the outbox --------------------------------------------------


class LicenceRow(Base):
    """An issued e-licence with the exact bytes that were signed and the SM2 signature."""

    __tablename__ = "licences"
    # One licence per (case, key): a retried issuance finds the first one instead of making another.
    __table_args__ = (sa.UniqueConstraint("case_id", "licence_key"),)

    licence_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    case_id: Mapped[str] = mapped_column(sa.String(200))
    licence_key: Mapped[str] = mapped_column(sa.String(200))
    matter: Mapped[str] = mapped_column(sa.String(100))
    type_code: Mapped[str] = mapped_column(sa.String(64))
    number: Mapped[str] = mapped_column(sa.String(100))
    holder_name: Mapped[str] = mapped_column(sa.String(200))
    holder_code: Mapped[str] = mapped_column(sa.String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_to: Mapped[date] = mapped_column(sa.Date)
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    signed_data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    signature: Mapped[bytes] = mapped_column(sa.LargeBinary)
    public_key: Mapped[str] = mapped_column(sa.String(200))
    # The seal verified when issued, over `sealed_sha256` (store.licences.seal_digest of the key,
    # signed bytes and signature): a report trusts it while the digest still matches (issue 18).
    # None for a licence issued before 0007: verified at each report.
    seal_valid: Mapped[bool | None] = mapped_column(sa.Boolean)
    sealed_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    # The record checked when issued (domain.licence.record_is_qualified), over `record_sha256`
    # (store.licences.record_digest of the stored record's text and the signed bytes): trusted by a
    # report likewise. None for a licence issued before 0009: checked at each report.
    record_valid: Mapped[bool | None] = mapped_column(sa.Boolean)
    record_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(32))
    first_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # by anyone
    fetch_count: Mapped[int] = mapped_column(sa.Integer)
    # 激活: the holder's own first fetch (store.licences.record_fetch); None until then (and for
    # licences fetched before 0008, when who fetched was not recorded).
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CarrierBarRow(Base):
    """A bar the department put on a carrier (依法限制申请), e.g. for a credit commitment found false.

    Kept apart from the registry snapshot (`CarrierRow.barred_until`), which the next import replaces:
    a bar of our own must outlive it. Pre-fill takes the later of the two.
    """

    __tablename__ = "carrier_bars"

    credit_code: Mapped[str] = mapped_column(sa.String(18), primary_key=True)
    case_id: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    barred_until: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.String(500))
    officer: Mapped[str] = mapped_column(sa.String(100))
    barred_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LicenceVehicleRow(Base):
    """A vehicle a licence is for, with the licence's validity and roads: how the licence store
    answers "which valid permits has this plate?" (同一车辆重复办证) by an index, not a scan."""

    __tablename__ = "licence_vehicles"
    __table_args__ = (sa.Index("ix_licence_vehicles_plate_valid_to", "plate", "valid_to"),)

    licence_id: Mapped[str] = mapped_column(
        sa.String(200),
        sa.ForeignKey("licences.licence_id", name="fk_licence_vehicles_licence"),
        primary_key=True,
    )
    plate: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    matter: Mapped[str] = mapped_column(sa.String(100))
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_to: Mapped[date] = mapped_column(sa.Date)
    roads: Mapped[list[str]] = mapped_column(sa.JSON)


class OutboxRow(Base):
    """A message to deliver after the transaction that produced it has committed."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(300), unique=True)
    destination: Mapped[str] = mapped_column(sa.String(64))
    case_id: Mapped[str] = mapped_column(sa.String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(sa.Integer)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


# --- holiday notices (国务院办公厅关于部分节假日安排的通知), added at run time ---------------------


class HolidayNoticeRow(Base):
    """One year's State Council holiday notice, as `onething calendar add` stored it.

    Every worker, the portal and the CLI count working days on these (over the notices transcribed in
    domain.notices), read at each computation, so a notice takes effect without a restart. One row
    per year: a corrected notice replaces the row and bumps `revision`.
    """

    __tablename__ = "holiday_notices"

    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(sa.String(500))
    holidays: Mapped[list[str]] = mapped_column(sa.JSON)  # ISO dates, sorted
    make_up_workdays: Mapped[list[str]] = mapped_column(sa.JSON)  # ISO dates, sorted
    revision: Mapped[int] = mapped_column(sa.Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
