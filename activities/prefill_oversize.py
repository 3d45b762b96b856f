"""Pre-fill for 大件运输 (免提交): the carrier, its credit grade, the vehicles and the driver.

Looked up in parallel inside one activity per case, as every matter's pre-fill (activities/prefill.py).
"""

from __future__ import annotations

import asyncio

import structlog
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.prefill import read
from bootstrap.deps import current
from domain.oversize_case import CarrierFacts, RegistryFacts, VehicleFacts
from store import carrier_bars, registries

log = structlog.get_logger(__name__)


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

    carrier, bar, grade, tractor, trailer, driver = await asyncio.gather(
        read(sessions, lambda s: registries.get_carrier(s, inp.carrier_code)),
        read(sessions, lambda s: carrier_bars.barred_until(s, inp.carrier_code)),
        read(sessions, lambda s: registries.get_credit_grade(s, inp.carrier_code)),
        _vehicle(sessions, inp.tractor_plate),
        _vehicle(sessions, inp.trailer_plate) if inp.trailer_plate else no_record(),
        (
            read(sessions, lambda s: registries.get_driver(s, inp.driver_qualification or ""))
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
                # The registry's bar or one of the department's own (a false commitment), the later.
                barred_until=max((d for d in (carrier.barred_until, bar) if d is not None), default=None),
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


async def _vehicle(sessions: async_sessionmaker[AsyncSession], plate: str) -> VehicleFacts | None:
    vehicle, certificate = await asyncio.gather(
        read(sessions, lambda s: registries.get_vehicle(s, plate)),
        read(sessions, lambda s: registries.get_transport_certificate_for_plate(s, plate)),
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
