"""The officers' inbox (待办/已办): one row per task, projected from the ledger (store/inbox.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

The table starts empty; cases whose events were written before it get their rows from their next
inbox event, or at once from `onething ledger rebuild-inbox` (a fold of the ledger).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not imported from store.schema (see 0001).
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbox_tasks",
        sa.Column("case_id", sa.String(200), nullable=False),
        sa.Column("task_id", sa.String(200), nullable=False),
        sa.Column("matter", sa.String(100), nullable=False),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("permit_class", sa.String(16), nullable=True),
        sa.Column("holder", sa.String(100), nullable=True),
        sa.Column("opened_at", UTC_DATETIME, nullable=False),
        sa.Column("due", UTC_DATETIME, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("answer", sa.String(32), nullable=True),
        sa.Column("answered_at", UTC_DATETIME, nullable=True),
        sa.Column("card", sa.String(32), nullable=True),
        sa.Column("clock_stopped", sa.String(50), nullable=True),
        sa.PrimaryKeyConstraint("case_id", "task_id", name="pk_inbox_tasks"),
    )
    op.create_index("ix_inbox_tasks_department_state_due", "inbox_tasks", ["department", "state", "due"])
    op.create_index("ix_inbox_tasks_holder_state", "inbox_tasks", ["holder", "state"])


def downgrade() -> None:
    op.drop_index("ix_inbox_tasks_holder_state", "inbox_tasks")
    op.drop_index("ix_inbox_tasks_department_state_due", "inbox_tasks")
    op.drop_table("inbox_tasks")
