"""A licence's activation (激活) by its holder, apart from its fetches.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Until now the first fetch of a licence by anyone counted as its activation, and the audit's 激活率
counted licences fetched at least once: a checkpoint, an officer or anybody who guessed an
identifier made a licence "activated". `activated_at` is set by the holder's own fetch only (the
applicant token of the licence's case: portal/licences.py). Licences fetched before this revision
are not backfilled from `first_fetched_at`: who fetched them was not recorded, and counting them
would carry the very error this fixes into the report.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not imported from store.schema (see 0001).
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy of the table): a nullable column needs nothing more on SQLite.
    op.add_column("licences", sa.Column("activated_at", UTC_DATETIME, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("licences") as batch:
        batch.drop_column("activated_at")
