"""Market-regulation registry (营业执照) and the vehicles' total mass, for 开办运输企业一件事.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "business_licences",
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("legal_representative", sa.String(100), nullable=False),
        sa.Column("registered_address", sa.String(200), nullable=False),
        sa.Column("business_scope", sa.JSON(), nullable=False),
        sa.Column("established", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("credit_code", name="pk_business_licences"),
    )
    # Nullable: rows imported before this revision have no total mass until the next snapshot.
    op.add_column("vehicles", sa.Column("total_mass_kg", sa.Integer(), nullable=True))


def downgrade() -> None:
    # Batch mode: SQLite cannot drop a column in place; Alembic copies the table instead.
    with op.batch_alter_table("vehicles") as batch:
        batch.drop_column("total_mass_kg")
    op.drop_table("business_licences")
