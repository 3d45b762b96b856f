"""/healthz, /readyz and /metrics of the portal in process (the real dev server: test_health_devserver.py)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from domain.calendar import SHANGHAI, WorkingCalendar
from portal import health as portal_health
from store.holiday_notices import load_calendar
from tests.factories import CLASS_III
from tests.portal.conftest import Portal, application


async def test_ready_when_temporal_the_database_and_the_calendar_answer(portal: Portal):
    assert (await portal.http.get("/healthz")).json() == {"status": "alive"}
    response = await portal.http.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready" and body["temporal"] == "ok" and body["database"] == "ok"
    assert len(body["calendar"]) == 2  # this year and next, each official or provisional
    assert set(body["calendar"].values()) <= {"official", "provisional"}


async def test_not_ready_names_the_database_when_it_does_not_answer(portal: Portal, tmp_path):
    state = portal.app.state.portal
    # A SQLite file in a directory that does not exist: every connection fails.
    broken = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'gone' / 'x.db'}")
    healthy = state.deps
    state.deps = type(healthy)(**{**healthy.__dict__, "sessions": async_sessionmaker(broken)})
    try:
        response = await portal.http.get("/readyz")
    finally:
        state.deps = healthy
        await broken.dispose()
    assert response.status_code == 503
    fields = {p["field"]: p["message"] for p in response.json()["detail"]}
    assert "database" in fields and "OperationalError" in fields["database"]
    assert "temporal" not in fields
    assert (await portal.http.get("/healthz")).status_code == 200  # alive all the same


async def test_not_ready_names_the_calendar_when_next_year_cannot_be_counted(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
):
    this_year = datetime.now(SHANGHAI).year

    async def this_year_only(sessions, base):  # type: ignore[no-untyped-def]
        # This year's notice and nothing to count next year by (no provisional years either).
        return WorkingCalendar([(await load_calendar(sessions, base)).notice_for(this_year)])

    monkeypatch.setattr(portal_health, "load_calendar", this_year_only)
    response = await portal.http.get("/readyz")
    assert response.status_code == 503
    (problem,) = response.json()["detail"]
    assert problem["field"] == "calendar" and f"no calendar for {this_year + 1}" in problem["message"]


async def test_metrics_count_requests_by_route_template_and_status(portal: Portal):
    created = await portal.submit(application(CLASS_III))
    case_id = created["case_id"]
    await portal.http.get(f"/api/v1/cases/{case_id}", headers=portal.auth("officer:highway"))
    await portal.http.get(f"/api/v1/cases/{case_id}")  # no token: 401
    await portal.http.get("/no/such/page")
    text = (await portal.http.get("/metrics")).text
    one_case = 'route="/api/v1/cases/{case_id}"'
    assert 'onething_portal_requests_total{method="POST",route="/api/v1/cases",status="202"} 1.0' in text
    assert f'onething_portal_requests_total{{method="GET",{one_case},status="200"}} 1.0' in text
    assert f'onething_portal_requests_total{{method="GET",{one_case},status="401"}} 1.0' in text
    assert 'route="(unrouted)",status="404"' in text
    assert 'onething_portal_request_duration_seconds_count{method="POST",route="/api/v1/cases"} 1.0' in text
    assert case_id not in text  # a label per case would grow without bound (and say who applied)
