"""Pre-fill (数据预填, 免提交): what the data-sharing platform already knows about the case.

The registries are looked up in parallel inside one activity per case: one round trip to the Temporal
server instead of one per record, and a retry repeats only reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.deps import current
from domain.open_business_case import BusinessFacts, DriverFacts, OpenBusinessFacts, TruckFacts
from domain.oversize_case import CarrierFacts, RegistryFacts, VehicleFacts
from store import registries

log = structlog.get_logger(__name__)

_T = TypeVar("_T")


class PrefillInput(BaseModel):
    carrier_code: str
    tractor_plate: str
    trailer_plate: str | None = None
    driver_qualification: str | None = None


@activity.defn
async def prefill_registries(inp: PrefillInput) -> RegistryFacts:
    """Look up carrier, credit grade, vehicles with their 道路运输证, and driver; None where absent.

    A missing record is a fact for the acceptance rules (补正), not an error: only a failing database
    raises (and the activity is retried).
    """
    deps = current()
    sessions = deps.sessions

    async def no_record() -> None:
        return None

    carrier, grade, tractor, trailer, driver = await asyncio.gather(
        _read(sessions, lambda s: registries.get_carrier(s, inp.carrier_code)),
        _read(sessions, lambda s: registries.get_credit_grade(s, inp.carrier_code)),
        _vehicle(sessions, inp.tractor_plate),
        _vehicle(sessions, inp.trailer_plate) if inp.trailer_plate else no_record(),
        (
            _read(sessions, lambda s: registries.get_driver(s, inp.driver_qualification or ""))
            if inp.driver_qualification
            else no_record()
        ),
    )
    facts = RegistryFacts(
        tractor=tractor,
        trailer=trailer,
        carrier=(
            None
            if carrier is None
            else CarrierFacts(
                credit_code=carrier.credit_code,
                name=carrier.name,
                licence_scopes=list(carrier.licence_scopes),
                licence_valid_until=carrier.licence_valid_until,
                barred_until=carrier.barred_until,
            )
        ),
        driver_valid_until=None if driver is None else driver.valid_until,
        credit_grade=None if grade is None else grade.grade,
        serious_dishonesty=False if grade is None else grade.serious_dishonesty,
        main_corridors=list(deps.main_corridors),
    )
    # Which records were found, never their content (names, plates and ids are personal or close to it).
    log.info(
        "registries prefilled",
        case_id=activity.info().workflow_id,
        step="prefill",
        carrier_found=facts.carrier is not None,
        tractor_found=facts.tractor is not None,
        trailer_found=facts.trailer is not None,
        driver_found=facts.driver_valid_until is not None,
        credit_grade_found=facts.credit_grade is not None,
    )
    return facts


async def _read(
    sessions: async_sessionmaker[AsyncSession], lookup: Callable[[AsyncSession], Awaitable[_T]]
) -> _T:
    # One session per look-up: a session is not safe for concurrent use.
    async with sessions() as session:
        return await lookup(session)


async def _vehicle(sessions: async_sessionmaker[AsyncSession], plate: str) -> VehicleFacts | None:
    vehicle, certificate = await asyncio.gather(
        _read(sessions, lambda s: registries.get_vehicle(s, plate)),
        _read(sessions, lambda s: registries.get_transport_certificate_for_plate(s, plate)),
    )
    if vehicle is None:
        return None
    return VehicleFacts(
        plate=vehicle.plate,
        axles=vehicle.axles,
        vehicle_type=vehicle.vehicle_type,
        owner_code=vehicle.owner_credit_code,
        # The longest-valid certificate: a renewed one supersedes the expired one it replaces.
        certificate_valid_until=None if certificate is None else certificate.valid_until,
    )


class BusinessPrefillInput(BaseModel):
    credit_code: str
    plates: list[str]
    qualifications: list[str]


@activity.defn
async def prefill_business(inp: BusinessPrefillInput) -> OpenBusinessFacts:
    """开办运输企业: the 营业执照 (市场监管), each truck's 行驶证 and each driver's 从业资格证, in parallel.

    The legal representative's name stays in the registry: the case needs to know the business
    exists and may operate, not who represents it. A missing record is None, for the acceptance rules.
    """
    sessions = current().sessions
    business, trucks, drivers = await asyncio.gather(
        _read(sessions, lambda s: registries.get_business_licence(s, inp.credit_code)),
        asyncio.gather(*(_truck(sessions, plate) for plate in inp.plates)),
        asyncio.gather(*(_driver(sessions, number) for number in inp.qualifications)),
    )
    facts = OpenBusinessFacts(
        business=(
            None
            if business is None
            else BusinessFacts(
                credit_code=business.credit_code,
                name=business.name,
                registered_address=business.registered_address,
                business_scope=list(business.business_scope),
                established=business.established,
                status=business.status,
                valid_until=business.valid_until,
            )
        ),
        trucks=dict(zip(inp.plates, trucks, strict=True)),
        drivers=dict(zip(inp.qualifications, drivers, strict=True)),
    )
    log.info(
        "registries prefilled",
        case_id=activity.info().workflow_id,
        step="prefill",
        business_found=facts.business is not None,
        trucks=len(inp.plates),
        trucks_found=sum(t is not None for t in trucks),
        drivers=len(inp.qualifications),
        drivers_found=sum(d is not None for d in drivers),
    )
    return facts


async def _truck(sessions: async_sessionmaker[AsyncSession], plate: str) -> TruckFacts | None:
    vehicle = await _read(sessions, lambda s: registries.get_vehicle(s, plate))
    if vehicle is None:
        return None
    return TruckFacts(
        plate=vehicle.plate,
        vehicle_type=vehicle.vehicle_type,
        axles=vehicle.axles,
        total_mass_kg=vehicle.total_mass_kg,
        owner_code=vehicle.owner_credit_code,
        valid_until=vehicle.valid_until,
    )


async def _driver(sessions: async_sessionmaker[AsyncSession], number: str) -> DriverFacts | None:
    driver = await _read(sessions, lambda s: registries.get_driver(s, number))
    if driver is None:
        return None
    return DriverFacts(
        qualification_number=driver.qualification_number,
        categories=list(driver.categories),
        valid_until=driver.valid_until,
    )
