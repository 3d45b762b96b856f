"""The vehicles each licence is for, indexed by plate (同一车辆重复办证: no second permit for a vehicle).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Permits issued before this revision get their rows here, from the plates and route their payload
already holds, so a vehicle with a valid earlier permit is found as well.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERMIT_MATTER = "oversize-transport"  # the only matter whose licences were issued for vehicles


def upgrade() -> None:
    op.create_table(
        "licence_vehicles",
        sa.Column("licence_id", sa.String(200), nullable=False),
        sa.Column("plate", sa.String(32), nullable=False),
        sa.Column("matter", sa.String(100), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("roads", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["licence_id"], ["licences.licence_id"], name="fk_licence_vehicles_licence"),
        sa.PrimaryKeyConstraint("licence_id", "plate", name="pk_licence_vehicles"),
    )
    op.create_index("ix_licence_vehicles_plate_valid_to", "licence_vehicles", ["plate", "valid_to"])
    _backfill()


def _backfill() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT licence_id, matter, valid_from, valid_to, payload FROM licences WHERE matter = :m"),
        {"m": PERMIT_MATTER},
    ).all()
    table = sa.table(
        "licence_vehicles",
        sa.column("licence_id"),
        sa.column("plate"),
        sa.column("matter"),
        sa.column("valid_from", sa.Date()),
        sa.column("valid_to", sa.Date()),
        sa.column("roads", sa.JSON()),
    )
    for licence_id, matter, valid_from, valid_to, payload in rows:
        document: dict[str, Any] = json.loads(payload) if isinstance(payload, str) else payload
        particulars = document.get("particulars", {})
        plates = [p for p in (particulars.get("tractor_plate"), particulars.get("trailer_plate")) if p]
        roads = [str(segment).split(" ", 1)[0] for segment in particulars.get("route", [])]
        for plate in dict.fromkeys(plates):
            bind.execute(
                table.insert().values(
                    licence_id=licence_id,
                    plate=plate,
                    matter=matter,
                    valid_from=valid_from,
                    valid_to=valid_to,
                    roads=roads,
                )
            )


def downgrade() -> None:
    op.drop_index("ix_licence_vehicles_plate_valid_to", "licence_vehicles")
    op.drop_table("licence_vehicles")
