"""Pre-fill for 大件运输 (免提交): the carrier, its credit grade, the vehicles and the driver.

Looked up inside one activity per case, in one reader's session, as every matter's pre-fill
(activities/prefill.py); `prefill_with_permits` reads in the same session what acceptance asks
next — the permits the vehicles already hold (同一车辆重复办证), and the dues of the limits the case
may have, counted from the day of receipt: one local activity instead of three.
"""

from __future__ import annotations

import structlog
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity

from activities.deadlines import DueDates, DueDatesInput, count_on
from activities.licensing import VehicleLicenceQuery
from activities.prefill import registry_reads
from bootstrap.deps import Deps, current
from domain.licence import VehicleLicence
from domain.oversize_case import CarrierFacts, RegistryFacts, VehicleFacts
from store import carrier_bars, registries
from store.holiday_notices import calendar_in
from store.licences import licences_for_vehicles

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
    async with registry_reads(deps.sessions) as session:
        facts = await _facts(session, deps, inp)
    _log_found(facts)
    return facts


class PrefillWithPermitsInput(PrefillInput):
    permits: VehicleLicenceQuery  # the permits asked for: the vehicles' plates, the window
    dues: DueDatesInput  # the limits the case may have, from the day it is received


class PrefillWithPermits(BaseModel):
    facts: RegistryFacts
    held: list[VehicleLicence]  # valid permits of the matter for those plates overlapping the window
    dues: DueDates


@activity.defn
async def prefill_with_permits(inp: PrefillWithPermitsInput) -> PrefillWithPermits:
    """`prefill_registries`, and in the same snapshot the permits the vehicles hold (同一车辆重复办证)
    and the dues `compute_due_dates` would count (its errors too: a year it cannot count retries)."""
    deps = current()
    query = inp.permits
    async with registry_reads(deps.sessions) as session:
        facts = await _facts(session, deps, inp)
        held = await licences_for_vehicles(
            session, query.matter, query.plates, query.valid_from, query.valid_to
        )
        calendar = await calendar_in(session, deps.calendar)
    _log_found(facts)
    return PrefillWithPermits(facts=facts, held=held, dues=count_on(calendar, inp.dues))


async def _facts(session: AsyncSession, deps: Deps, inp: PrefillInput) -> RegistryFacts:
    carrier = await registries.get_carrier(session, inp.carrier_code)
    bar = await carrier_bars.barred_until(session, inp.carrier_code)
    grade = await registries.get_credit_grade(session, inp.carrier_code)
    tractor = await _vehicle(session, inp.tractor_plate)
    trailer = await _vehicle(session, inp.trailer_plate) if inp.trailer_plate else None
    driver = (
        await registries.get_driver(session, inp.driver_qualification) if inp.driver_qualification else None
    )
    return RegistryFacts(
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


def _log_found(facts: RegistryFacts) -> None:
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


async def _vehicle(session: AsyncSession, plate: str) -> VehicleFacts | None:
    vehicle = await registries.get_vehicle(session, plate)
    if vehicle is None:
        return None
    certificate = await registries.get_transport_certificate_for_plate(session, plate)
    return VehicleFacts(
        plate=vehicle.plate,
        axles=vehicle.axles,
        vehicle_type=vehicle.vehicle_type,
        owner_code=vehicle.owner_credit_code,
        # The longest-valid certificate: a renewed one supersedes the expired one it replaces.
        certificate_valid_until=None if certificate is None else certificate.valid_until,
    )
