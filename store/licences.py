"""Issued e-licences (核发电子证照): saved once per case and key, with their outbox messages.

The issuing activity may run more than once (a retry after a timeout). `save_licence_once` makes that
harmless: the first run stores the licence and its messages (归集 to the licence repository, pushes to
checkpoints, the notice); a later run finds the licence by (case_id, licence_key) and adds nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from domain.licence import LicenceStatus, VehicleLicence, record_is_qualified
from store.db import upsert_insert
from store.outbox import OutboxMessageIn, enqueue
from store.projection import table_of
from store.schema import LicenceRow, LicenceVehicleRow, UTCDateTime


class LicenceIn(BaseModel):
    """A licence to store: the catalogue fields, the exact signed bytes and the SM2 signature."""

    # Bytes travel as base64 in JSON (Temporal payloads): signatures are not UTF-8.
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_bytes="base64", val_json_bytes="base64")

    licence_id: str = Field(min_length=1, max_length=200)
    """The GB/T 36904 identifier, `1.2.156.3005.2.<type>.<issuer code>.<serial>.<version>.<check>`."""
    case_id: str = Field(min_length=1, max_length=200)
    licence_key: str = Field(min_length=1, max_length=200)
    """Which licence of the case: "permit", "certificate:湘A12345"…"""
    matter: str = Field(min_length=1, max_length=100)
    type_code: str = Field(min_length=1, max_length=64)
    number: str = Field(min_length=1, max_length=100)
    holder_name: str = Field(min_length=1, max_length=200)
    holder_code: str = Field(min_length=1, max_length=64)
    issued_at: AwareDatetime
    valid_from: date
    valid_to: date
    payload: dict[str, Any]
    signed_data: bytes
    signature: bytes
    public_key: str = Field(min_length=1, max_length=200)
    status: str = Field(min_length=1, max_length=32)
    """`domain.licence.LicenceStatus` value: "valid", "revoked"…"""


class IssuedLicence(LicenceIn):
    """A stored licence, with how often anyone fetched it and when its holder first did (激活)."""

    first_fetched_at: AwareDatetime | None
    fetch_count: int
    activated_at: AwareDatetime | None = None


def seal_digest(public_key_hex: str, signed_data: bytes, signature: bytes) -> str:
    """SHA-256 over what a seal verdict is about: the key, the signed bytes (hashed) and the signature."""
    return hashlib.sha256(
        b"\0".join(
            (public_key_hex.encode("ascii", "replace"), hashlib.sha256(signed_data).digest(), signature)
        )
    ).hexdigest()


def record_digest(payload_text: str, signed_data: bytes) -> str:
    """SHA-256 over what a record verdict is about: the catalogue record as the store holds it (its
    JSON text, read back) and the signed bytes, each hashed."""
    return hashlib.sha256(
        hashlib.sha256(payload_text.encode("utf-8", "surrogatepass")).digest()
        + hashlib.sha256(signed_data).digest()
    ).hexdigest()


COLLECTION = "归集"
"""The last part of a licence's 归集 message key: `collection_key`."""


def collection_key(case_id: str, licence_key: str) -> str:
    """The outbox key of a licence's 归集 to the provincial licence repository (its one message
    there): what the audit's 归集率 looks up, by `collection_key_of_row` on the licence's row."""
    return f"{case_id}:{licence_key}:{COLLECTION}"


def collection_key_of_row() -> sa.ColumnElement[str]:
    """`collection_key` of a `LicenceRow`, in SQL (the outbox's unique key index answers it)."""
    return LicenceRow.case_id + ":" + LicenceRow.licence_key + f":{COLLECTION}"


def payload_text() -> sa.Cast[str]:
    """The stored record's JSON text, verbatim on both databases: a cast, which asyncpg returns as
    text (a JSON column it would decode, and the digest would be over a re-encoding)."""
    return sa.cast(LicenceRow.payload, sa.Text)


async def save_licence_once(
    session: AsyncSession,
    licence: LicenceIn,
    outbox_messages: Sequence[OutboxMessageIn],
    *,
    now: datetime | None = None,
    vehicles: Sequence[str] = (),
    roads: Sequence[str] = (),
    seal_valid: bool | None = None,
) -> tuple[IssuedLicence, bool]:
    """Store `licence` and enqueue `outbox_messages`, unless the case already has this licence.

    `seal_valid`: the verdict of verifying the seal at issue, stored with the digest of what it is
    about (`seal_digest`) so the audit need not verify it again; None stores no verdict. The record's
    own verdict (`domain.licence.record_is_qualified`) is stored likewise, over the record as stored
    (`record_digest`), so the audit need not parse and check 100 000 records either.
    Returns the stored licence and whether this call created it. Runs in the caller's transaction
    and does not commit: commit once, and licence and messages are stored together or not at all.
    A concurrent twin that inserts first makes this call return the twin's licence.
    """
    existing = await _find(session, licence.case_id, licence.licence_key)
    if existing is not None:
        return existing, False
    values = {
        **licence.model_dump(),
        "first_fetched_at": None,
        "fetch_count": 0,
        "activated_at": None,
        "seal_valid": seal_valid,
        "sealed_sha256": None
        if seal_valid is None
        else seal_digest(licence.public_key, licence.signed_data, licence.signature),
        "record_valid": record_is_qualified(licence.payload, licence.signed_data),
        "record_sha256": record_digest(_stored_text(session, licence.payload), licence.signed_data),
    }
    # Core, not the ORM's unit of work (a flush and a savepoint cost a third of the issuing activity,
    # issue 18). A twin that committed this (case, key) first leaves the insert without effect, and
    # this call returns the twin's licence; on PostgreSQL the insert waits for a twin still running.
    inserted = await session.execute(upsert_insert(session, _licences).on_conflict_do_nothing(), [values])
    if not getattr(inserted, "rowcount", 1):
        twin = await _find(session, licence.case_id, licence.licence_key)
        if twin is None:
            raise LicenceIdClash(f"licence id {licence.licence_id!r} is another case's licence's")
        return twin, False
    plates = dict.fromkeys(vehicles)  # indexed by plate: `licences_for_vehicles`
    if plates:
        await session.execute(
            sa.insert(_vehicles),
            [
                {
                    "licence_id": licence.licence_id,
                    "plate": plate,
                    "matter": licence.matter,
                    "valid_from": licence.valid_from,
                    "valid_to": licence.valid_to,
                    "roads": list(roads),
                }
                for plate in plates
            ],
        )
    await enqueue(session, outbox_messages, now=now)
    return IssuedLicence.model_validate({name: values[name] for name in IssuedLicence.model_fields}), True


class LicenceIdClash(Exception):
    """A licence's identifier is already another case's licence's (a serial key collision)."""


_licences = table_of(LicenceRow)
_vehicles = table_of(LicenceVehicleRow)


def _stored_text(session: AsyncSession, payload: dict[str, Any]) -> str:
    """The JSON text the payload column stores, without reading it back: the text is the column
    type's own bound value, and both databases keep it verbatim (SQLite as TEXT; PostgreSQL's
    `json`, unlike `jsonb`, keeps its input text), so `payload_text()` returns exactly this."""
    dialect = session.get_bind().dialect
    bind = LicenceRow.__table__.c.payload.type.dialect_impl(dialect).bind_processor(dialect)
    text = payload if bind is None else bind(payload)
    assert isinstance(text, str)
    return text


async def licences_for_vehicles(
    session: AsyncSession, matter: str, plates: Sequence[str], valid_from: date, valid_to: date
) -> list[VehicleLicence]:
    """The valid (not revoked) licences of `matter` for any of `plates` whose validity overlaps
    [valid_from, valid_to], by the plate index; each with its plate, validity and roads."""
    values = {"plates": list(plates), "matter": matter, "valid_from": valid_from, "valid_to": valid_to}
    return [
        VehicleLicence(
            licence_id=row.licence_id,
            case_id=case_id,
            plate=row.plate,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            roads=list(row.roads),
        )
        for row, case_id in (await session.execute(_VEHICLE_LICENCES, values)).all()
    ]


# Built once: every 大件运输 pre-fill asks it (同一车辆重复办证).
_VEHICLE_LICENCES = (
    sa.select(LicenceVehicleRow, LicenceRow.case_id)
    .join(LicenceRow, LicenceRow.licence_id == LicenceVehicleRow.licence_id)
    .where(
        LicenceVehicleRow.plate.in_(sa.bindparam("plates", expanding=True)),
        LicenceVehicleRow.matter == sa.bindparam("matter"),
        LicenceVehicleRow.valid_to >= sa.bindparam("valid_from"),
        LicenceVehicleRow.valid_from <= sa.bindparam("valid_to"),
        LicenceRow.status == LicenceStatus.VALID.value,
    )
    .order_by(LicenceVehicleRow.valid_from, LicenceVehicleRow.licence_id)
)


async def get_licence(session: AsyncSession, licence_id: str) -> IssuedLicence | None:
    row = await session.get(LicenceRow, licence_id)
    return None if row is None else _to_licence(row)


async def licence_case(session: AsyncSession, licence_id: str) -> str | None:
    """The case a licence was issued in (None: no such licence), without loading the licence."""
    case_id: str | None = await session.scalar(
        sa.select(LicenceRow.case_id).where(LicenceRow.licence_id == licence_id)
    )
    return case_id


async def record_fetch(
    session: AsyncSession, licence_id: str, at: datetime, *, by_holder: bool = False
) -> IssuedLicence | None:
    """Count one fetch of the licence; the holder's first one is its activation (激活). Does not commit.

    A fetch by anyone else (a checkpoint, an officer, an anonymous caller) is counted and dated in
    `fetch_count` and `first_fetched_at`, but activates nothing: 激活率 measures holders who took
    their licence, and whoever knows an identifier can fetch it.
    """
    stamp = sa.literal(at, UTCDateTime())
    values: dict[str, Any] = {
        "fetch_count": LicenceRow.fetch_count + 1,
        "first_fetched_at": sa.func.coalesce(LicenceRow.first_fetched_at, stamp),
    }
    if by_holder:
        values["activated_at"] = sa.func.coalesce(LicenceRow.activated_at, stamp)
    result = await session.execute(
        sa.update(LicenceRow)
        .where(LicenceRow.licence_id == licence_id)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) == 0:
        return None
    row = await session.get(LicenceRow, licence_id, populate_existing=True)
    return None if row is None else _to_licence(row)


async def _find(session: AsyncSession, case_id: str, licence_key: str) -> IssuedLicence | None:
    row = (await session.execute(_OF_CASE_AND_KEY, {"case_id": case_id, "licence_key": licence_key})).first()
    return None if row is None else IssuedLicence.model_validate(row._asdict())


_OF_CASE_AND_KEY = sa.select(*(_licences.c[name] for name in IssuedLicence.model_fields)).where(
    _licences.c.case_id == sa.bindparam("case_id"), _licences.c.licence_key == sa.bindparam("licence_key")
)


def _to_licence(row: LicenceRow) -> IssuedLicence:
    return IssuedLicence.model_validate(row, from_attributes=True)
