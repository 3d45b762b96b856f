"""Registry snapshots: validation names the field, import is all-or-nothing, look-ups are plain values."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from cli.errors import describe_validation_error
from domain.licence import is_unified_social_credit_code
from store.registries import (
    BusinessLicence,
    Carrier,
    CreditGrade,
    RegistrySnapshot,
    credit_code_check_char,
    get_business_licence,
    get_carrier,
    get_credit_grade,
    get_driver,
    get_transport_certificate_for_plate,
    get_vehicle,
    import_snapshot,
)
from store.schema import (
    BusinessLicenceRow,
    CarrierRow,
    CreditGradeRow,
    DriverRow,
    RegistrySnapshotRow,
    TransportCertificateRow,
    VehicleRow,
)
from tests.store.conftest import Db

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "registry.sample.json"
ROW_TYPES = {
    "carriers": CarrierRow,
    "vehicles": VehicleRow,
    "transport_certificates": TransportCertificateRow,
    "drivers": DriverRow,
    "credit_grades": CreditGradeRow,
    "business_licences": BusinessLicenceRow,
}


def sample_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return data


def sample() -> RegistrySnapshot:
    return RegistrySnapshot.model_validate(sample_data())


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        RegistrySnapshot.model_validate(data)
    return describe_validation_error(info.value)


async def row_counts(db: Db) -> dict[str, int]:
    async with db.sessions() as session:
        counts = {
            name: await session.scalar(sa.select(sa.func.count()).select_from(row_type))
            for name, row_type in ROW_TYPES.items()
        }
    return {name: count or 0 for name, count in counts.items()}


# --- credit codes (GB 32100-2015) ------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the example printed in many guides to the standard
        "91440300708461136T",  # a published company registration
    ],
)
def test_check_character_of_published_codes(code: str):
    assert credit_code_check_char(code[:17]) == code[17]


def test_every_sample_credit_code_is_valid_by_the_domain_rule_too():
    snapshot = sample()
    codes = {c.credit_code for c in snapshot.carriers} | {v.owner_credit_code for v in snapshot.vehicles}
    assert codes and all(is_unified_social_credit_code(code) for code in codes)


def test_a_wrong_check_character_names_the_field_and_the_right_character():
    data = sample_data()
    good = data["carriers"][2]["credit_code"]
    data["carriers"][2]["credit_code"] = good[:17] + ("0" if good[17] != "0" else "1")
    assert error_of(data) == f"carriers.2.credit_code: check character should be {good[17]}"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91430100MA4L0000", "must be 18 characters, got 16"),
        ("91430100MA4L0000IJ", "character 'I' at position 17 is not in the GB 32100 alphabet"),
    ],
)
def test_malformed_credit_codes(code: str, message: str):
    data = sample_data()
    data["credit_grades"][0]["credit_code"] = code
    assert error_of(data).startswith(f"credit_grades.0.credit_code: {message}")


def test_sample_file_is_marked_as_sample_and_covers_the_cases_the_rules_need():
    snapshot = sample()
    assert snapshot.sample is True
    assert snapshot.source.startswith("SAMPLE DATA")
    assert len(snapshot.carriers) >= 6 and len(snapshot.vehicles) >= 10 and len(snapshot.drivers) >= 5
    assert any("大件运输" not in c.licence_scopes for c in snapshot.carriers)
    assert any(c.barred_until == date(2099, 12, 31) for c in snapshot.carriers)
    assert {g.grade for g in snapshot.credit_grades} == {"A", "B", "C", "D"}
    assert {g.credit_code for g in snapshot.credit_grades} == {c.credit_code for c in snapshot.carriers}
    # Every carrier's vehicle has its 道路运输证; the trucks of businesses still opening have none yet.
    carriers = {c.credit_code for c in snapshot.carriers}
    plates = {v.plate for v in snapshot.vehicles if v.owner_credit_code in carriers}
    assert {t.plate for t in snapshot.transport_certificates} == plates
    opening = {b.credit_code for b in snapshot.business_licences}
    assert {v.owner_credit_code for v in snapshot.vehicles} <= carriers | opening


@pytest.mark.parametrize(
    ("table", "index", "field", "value", "expected"),
    [
        ("vehicles", 1, "plate", "", "vehicles.1.plate: must not be empty"),
        ("vehicles", 1, "plate", "ABC", "vehicles.1.plate: 'ABC' is not a plate like 湘AD1234 or 湘A1234挂"),
        (
            "vehicles",
            0,
            "vin",
            "LSAMPLEIOQ0000001",
            "vehicles.0.vin: must be 17 letters or digits without I, O, Q",
        ),
        ("vehicles", 3, "axles", 0, "vehicles.3.axles: Input should be greater than or equal to 1"),
        (
            "drivers",
            4,
            "id_number",
            "43000019880505005",
            "drivers.4.id_number: must be 17 digits and a digit or X",
        ),
        ("credit_grades", 1, "grade", "E", "credit_grades.1.grade: Input should be 'A', 'B', 'C' or 'D'"),
        ("carriers", 0, "licence_valid_until", "someday", "carriers.0.licence_valid_until: Input should be"),
        ("carriers", 0, "colour", "red", "carriers.0.colour: Extra inputs are not permitted"),
    ],
)
def test_bad_rows_name_their_field(table: str, index: int, field: str, value: Any, expected: str):
    data = sample_data()
    data[table][index][field] = value
    assert error_of(data).startswith(expected)


def test_a_repeated_key_in_one_snapshot_is_refused():
    data = sample_data()
    data["vehicles"].append(dict(data["vehicles"][0]))
    last = len(data["vehicles"]) - 1
    assert error_of(data) == f"vehicles: entry {last} repeats plate '湘AD1234' of entry 0"


def test_plates_are_written_without_the_dot():
    data = sample_data()
    data["vehicles"][0]["plate"] = "湘A·d1234"
    assert RegistrySnapshot.model_validate(data).vehicles[0].plate == "湘AD1234"


# --- import ----------------------------------------------------------------------------------


async def test_import_writes_every_row_and_logs_the_snapshot(db: Db):
    snapshot = sample()
    result = await import_snapshot(db.sessions, snapshot)
    assert result.counts == {name: len(getattr(snapshot, name)) for name in ROW_TYPES}
    assert await row_counts(db) == result.counts
    async with db.sessions() as session:
        log = await session.get(RegistrySnapshotRow, result.snapshot_id)
    assert log is not None and log.is_sample and log.counts == result.counts


async def test_reimport_changes_nothing_and_a_changed_row_is_updated(db: Db):
    await import_snapshot(db.sessions, sample())
    before = await row_counts(db)
    await import_snapshot(db.sessions, sample())
    assert await row_counts(db) == before

    data = sample_data()
    data["carriers"][0]["name"] = "改名后的示例物流有限公司"
    data["carriers"][0]["licence_scopes"] = ["普通货运"]
    await import_snapshot(db.sessions, RegistrySnapshot.model_validate(data))
    assert await row_counts(db) == before
    async with db.sessions() as session:
        carrier = await get_carrier(session, data["carriers"][0]["credit_code"])
        logs = await session.scalar(sa.select(sa.func.count()).select_from(RegistrySnapshotRow))
    assert carrier is not None and carrier.name == "改名后的示例物流有限公司"
    assert carrier.licence_scopes == ["普通货运"]
    assert logs == 3


async def test_a_row_the_database_refuses_rolls_back_the_whole_snapshot(db: Db):
    # Validation is bypassed (model_construct) to reach the database's own CHECK on grade: the rows
    # of every table imported before the bad one must be rolled back too.
    good = sample()
    bad_grade = CreditGrade.model_construct(
        credit_code=good.carriers[0].credit_code, grade="E", serious_dishonesty=False
    )
    bad = good.model_copy(update={"credit_grades": [*good.credit_grades[1:], bad_grade]})
    with pytest.raises(IntegrityError):
        await import_snapshot(db.sessions, bad)
    assert set((await row_counts(db)).values()) == {0}
    async with db.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(RegistrySnapshotRow)) == 0


async def test_a_failed_reimport_keeps_the_previous_data(db: Db):
    await import_snapshot(db.sessions, sample())
    before = await row_counts(db)
    changed = sample().carriers[0].model_copy(update={"name": "不应写入"})
    bad_grade = CreditGrade.model_construct(
        credit_code=changed.credit_code, grade="Z", serious_dishonesty=False
    )
    bad = sample().model_copy(update={"carriers": [changed], "credit_grades": [bad_grade]})
    with pytest.raises(IntegrityError):
        await import_snapshot(db.sessions, bad)
    assert await row_counts(db) == before
    async with db.sessions() as session:
        carrier = await get_carrier(session, changed.credit_code)
    assert carrier is not None and carrier.name != "不应写入"


# --- look-ups --------------------------------------------------------------------------------


async def test_lookups_return_plain_values(db: Db):
    snapshot = sample()
    await import_snapshot(db.sessions, snapshot)
    async with db.sessions() as session:
        vehicle = await get_vehicle(session, "湘A·D1234")
        carrier = await get_carrier(session, snapshot.carriers[3].credit_code)
        certificate = await get_transport_certificate_for_plate(session, "湘AD1234")
        driver = await get_driver(session, snapshot.drivers[0].qualification_number)
        grade = await get_credit_grade(session, snapshot.carriers[3].credit_code)
        missing = [
            await get_vehicle(session, "湘Z99999"),
            await get_carrier(session, "91430100MA4L00009X"),
            await get_transport_certificate_for_plate(session, "湘Z99999"),
            await get_driver(session, "nobody"),
            await get_credit_grade(session, "91430100MA4L00009X"),
        ]
    assert vehicle == snapshot.vehicles[0]
    assert carrier == snapshot.carriers[3] and isinstance(carrier, Carrier)
    assert carrier.barred_until == date(2099, 12, 31)
    # 湘AD1234 has an expired certificate and its renewal: the renewal is the one that counts.
    assert certificate is not None and certificate.valid_until == date(2029, 6, 30)
    assert driver == snapshot.drivers[0]
    assert grade is not None and grade.grade == "D" and grade.serious_dishonesty
    assert missing == [None] * 5
    # They survive a JSON round trip (Temporal payloads).
    assert type(vehicle).model_validate_json(vehicle.model_dump_json()) == vehicle


async def test_business_licences_and_total_mass_for_opening_a_transport_business(db: Db):
    snapshot = sample()
    await import_snapshot(db.sessions, snapshot)
    by_code = {b.credit_code: b for b in snapshot.business_licences}
    async with db.sessions() as session:
        found = await get_business_licence(session, "91430100ma4l001018")
        missing = await get_business_licence(session, "91430100MA4L00009X")
        light = await get_vehicle(session, "湘AH1004")
    assert isinstance(found, BusinessLicence) and found == by_code["91430100MA4L001018"]
    assert found.valid_until is None  # 长期
    assert missing is None
    assert light is not None and light.total_mass_kg == 4_495
    # SAMPLE data: every credit code valid, one business with dangerous goods, one deregistered.
    assert all(is_unified_social_credit_code(code) for code in by_code)
    assert any("道路危险货物运输" in b.business_scope for b in by_code.values())
    assert any(b.status == "注销" for b in by_code.values())
    assert type(found).model_validate_json(found.model_dump_json()) == found


def test_a_vehicle_without_total_mass_still_imports_and_a_bad_status_is_named():
    data = sample_data()
    del data["vehicles"][0]["total_mass_kg"]
    assert RegistrySnapshot.model_validate(data).vehicles[0].total_mass_kg is None
    data["business_licences"][0]["status"] = "营业"
    assert error_of(data).startswith("business_licences.0.status:")
