"""The third matter's pre-fill activity (免提交): the enterprise and the truck, from the registries."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from bootstrap.deps import current
from store import registries
from tests.matters.third_case import RenewalFacts


class RenewalPrefillInput(BaseModel):
    credit_code: str
    plate: str


@activity.defn
async def prefill_renewal(inp: RenewalPrefillInput) -> RenewalFacts:
    async with current().sessions() as session:
        business = await registries.get_business_licence(session, inp.credit_code)
        truck = await registries.get_vehicle(session, inp.plate)
    return RenewalFacts(
        business_name=None if business is None else business.name,
        truck_owner=None if truck is None else truck.owner_credit_code,
    )
