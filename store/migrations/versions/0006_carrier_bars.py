"""Bars the department puts on a carrier (依法限制申请), kept apart from the registry snapshot.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "carrier_bars",
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("case_id", sa.String(200), nullable=False),
        sa.Column("barred_until", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("officer", sa.String(100), nullable=False),
        sa.Column("barred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("credit_code", "case_id", name="pk_carrier_bars"),
    )


def downgrade() -> None:
    op.drop_table("carrier_bars")
