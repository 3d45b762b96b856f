"""Pre-fill: registry look-ups become RegistryFacts; a missing record is None, never an error."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from temporalio.testing import ActivityEnvironment

from activities.deadlines import DueDatesInput, compute_due_dates
from activities.licensing import VehicleLicenceQuery, licences_for_vehicles
from activities.prefill_business import BusinessPrefillInput, prefill_business
from activities.prefill_oversize import (
    PrefillInput,
    PrefillWithPermits,
    PrefillWithPermitsInput,
    prefill_registries,
    prefill_with_permits,
)
from bootstrap.deps import Deps
from domain.calendar import SHANGHAI
from domain.open_business_case import OpenBusinessFacts
from domain.oversize_case import CarrierFacts, RegistryFacts, VehicleFacts
from store.registries import RegistrySnapshot, import_snapshot

CARRIER = "91430100MA4L00001J"  # 长沙示例重型物流有限公司, grade A
UNKNOWN_CARRIER = "91430100MA4L00009B"  # well-formed, not in the registry


async def prefill(**fields: Any) -> RegistryFacts:
    result: RegistryFacts = await ActivityEnvironment().run(prefill_registries, PrefillInput(**fields))
    return result


async def test_known_carrier_and_vehicles_fill_every_fact(deps: Deps):
    facts = await prefill(
        carrier_code=CARRIER,
        tractor_plate="湘AD1234",
        trailer_plate="湘A1234挂",
        driver_qualification="430000198001010011",
    )

    assert facts.carrier == CarrierFacts(
        credit_code=CARRIER,
        name="长沙示例重型物流有限公司",
        licence_scopes=["普通货运", "大件运输"],
        licence_valid_until=date(2029, 6, 30),
        barred_until=None,
    )
    # 湘AD1234 has an expired certificate (2023) and its renewal (2029): the renewal counts.
    assert facts.tractor == VehicleFacts(
        plate="湘AD1234",
        axles=3,
        vehicle_type="重型半挂牵引车",
        owner_code=CARRIER,
        certificate_valid_until=date(2029, 6, 30),
    )
    assert facts.trailer is not None
    assert (facts.trailer.plate, facts.trailer.axles) == ("湘A1234挂", 3)
    assert facts.trailer.certificate_valid_until == date(2029, 6, 30)
    assert facts.driver_valid_until == date(2030, 1, 1)
    assert (facts.credit_grade, facts.serious_dishonesty) == ("A", False)
    assert facts.main_corridors == list(deps.main_corridors)


async def test_plates_and_codes_are_found_however_they_are_written(deps: Deps):
    facts = await prefill(carrier_code=CARRIER.lower(), tractor_plate="湘A·d1234")
    assert facts.carrier is not None
    assert facts.tractor is not None and facts.tractor.plate == "湘AD1234"


async def test_unknown_plate_carrier_and_driver_are_none_not_errors(deps: Deps):
    facts = await prefill(
        carrier_code=UNKNOWN_CARRIER,
        tractor_plate="湘ZZ9999",
        trailer_plate="湘Z9999挂",
        driver_qualification="no-such-qualification",
    )
    assert facts.carrier is None
    assert facts.tractor is None
    assert facts.trailer is None
    assert facts.driver_valid_until is None
    # No credit record: no grade, and no serious dishonesty either.
    assert (facts.credit_grade, facts.serious_dishonesty) == (None, False)
    assert facts.main_corridors == list(deps.main_corridors)


async def test_without_trailer_or_driver_those_facts_are_none(deps: Deps):
    facts = await prefill(carrier_code=CARRIER, tractor_plate="湘AD5678")
    assert facts.tractor is not None
    assert facts.trailer is None
    assert facts.driver_valid_until is None


async def test_expired_certificate_is_reported_with_its_date(deps: Deps):
    facts = await prefill(carrier_code="91430700MA4L000061", tractor_plate="湘JD6789")
    assert facts.tractor is not None
    assert facts.tractor.certificate_valid_until == date(2024, 6, 30)
    assert facts.carrier is not None
    assert facts.carrier.licence_valid_until == date(2024, 6, 30)  # the carrier's licence expired too


async def test_vehicle_without_certificate_has_none(deps: Deps, sample_snapshot: RegistrySnapshot):
    # A vehicle the 行驶证 registry knows but no 道路运输证 covers.
    vehicle = sample_snapshot.vehicles[0].model_dump() | {"plate": "湘AX0001", "vin": "LSAMPLE1000000099"}
    extra = RegistrySnapshot.model_validate({"source": "test", "sample": True, "vehicles": [vehicle]})
    await import_snapshot(deps.sessions, extra)

    facts = await prefill(carrier_code=CARRIER, tractor_plate="湘AX0001")
    assert facts.tractor is not None
    assert facts.tractor.certificate_valid_until is None


async def test_serious_dishonesty_and_bar_come_through(deps: Deps):
    facts = await prefill(carrier_code="91430400MA4L00004B", tractor_plate="湘DD4567")
    assert (facts.credit_grade, facts.serious_dishonesty) == ("D", True)
    assert facts.carrier is not None and facts.carrier.barred_until == date(2099, 12, 31)


# --- 开办运输企业 -------------------------------------------------------------------------------------

BUSINESS_CODE = "91430100MA4L001018"  # 长沙示例新开货运有限公司, 存续


async def test_business_prefill_finds_the_licence_each_truck_and_each_driver(deps: Deps):
    inp = BusinessPrefillInput(
        credit_code=BUSINESS_CODE,
        plates=["湘AH1001", "湘AH1004", "湘Z00000"],
        qualifications=["430000199106060066", "nobody"],
    )
    facts: OpenBusinessFacts = await ActivityEnvironment().run(prefill_business, inp)

    assert facts.business is not None
    assert (facts.business.name, facts.business.status, facts.business.valid_until) == (
        "长沙示例新开货运有限公司",
        "存续",
        None,
    )
    # The legal representative stays in the registry: the case never holds the name.
    assert "legal_representative" not in facts.business.model_dump()
    assert "示例法人甲" not in facts.model_dump_json()
    assert list(facts.trucks) == inp.plates  # in the submission's order, None where not found
    heavy, light, missing = facts.trucks.values()
    assert heavy is not None and (heavy.total_mass_kg, heavy.owner_code) == (25_000, BUSINESS_CODE)
    assert light is not None and light.total_mass_kg == 4_495
    assert missing is None
    driver, nobody = facts.drivers.values()
    assert driver is not None and driver.categories == ["经营性道路货物运输驾驶员"]
    assert nobody is None
    assert "孙八" not in facts.model_dump_json()  # the driver's name is not fetched either


async def test_an_unknown_business_is_none(deps: Deps):
    inp = BusinessPrefillInput(credit_code=UNKNOWN_CARRIER, plates=["湘AH1001"], qualifications=[])
    facts: OpenBusinessFacts = await ActivityEnvironment().run(prefill_business, inp)
    assert facts.business is None and facts.drivers == {}


async def test_the_prefill_with_permits_answers_as_the_look_ups_it_stands_for(deps: Deps):
    """`prefill_with_permits` (one local activity of a 大件运输 case) gives what `prefill_registries`,
    `licences_for_vehicles` and `compute_due_dates` give for the same questions."""
    looked_up = PrefillInput(carrier_code=CARRIER, tractor_plate="湘AD1234", trailer_plate="湘A1234挂")
    permits = VehicleLicenceQuery(
        matter="oversize-transport",
        plates=["湘AD1234", "湘A1234挂"],
        valid_from=date(2026, 12, 1),
        valid_to=date(2026, 12, 20),
    )
    # Across a national holiday and into a year without a notice: provisional years come through too.
    dues = DueDatesInput(
        start=datetime(2026, 9, 28, 10, tzinfo=SHANGHAI), working_days={"2d": 2, "10d": 10, "80d": 80}
    )
    env = ActivityEnvironment()
    found: PrefillWithPermits = await env.run(
        prefill_with_permits, PrefillWithPermitsInput(**looked_up.model_dump(), permits=permits, dues=dues)
    )

    assert found.facts == await prefill(**looked_up.model_dump())
    assert found.held == await env.run(licences_for_vehicles, permits)
    assert found.dues == await env.run(compute_due_dates, dues)
    assert found.dues.provisional_years == {"80d": [2027]}
