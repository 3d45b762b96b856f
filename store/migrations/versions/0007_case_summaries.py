"""The audit's read models: one summary per case (store/case_summaries.py), each licence's seal verdict.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

The summaries start empty; until `onething ledger rebuild-summaries` folds the ledger (or every case
has had an event since), the report sees fewer summaries than cases and reads the ledger instead.
Licences issued before this revision have no verdict and are verified at each report, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not imported from store.schema (see 0001).
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "case_summaries",
        sa.Column("case_id", sa.String(200), nullable=False),
        sa.Column("matter", sa.String(100), nullable=False),
        sa.Column("received_at", UTC_DATETIME, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_case_summaries"),
    )
    op.create_index("ix_case_summaries_received_at", "case_summaries", ["received_at"])
    # Plain ADD COLUMN (no batch copy of the table): nullable columns need nothing more on SQLite.
    op.add_column("licences", sa.Column("seal_valid", sa.Boolean(), nullable=True))
    op.add_column("licences", sa.Column("sealed_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("licences") as batch:
        batch.drop_column("sealed_sha256")
        batch.drop_column("seal_valid")
    op.drop_index("ix_case_summaries_received_at", "case_summaries")
    op.drop_table("case_summaries")
