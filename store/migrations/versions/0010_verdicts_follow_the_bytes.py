"""A licence's stored verdicts are cleared by the database when what they judged changes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

Until now a report read every licence's record, signed bytes and signature to hash them again and
check that the verdicts stored at issue (0007, 0009) were still about them: two thirds of an audit's
time at 100 000 licences (issue 18). From this revision a trigger clears both verdicts (and their
digests) of a row whose record, signed bytes, signature or key an UPDATE changes, so a verdict that
is there is about the row as it is, and the report reads the verdicts alone; a row without one is
checked as before. The rows stored before the trigger are checked once here, by the same digests the
report compared, and a verdict about other bytes is cleared: the first report after the upgrade is
the report before it. A verdict is still stored with its digest, for whoever wants to check it by hand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGER = "licence_verdicts_follow_the_bytes"
_CLEARED = "seal_valid = NULL, sealed_sha256 = NULL, record_valid = NULL, record_sha256 = NULL"

SQLITE_TRIGGER = f"""
CREATE TRIGGER {TRIGGER} AFTER UPDATE OF payload, signed_data, signature, public_key ON licences
FOR EACH ROW WHEN OLD.payload IS NOT NEW.payload OR OLD.signed_data IS NOT NEW.signed_data
    OR OLD.signature IS NOT NEW.signature OR OLD.public_key IS NOT NEW.public_key
BEGIN
    UPDATE licences SET {_CLEARED} WHERE licence_id = NEW.licence_id;
END
"""

# BEFORE UPDATE: the row is written once, cleared. `payload` is json, which has no equality: as text.
POSTGRES_FUNCTION = f"""
CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.payload::text, NEW.signed_data, NEW.signature, NEW.public_key)
        IS DISTINCT FROM (OLD.payload::text, OLD.signed_data, OLD.signature, OLD.public_key) THEN
        NEW.seal_valid := NULL;
        NEW.sealed_sha256 := NULL;
        NEW.record_valid := NULL;
        NEW.record_sha256 := NULL;
    END IF;
    RETURN NEW;
END
$$
"""
POSTGRES_TRIGGER = f"""
CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON licences
FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()
"""

BATCH = 5000


def upgrade() -> None:
    bind = op.get_bind()
    _clear_stale_verdicts(bind)
    if bind.dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {TRIGGER} ON licences")
        op.execute(f"DROP FUNCTION {TRIGGER}()")
    else:
        op.execute(f"DROP TRIGGER {TRIGGER}")


# The digests of store/licences.py as they were at this revision, written out (see 0001): what a
# verdict stored before the trigger was about.
def _seal_digest(public_key_hex: str, signed_data: bytes, signature: bytes) -> str:
    return hashlib.sha256(
        b"\0".join(
            (public_key_hex.encode("ascii", "replace"), hashlib.sha256(signed_data).digest(), signature)
        )
    ).hexdigest()


def _record_digest(payload_text: str, signed_data: bytes) -> str:
    return hashlib.sha256(
        hashlib.sha256(payload_text.encode("utf-8", "surrogatepass")).digest()
        + hashlib.sha256(signed_data).digest()
    ).hexdigest()


def _clear_stale_verdicts(bind: sa.Connection) -> None:
    licences = sa.table(
        "licences",
        sa.column("licence_id", sa.String),
        sa.column("payload", sa.JSON),
        sa.column("signed_data", sa.LargeBinary),
        sa.column("signature", sa.LargeBinary),
        sa.column("public_key", sa.String),
        sa.column("seal_valid", sa.Boolean),
        sa.column("sealed_sha256", sa.String),
        sa.column("record_valid", sa.Boolean),
        sa.column("record_sha256", sa.String),
    )
    rows = bind.execute(
        sa.select(
            licences.c.licence_id,
            sa.cast(licences.c.payload, sa.Text),
            licences.c.signed_data,
            licences.c.signature,
            licences.c.public_key,
            licences.c.seal_valid,
            licences.c.sealed_sha256,
            licences.c.record_valid,
            licences.c.record_sha256,
        ).where(sa.or_(licences.c.seal_valid.is_not(None), licences.c.record_valid.is_not(None)))
    )
    stale_seals: list[str] = []
    stale_records: list[str] = []
    for licence_id, text, signed, signature, key, seal, sealed, record, recorded in rows:
        if seal is not None and sealed != _seal_digest(key, signed, signature):
            stale_seals.append(licence_id)
        if record is not None and recorded != _record_digest(text, signed):
            stale_records.append(licence_id)
    for stale, cleared in (
        (stale_seals, {"seal_valid": None, "sealed_sha256": None}),
        (stale_records, {"record_valid": None, "record_sha256": None}),
    ):
        for start in range(0, len(stale), BATCH):
            ids = stale[start : start + BATCH]
            bind.execute(sa.update(licences).where(licences.c.licence_id.in_(ids)).values(**cleared))
