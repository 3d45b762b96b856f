"""The audit's reads at 100 000 cases: each licence's record verdict, and an index of the receipts.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

A licence's record verdict (数据合格 without the seal) is stored at issue like its seal verdict;
licences issued before this revision have none: a report parses and checks their records each time,
as before. The index on (step, actual_at, case_id) answers "which cases were received in the period"
without reading every event.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy of the table): nullable columns need nothing more on SQLite.
    op.add_column("licences", sa.Column("record_valid", sa.Boolean(), nullable=True))
    op.add_column("licences", sa.Column("record_sha256", sa.String(64), nullable=True))
    op.create_index(
        "ix_ledger_events_step_actual_at_case_id", "ledger_events", ["step", "actual_at", "case_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_events_step_actual_at_case_id", "ledger_events")
    with op.batch_alter_table("licences") as batch:
        batch.drop_column("record_sha256")
        batch.drop_column("record_valid")
