"""Initial schema: registries, supervision ledger, e-licences, outbox.

Revision ID: 0001
Revises:
Create Date: 2025-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not imported from store.schema: a migration must keep describing the schema as
# it was at this revision, whatever the models become later.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "vehicles",
        sa.Column("plate", sa.String(16), nullable=False),
        sa.Column("vin", sa.String(17), nullable=False),
        sa.Column("vehicle_type", sa.String(64), nullable=False),
        sa.Column("axles", sa.Integer(), nullable=False),
        sa.Column("curb_mass_kg", sa.Integer(), nullable=False),
        sa.Column("length_m", sa.Double(), nullable=False),
        sa.Column("width_m", sa.Double(), nullable=False),
        sa.Column("height_m", sa.Double(), nullable=False),
        sa.Column("owner_credit_code", sa.String(18), nullable=False),
        sa.Column("owner_name", sa.String(200), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("plate", name="pk_vehicles"),
    )
    op.create_table(
        "transport_certificates",
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("plate", sa.String(16), nullable=False),
        sa.Column("carrier_credit_code", sa.String(18), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("number", name="pk_transport_certificates"),
    )
    op.create_index("ix_transport_certificates_plate", "transport_certificates", ["plate"])
    op.create_table(
        "carriers",
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("licence_number", sa.String(64), nullable=False),
        sa.Column("licence_scopes", sa.JSON(), nullable=False),
        sa.Column("licence_valid_until", sa.Date(), nullable=False),
        sa.Column("barred_until", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("credit_code", name="pk_carriers"),
    )
    op.create_table(
        "drivers",
        sa.Column("qualification_number", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("qualification_number", name="pk_drivers"),
    )
    op.create_table(
        "credit_grades",
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("grade", sa.String(1), nullable=False),
        sa.Column("serious_dishonesty", sa.Boolean(), nullable=False),
        sa.CheckConstraint("grade IN ('A', 'B', 'C', 'D')", name="ck_credit_grades_grade"),
        sa.PrimaryKeyConstraint("credit_code", name="pk_credit_grades"),
    )
    op.create_table(
        "registry_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("is_sample", sa.Boolean(), nullable=False),
        sa.Column("imported_at", UTC_DATETIME, nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registry_snapshots"),
    )
    op.create_table(
        "ledger_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(200), nullable=False),
        sa.Column("matter", sa.String(100), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(50), nullable=False),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("actor_role", sa.String(100), nullable=False),
        sa.Column("planned_at", UTC_DATETIME, nullable=True),
        sa.Column("actual_at", UTC_DATETIME, nullable=False),
        sa.Column("limit_working_days", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(200), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(300), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_events"),
        sa.UniqueConstraint("case_id", "seq", name="uq_ledger_events_case_id_seq"),
        sa.UniqueConstraint("idempotency_key", name="uq_ledger_events_idempotency_key"),
    )
    op.create_table(
        "licences",
        sa.Column("licence_id", sa.String(200), nullable=False),
        sa.Column("case_id", sa.String(200), nullable=False),
        sa.Column("licence_key", sa.String(200), nullable=False),
        sa.Column("matter", sa.String(100), nullable=False),
        sa.Column("type_code", sa.String(64), nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("holder_name", sa.String(200), nullable=False),
        sa.Column("holder_code", sa.String(64), nullable=False),
        sa.Column("issued_at", UTC_DATETIME, nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("signed_data", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("public_key", sa.String(200), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("first_fetched_at", UTC_DATETIME, nullable=True),
        sa.Column("fetch_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("licence_id", name="pk_licences"),
        sa.UniqueConstraint("case_id", "licence_key", name="uq_licences_case_id_licence_key"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(300), nullable=False),
        sa.Column("destination", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("delivered_at", UTC_DATETIME, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_idempotency_key"),
    )
    op.create_index("ix_outbox_next_attempt_at", "outbox", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_next_attempt_at", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("licences")
    op.drop_table("ledger_events")
    op.drop_table("registry_snapshots")
    op.drop_table("credit_grades")
    op.drop_table("drivers")
    op.drop_table("carriers")
    op.drop_index("ix_transport_certificates_plate", table_name="transport_certificates")
    op.drop_table("transport_certificates")
    op.drop_table("vehicles")
