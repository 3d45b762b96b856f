"""Registry data from the data-sharing platform (数据共享平台): import and look-up.

The pre-fill step (免提交) fetches what a registry already holds — 行驶证, 道路运输证, 经营许可证,
从业资格证, credit grade, and the market-regulation registry's 营业执照 — instead of asking the
applicant to upload it. Registry data arrives as a
snapshot file in the import schema below (`RegistrySnapshot`); `import_snapshot` applies one
snapshot all-or-nothing. Look-ups return plain pydantic values, never ORM objects, so they can cross
into Temporal payloads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, TypeVar

import sqlalchemy as sa
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.db import upsert_insert
from store.schema import (
    BusinessLicenceRow,
    CarrierRow,
    CreditGradeRow,
    DriverRow,
    RegistrySnapshotRow,
    TransportCertificateRow,
    VehicleRow,
)

# --- identifiers -----------------------------------------------------------------------------

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""GB 32100-2015 code characters: digits and capitals without I, O, S, V, Z."""


def credit_code_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code (统一社会信用代码), GB 32100-2015.

    Weights are 3^i mod 31 for positions i = 0…16; the check value is 31 − (Σ value×weight mod 31),
    where 31 is written as 0.
    """
    if len(first17) != 17:
        raise ValueError(f"expected the first 17 characters, got {len(first17)}")
    total = sum(CREDIT_CODE_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def _check_credit_code(code: str) -> str:
    if len(code) != 18:
        raise PydanticCustomError(
            "credit_code_length", "must be 18 characters, got {length}", {"length": len(code)}
        )
    for position, char in enumerate(code, start=1):
        if char not in CREDIT_CODE_ALPHABET:
            raise PydanticCustomError(
                "credit_code_char",
                "character {char} at position {position} is not in the GB 32100 alphabet "
                "(digits and capitals without I, O, S, V, Z)",
                {"char": repr(char), "position": position},
            )
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise PydanticCustomError(
            "credit_code_check", "check character should be {expected}", {"expected": expected}
        )
    return code


# Province abbreviation, issuing-office letter, 4–6 letters/digits (6 for new-energy plates),
# optionally a kind character such as 挂 (trailer).
_PLATE = re.compile(r"[\u4e00-\u9fff][A-Z][A-Z0-9]{4,6}[\u4e00-\u9fff]?")


def normalize_plate(plate: str) -> str:
    """`湘A·D1234` and `湘a d1234` are both written `湘AD1234`."""
    return re.sub(r"[\s·•.]", "", plate).upper()


def _check_plate(plate: str) -> str:
    if not plate:
        raise PydanticCustomError("plate_empty", "must not be empty")
    if not _PLATE.fullmatch(plate):
        raise PydanticCustomError(
            "plate_shape",
            "{plate} is not a plate like 湘AD1234 or 湘A1234挂",
            {"plate": repr(plate)},
        )
    return plate


def _normalize_plate_input(value: Any) -> Any:
    return normalize_plate(value) if isinstance(value, str) else value


_VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
_ID_NUMBER = re.compile(r"\d{17}[\dX]")


def _check_vin(vin: str) -> str:
    if not _VIN.fullmatch(vin):
        raise PydanticCustomError("vin", "must be 17 letters or digits without I, O, Q")
    return vin


def _check_id_number(number: str) -> str:
    if not _ID_NUMBER.fullmatch(number):
        raise PydanticCustomError("id_number", "must be 17 digits and a digit or X")
    return number


CreditCode = Annotated[str, AfterValidator(_check_credit_code)]
Plate = Annotated[str, BeforeValidator(_normalize_plate_input), AfterValidator(_check_plate)]
Vin = Annotated[str, AfterValidator(_check_vin)]
IdNumber = Annotated[str, AfterValidator(_check_id_number)]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\S+$")]


# --- records: the import schema and what look-ups return -------------------------------------


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Carrier(_Record):
    """A carrier and its road transport operating licence (道路运输经营许可证)."""

    credit_code: CreditCode
    name: Text
    licence_number: Code
    licence_scopes: list[Text]
    licence_valid_until: date
    barred_until: date | None = None
    """Barred from applying (依法限制申请) until this day, if at all."""


class Vehicle(_Record):
    """行驶证 data of one vehicle (a tractor, a trailer or a rigid truck)."""

    plate: Plate
    vin: Vin
    vehicle_type: Text
    axles: int = Field(ge=1, le=40)
    curb_mass_kg: int = Field(gt=0, le=500_000)
    length_m: float = Field(gt=0, le=100)
    width_m: float = Field(gt=0, le=20)
    height_m: float = Field(gt=0, le=20)
    owner_credit_code: CreditCode
    owner_name: Text
    valid_until: date
    total_mass_kg: int | None = Field(default=None, gt=0, le=500_000)
    """总质量 on the 行驶证; optional, so snapshots from before it was exported still import."""


class TransportCertificate(_Record):
    """道路运输证 of one vehicle."""

    number: Code
    plate: Plate
    carrier_credit_code: CreditCode
    valid_until: date


class Driver(_Record):
    """从业资格证 of one driver."""

    qualification_number: Code
    name: Annotated[str, Field(min_length=1, max_length=100)]
    id_number: IdNumber
    categories: list[Text]
    valid_until: date


class CreditGrade(_Record):
    """Credit grade (信用等级) A–D; serious dishonesty (严重失信) bars a carrier from favours."""

    credit_code: CreditCode
    grade: Literal["A", "B", "C", "D"]
    serious_dishonesty: bool


BusinessStatus = Literal["存续", "在业", "停业", "迁出", "吊销", "注销", "撤销"]
"""登记状态 as the market-regulation registry writes it."""


class BusinessLicence(_Record):
    """营业执照 of one enterprise, from the market-regulation registry (市场监管).

    `legal_representative` is personal data: it is kept as the registry gives it, and no look-up
    that crosses into a case (pre-fill) returns it.
    """

    credit_code: CreditCode
    name: Text
    legal_representative: Annotated[str, Field(min_length=1, max_length=100)]
    registered_address: Text
    business_scope: list[Text]
    established: date
    status: BusinessStatus
    valid_until: date | None = None
    """营业期限至; None for 长期 (no end)."""


class RegistrySnapshot(_Record):
    """The import file: one snapshot of the registries.

    `{"source": str, "sample": bool, "carriers": [...], "vehicles": [...],
    "transport_certificates": [...], "drivers": [...], "credit_grades": [...],
    "business_licences": [...]}`
    """

    source: Text
    sample: bool
    carriers: list[Carrier] = []
    vehicles: list[Vehicle] = []
    transport_certificates: list[TransportCertificate] = []
    drivers: list[Driver] = []
    credit_grades: list[CreditGrade] = []
    business_licences: list[BusinessLicence] = []

    @field_validator("carriers", "credit_grades", "business_licences")
    @classmethod
    def _unique_credit_codes(cls, rows: list[Any]) -> list[Any]:
        return _unique(rows, "credit_code")

    @field_validator("vehicles")
    @classmethod
    def _unique_plates(cls, rows: list[Vehicle]) -> list[Vehicle]:
        return _unique(rows, "plate")

    @field_validator("transport_certificates")
    @classmethod
    def _unique_numbers(cls, rows: list[TransportCertificate]) -> list[TransportCertificate]:
        return _unique(rows, "number")

    @field_validator("drivers")
    @classmethod
    def _unique_qualifications(cls, rows: list[Driver]) -> list[Driver]:
        return _unique(rows, "qualification_number")

    def counts(self) -> dict[str, int]:
        return {table: len(getattr(self, table)) for table in _TABLES}


_Row = TypeVar("_Row", bound=BaseModel)


def _unique(rows: list[_Row], key: str) -> list[_Row]:
    seen: dict[Any, int] = {}
    for index, row in enumerate(rows):
        value = getattr(row, key)
        if value in seen:
            raise PydanticCustomError(
                "duplicate_key",
                "entry {index} repeats {key} {value} of entry {first}",
                {"index": index, "key": key, "value": repr(value), "first": seen[value]},
            )
        seen[value] = index
    return rows


# --- import ----------------------------------------------------------------------------------

_TABLES: dict[str, tuple[type[Any], str]] = {
    "carriers": (CarrierRow, "credit_code"),
    "vehicles": (VehicleRow, "plate"),
    "transport_certificates": (TransportCertificateRow, "number"),
    "drivers": (DriverRow, "qualification_number"),
    "credit_grades": (CreditGradeRow, "credit_code"),
    "business_licences": (BusinessLicenceRow, "credit_code"),
}
_CHUNK = 500  # rows per INSERT: stays far below both databases' limits on bound parameters


class ImportResult(BaseModel):
    snapshot_id: int
    source: str
    sample: bool
    counts: dict[str, int]


async def import_snapshot(
    sessions: async_sessionmaker[AsyncSession], snapshot: RegistrySnapshot, *, now: datetime | None = None
) -> ImportResult:
    """Upsert every row of `snapshot` by primary key, in ONE transaction: all of it or nothing.

    Rows the snapshot does not mention are kept. Importing the same snapshot again changes no
    registry row; each import is logged in `registry_snapshots`.
    """
    counts = snapshot.counts()
    async with sessions.begin() as session:
        for table, (row_type, key) in _TABLES.items():
            rows = [record.model_dump() for record in getattr(snapshot, table)]
            for start in range(0, len(rows), _CHUNK):
                await _upsert(session, row_type, key, rows[start : start + _CHUNK])
        log = RegistrySnapshotRow(
            source=snapshot.source,
            is_sample=snapshot.sample,
            imported_at=now or datetime.now(UTC),
            counts=counts,
        )
        session.add(log)
        await session.flush()
        return ImportResult(snapshot_id=log.id, source=snapshot.source, sample=snapshot.sample, counts=counts)


async def _upsert(
    session: AsyncSession, row_type: type[Any], key: str, rows: Sequence[dict[str, Any]]
) -> None:
    if not rows:
        return
    table = row_type.__table__
    insert = upsert_insert(session, table).values(list(rows))
    update = {c.name: insert.excluded[c.name] for c in table.columns if c.name != key}
    await session.execute(insert.on_conflict_do_update(index_elements=[key], set_=update))


# --- look-ups --------------------------------------------------------------------------------


async def get_vehicle(session: AsyncSession, plate: str) -> Vehicle | None:
    row = await _by_key(session, VehicleRow, normalize_plate(plate))
    return None if row is None else _to_record(Vehicle, row)


async def get_carrier(session: AsyncSession, credit_code: str) -> Carrier | None:
    row = await _by_key(session, CarrierRow, credit_code.strip().upper())
    return None if row is None else _to_record(Carrier, row)


async def get_transport_certificate_for_plate(
    session: AsyncSession, plate: str
) -> TransportCertificate | None:
    """The certificate of `plate` valid longest (a renewed certificate supersedes the old one)."""
    row = (await session.execute(_CERTIFICATE_OF_PLATE, {"plate": normalize_plate(plate)})).first()
    return None if row is None else _to_record(TransportCertificate, row)


_certificates = TransportCertificateRow.__table__
_CERTIFICATE_OF_PLATE = (
    sa.select(_certificates)
    .where(_certificates.c.plate == sa.bindparam("plate"))
    .order_by(_certificates.c.valid_until.desc(), _certificates.c.number.desc())
    .limit(1)
)


async def get_driver(session: AsyncSession, qualification_number: str) -> Driver | None:
    row = await _by_key(session, DriverRow, qualification_number.strip())
    return None if row is None else _to_record(Driver, row)


async def get_business_licence(session: AsyncSession, credit_code: str) -> BusinessLicence | None:
    row = await _by_key(session, BusinessLicenceRow, credit_code.strip().upper())
    return None if row is None else _to_record(BusinessLicence, row)


async def get_credit_grade(session: AsyncSession, credit_code: str) -> CreditGrade | None:
    row = await _by_key(session, CreditGradeRow, credit_code.strip().upper())
    return None if row is None else _to_record(CreditGrade, row)


async def _by_key(session: AsyncSession, row_type: type[Any], key: str) -> Any:
    """One registry row by its primary key, read with Core (None when absent): a look-up hands back a
    record, so the ORM's identity map and object loading (about half of each `session.get`) buy
    nothing; the columns' types still convert the values."""
    return (await session.execute(_select_by_key(row_type), {"key": key})).first()


def _select_by_key(row_type: type[Any]) -> sa.Select[Any]:
    """`_by_key`'s statement, built once per table: a pre-fill makes ten look-ups a case, and building
    a statement and its cache key anew each time cost a fifth of each (issue 18)."""
    table = row_type.__table__
    stmt = _BY_KEY.get(table.name)
    if stmt is None:
        (primary,) = table.primary_key.columns
        stmt = _BY_KEY[table.name] = sa.select(table).where(primary == sa.bindparam("key"))
    return stmt


_BY_KEY: dict[str, sa.Select[Any]] = {}


_Rec = TypeVar("_Rec", bound=_Record)


def _to_record(record_type: type[_Rec], row: Any) -> _Rec:
    # Stored rows were validated on import; construct without re-validating.
    return record_type.model_construct(**{name: getattr(row, name) for name in record_type.model_fields})


async def registry_is_empty(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """True when no carrier has been imported yet (a fresh embedded stack)."""
    async with sessions() as session:
        return (await session.execute(sa.select(CarrierRow.credit_code).limit(1))).first() is None
