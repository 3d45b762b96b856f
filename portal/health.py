"""What an operator's probes and Prometheus read: liveness, readiness, the portal's request metrics.

    GET /healthz   200 while the process serves HTTP at all (a liveness probe: restart it if not)
    GET /readyz    200 when Temporal and the database answer and this and next year's calendar can
                   be counted (official or provisional); else 503 naming each dependency that is not
    GET /metrics   Prometheus text: requests by method, route template and status, and their latency

None of these needs a token, by design: probes and scrapers (docker's healthcheck, a load balancer,
Prometheus) carry no credentials, and nothing here says anything about a case or a person, only
whether the dependencies answer and how many requests each route served. Put them behind the
network's own fences (compose publishes only the portal's port; scrape from inside).

A liveness probe never looks at Temporal: a portal that cannot reach Temporal is not helped by a
restart, it answers 503 until Temporal is back, and /readyz says why.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import sqlalchemy as sa
import structlog
from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from domain.calendar import SHANGHAI
from portal.errors import error_response
from portal.state import PortalState, portal_state
from store.holiday_notices import load_calendar

log = structlog.get_logger(__name__)

router = APIRouter(tags=["operations"])
State = Annotated[PortalState, Depends(portal_state)]

# A probe must answer before the prober gives up (docker's default timeout is 30 s, ours 5 s): each
# dependency gets a short deadline of its own rather than the API's 20 s.
PROBE_TIMEOUT = timedelta(seconds=2)


@router.get("/healthz", summary="liveness: the portal process answers")
async def healthz() -> dict[str, str]:
    return {"status": "alive"}


@router.get(
    "/readyz",
    summary="readiness: Temporal, the database and the calendar",
    responses={503: {"description": "a dependency is not ready; `field` names it"}},
)
async def readyz(state: State) -> Response:
    problems: list[dict[str, str]] = []
    checks: dict[str, Any] = {}
    for name, check in (("temporal", _temporal), ("database", _database), ("calendar", _calendar)):
        try:
            checks[name] = await check(state)
        except NotReady as exc:
            problems.append({"field": name, "message": str(exc)})
    if problems:
        log.warning("not ready", dependencies=[p["field"] for p in problems])
        return error_response(503, problems)
    return JSONResponse({"status": "ready", **checks})


@router.get("/metrics", summary="Prometheus metrics of this portal process", response_class=Response)
async def metrics(state: State) -> Response:
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


class NotReady(Exception):
    """A dependency that does not answer, or answers that it cannot serve; the message says which."""


async def _temporal(state: PortalState) -> str:
    if state.client is None:
        raise NotReady("not connected to Temporal yet")
    try:
        # The cheapest call of the frontend that every server (cluster, dev server, test server) serves.
        await state.client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=PROBE_TIMEOUT)
    except Exception as exc:  # any failure to answer means not ready; the type says enough
        address = state.settings.temporal_address
        raise NotReady(f"Temporal at {address} does not answer ({type(exc).__name__})") from None
    return "ok"


async def _database(state: PortalState) -> str:
    if state.deps is None:
        raise NotReady("the store is not open yet")
    try:
        async with state.deps.sessions() as session:
            await session.execute(sa.text("SELECT 1"))
    except Exception as exc:  # the URL may hold a password: only the error's type is said
        raise NotReady(f"the database does not answer ({type(exc).__name__})") from None
    return "ok"


async def _calendar(state: PortalState) -> dict[str, str]:
    """This year's and next year's status: a year `missing` cannot be counted at all, so dues into it
    would wait; `provisional` is ready (statutory holidays only) and said in the body."""
    if state.deps is None:
        raise NotReady("the store is not open yet")
    try:
        calendar = await load_calendar(state.deps.sessions, state.deps.calendar)
    except Exception as exc:
        raise NotReady(f"the holiday notices could not be read ({type(exc).__name__})") from None
    this_year = datetime.now(SHANGHAI).year
    statuses: dict[str, str] = {str(year): calendar.year_status(year) for year in (this_year, this_year + 1)}
    missing = [year for year, status in statuses.items() if status == "missing"]
    if missing:
        raise NotReady(f"no calendar for {', '.join(missing)}: add the notice with `onething calendar add`")
    return statuses
