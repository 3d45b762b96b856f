"""GET /audit and /audit.json: the auditors' report for auditor tokens only.

The portal app itself (create_app) over the fixture ledger; no Temporal: the in-process ASGI transport
runs no lifespan, and the audit endpoints need only the store.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bootstrap.deps import Deps
from bootstrap.issuer import issuer_from_env
from domain.calendar import WorkingCalendar, YearNotice
from domain.notices import NOTICE_2024, NOTICE_2025, official_calendar
from portal import audit
from portal.app import create_app
from portal.auth import ensure_dev_tokens
from portal.config import DEFAULT_MAX_BODY_BYTES, PortalConfig
from seal.sm2 import generate_key
from settings import Settings
from tests.store.conftest import Db
from workflows.matters import MATTERS


def calendar_with_later_years() -> WorkingCalendar:
    """The official notices plus weekend-only years, so "now" may be after the last notice (tests only)."""
    official = official_calendar()
    later = [
        YearNotice(year=y, source="SYNTHETIC test year", holidays=frozenset(), make_up_workdays=frozenset())
        for y in range(max(official.years) + 1, max(official.years) + 11)
    ]
    return WorkingCalendar([*official.notices, *later])


Portal = tuple[httpx.AsyncClient, dict[str, str]]


@pytest.fixture
def calendar() -> WorkingCalendar:
    return calendar_with_later_years()


@pytest.fixture
async def portal(audit_db: Db, tmp_path: Path, calendar: WorkingCalendar) -> AsyncIterator[Portal]:
    tokens = json.loads(ensure_dev_tokens(tmp_path, tmp_path / "tokens.json").read_text(encoding="utf-8"))
    deps = Deps(
        sessions=audit_db.sessions,
        seal_key=generate_key(),
        issuer=issuer_from_env({}, MATTERS.licence_kinds),
        main_corridors=(),
        calendar=calendar,
    )
    settings = Settings(
        data_dir=tmp_path,
        database_url="unused",
        temporal_address="unused",
        temporal_namespace="default",
        task_queue="unused",
    )
    config = PortalConfig(
        tokens_file=tmp_path / "tokens.json", max_body_bytes=DEFAULT_MAX_BODY_BYTES, applicant_secret=None
    )
    app = create_app(settings, deps=deps, config=config)
    if not any(getattr(route, "path", None) == "/audit" for route in app.routes):
        app.include_router(audit.router)  # until portal/app.py includes it
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal") as http:
        yield http, tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_an_auditor_gets_the_json_report(portal: Portal) -> None:
    http, tokens = portal
    response = await http.get("/audit.json", headers=bearer(tokens["auditor"]))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    doc = response.json()
    assert (doc["report"], doc["total"]["received"]) == ("onething-audit", 57)
    assert doc["total"]["on_time_promised"] == {"count": 33, "of": 45, "rate": 0.7333}
    assert doc["bottleneck"]["task_kind"] == "review:province:湖北"


async def test_the_period_is_taken_from_the_query(portal: Portal) -> None:
    http, tokens = portal
    response = await http.get(
        "/audit.json", params={"from": "2026-09-01", "to": "2026-09-30"}, headers=bearer(tokens["auditor"])
    )
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["total"]["received"] == 29
    assert (doc["period"]["received_from"], doc["period"]["received_to"]) == ("2026-09-01", "2026-09-30")


async def test_an_auditor_gets_the_html_page(portal: Portal) -> None:
    http, tokens = portal
    response = await http.get("/audit", params={"to": "2026-03-31"}, headers=bearer(tokens["auditor"]))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert page.startswith("<!DOCTYPE html>")
    for chart in ("task-durations", "on-time-by-week", "cards-by-department"):
        assert f'data-chart="{chart}"' in page
    assert 'data-week="2026-W38"' not in page  # a March report


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "2026-02-30"}, "from", "date"),
        ({"to": "soon"}, "to", "date"),
        ({"from": "2026-10-01", "to": "2026-09-30"}, "to", "2026-09-30 is before from 2026-10-01"),
    ],
)
async def test_a_bad_period_is_422_naming_the_parameter(
    portal: Portal, params: dict[str, str], field: str, message: str
) -> None:
    http, tokens = portal
    response = await http.get("/audit.json", params=params, headers=bearer(tokens["auditor"]))
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["field"] == field
    assert message in problem["message"]


@pytest.mark.parametrize("path", ["/audit", "/audit.json"])
async def test_without_an_auditor_token_401_or_403(portal: Portal, path: str) -> None:
    http, tokens = portal
    missing = await http.get(path)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    unknown = await http.get(path, headers=bearer("not-a-token"))
    assert unknown.status_code == 401
    for name in ("portal", "officer:highway", "officer:police"):
        refused = await http.get(path, headers=bearer(tokens[name]))
        assert refused.status_code == 403, name
        assert refused.json()["detail"] == [
            {"field": "authorization", "message": "only an auditor may do this"}
        ]


@pytest.mark.parametrize("calendar", [WorkingCalendar([NOTICE_2024, NOTICE_2025])])
async def test_a_calendar_without_the_ledger_years_is_503(portal: Portal) -> None:
    http, tokens = portal
    response = await http.get("/audit.json", headers=bearer(tokens["auditor"]))
    assert response.status_code == 503
    [problem] = response.json()["detail"]
    assert problem["field"] == "calendar"
    assert "no State Council holiday notice for 2026" in problem["message"]
