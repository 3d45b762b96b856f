"""Each licence's record verdict (数据合格 without the seal), stored at issue like its seal verdict.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Licences issued before this revision have no record verdict: a report parses and checks their records
each time, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy of the table): nullable columns need nothing more on SQLite.
    op.add_column("licences", sa.Column("record_valid", sa.Boolean(), nullable=True))
    op.add_column("licences", sa.Column("record_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("licences") as batch:
        batch.drop_column("record_sha256")
        batch.drop_column("record_valid")
