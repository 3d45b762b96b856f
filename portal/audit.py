"""The auditors' report over HTTP (效能监察), for auditor tokens only.

    GET /audit?from=2026-09-01&to=2026-09-30        the report as one self-contained HTML page
    GET /audit.json?from=…&to=…                      the same report as `onething audit --format json`

`from`/`to` select the cases by the date of their 收件 (receipt) in Asia/Shanghai, both included, and
are optional; open cases are judged overdue as of the request. Same computation and rendering as the
CLI (services.audit_report.build_report, reports/).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse

from domain.audit.report import AuditReport
from domain.calendar import MissingCalendarYear
from portal.auth import Principal, Role
from portal.errors import ApiError
from portal.security import require
from portal.state import PortalState, portal_state
from reports.as_html import render_html
from reports.as_json import report_document
from services.audit_report import build_report
from store.holiday_notices import load_calendar

router = APIRouter(tags=["audit"])

Auditor = Annotated[Principal, Depends(require(Role.AUDITOR))]
State = Annotated[PortalState, Depends(portal_state)]
From = Annotated[date | None, Query(alias="from", description="first day of receipt (Asia/Shanghai)")]
To = Annotated[date | None, Query(alias="to", description="last day of receipt (Asia/Shanghai)")]
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no bearer token, or one we do not know"},
    403: {"description": "the token is not an auditor's"},
    503: {"description": "the working-day calendar lacks a year the report needs"},
}


# The period becomes instants: midnight of `from` in Shanghai (in UTC, the day before) and midnight of the
# day after `to`. Both must still be dates Python can hold.
EARLIEST = date.min + timedelta(days=1)
LATEST = date.max - timedelta(days=1)


async def _report(state: PortalState, received_from: date | None, received_to: date | None) -> AuditReport:
    for field, day in (("from", received_from), ("to", received_to)):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise ApiError(422, field, f"{day} is out of range: from {EARLIEST} to {LATEST}")
    if received_from and received_to and received_to < received_from:
        raise ApiError(422, "to", f"{received_to} is before from {received_from}")
    deps = state.store()
    try:
        # The store's notices over the built-in ones, read per report: a notice added counts at once.
        calendar = await load_calendar(deps.sessions, deps.calendar)
        return await build_report(
            deps.sessions,
            calendar,
            now=datetime.now(UTC),
            received_from=received_from,
            received_to=received_to,
        )
    except MissingCalendarYear as exc:
        # Not the caller's fault: a year no notice and no provisional rule covers (`onething calendar add`).
        raise ApiError(503, "calendar", str(exc)) from exc


@router.get("/audit", response_class=HTMLResponse, responses=AUTH_ERRORS)
async def audit_page(
    _auditor: Auditor, state: State, received_from: From = None, received_to: To = None
) -> HTMLResponse:
    """效能监察报告: the report as one HTML page (inline CSS and SVG charts, no script)."""
    report = await _report(state, received_from, received_to)
    return HTMLResponse(render_html(report), headers={"Cache-Control": "no-store"})


@router.get("/audit.json", responses=AUTH_ERRORS)
async def audit_json(
    _auditor: Auditor, state: State, received_from: From = None, received_to: To = None
) -> JSONResponse:
    """The report as JSON, the document `onething audit --format json` prints."""
    report = await _report(state, received_from, received_to)
    return JSONResponse(report_document(report), headers={"Cache-Control": "no-store"})
