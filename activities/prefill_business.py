"""Pre-fill for 开办运输企业 (免提交): the 营业执照, each truck's 行驶证, each driver's 从业资格证.

Looked up inside one activity per case, in one reader's session, as every matter's pre-fill
(activities/prefill.py).
"""

from __future__ import annotations

import structlog
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity

from activities.prefill import registry_reads
from bootstrap.deps import current
from domain.open_business_case import BusinessFacts, DriverFacts, OpenBusinessFacts, TruckFacts
from store import registries

log = structlog.get_logger(__name__)


class BusinessPrefillInput(BaseModel):
    credit_code: str
    plates: list[str]
    qualifications: list[str]


@activity.defn
async def prefill_business(inp: BusinessPrefillInput) -> OpenBusinessFacts:
    """开办运输企业: the 营业执照 (市场监管), each truck's 行驶证 and each driver's 从业资格证.

    The legal representative's name stays in the registry: the case needs to know the business
    exists and may operate, not who represents it. A missing record is None, for the acceptance rules.
    """
    async with registry_reads(current().sessions) as session:
        business = await registries.get_business_licence(session, inp.credit_code)
        trucks = [await _truck(session, plate) for plate in inp.plates]
        drivers = [await _driver(session, number) for number in inp.qualifications]
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


async def _truck(session: AsyncSession, plate: str) -> TruckFacts | None:
    vehicle = await registries.get_vehicle(session, plate)
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


async def _driver(session: AsyncSession, number: str) -> DriverFacts | None:
    driver = await registries.get_driver(session, number)
    if driver is None:
        return None
    return DriverFacts(
        qualification_number=driver.qualification_number,
        categories=list(driver.categories),
        valid_until=driver.valid_until,
    )
