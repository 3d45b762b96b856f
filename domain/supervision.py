"""Supervision events (行政效能电子监察事件) as the workflows emit them and the ledger stores them.

Pure model: the workflow builds these (with deterministic idempotency keys), a local activity
appends them to the hash-chained ledger in store/ledger.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import to_jsonable_python


class SupervisionEventIn(BaseModel):
    """One supervision event to append. `seq` and the hashes are assigned by the ledger."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: str = Field(min_length=1, max_length=200)
    matter: str = Field(min_length=1, max_length=100)
    step: str = Field(min_length=1, max_length=50)
    department: str = Field(min_length=1, max_length=100)
    actor_role: str = Field(min_length=1, max_length=100)
    planned_at: AwareDatetime | None = None
    actual_at: AwareDatetime
    limit_working_days: int | None = Field(default=None, ge=0)
    outcome: str | None = Field(default=None, max_length=200)
    detail: dict[str, Any] = {}
    idempotency_key: str = Field(min_length=1, max_length=300)

    @field_validator("planned_at", "actual_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    @field_validator("detail")
    @classmethod
    def _json_detail(cls, value: dict[str, Any]) -> dict[str, Any]:
        # Exactly what the database gives back later, so the hash computed now verifies later.
        normalized: dict[str, Any] = json.loads(
            json.dumps(to_jsonable_python(value), ensure_ascii=False, allow_nan=False)
        )
        return normalized
