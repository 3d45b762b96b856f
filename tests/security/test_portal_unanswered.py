"""A case nobody answers for (no worker polls its queue) gets a 503 from the portal, never a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal import gateway
from tests.factories import CLASS_III, submission
from tests.portal.conftest import Portal, application, bearer
from workflows.client import start_case


async def test_no_worker_means_503_for_the_status_and_every_update(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
):
    # The SDK reports our own rpc_timeout running out as CANCELLED ("Timeout expired"): that is a 503.
    monkeypatch.setattr(gateway, "RPC_TIMEOUT", timedelta(seconds=1))
    handle, _ = await start_case(
        portal.env.client, submission(application(CLASS_III)), "a-queue-nobody-polls"
    )
    applicant = bearer(portal.app.state.portal.applicants.token_for(handle.id))
    calls = [
        ("GET", f"/api/v1/cases/{handle.id}", applicant, None),
        ("POST", f"/api/v1/cases/{handle.id}/withdrawal", applicant, {}),
        ("POST", f"/api/v1/cases/{handle.id}/supplements", applicant, {"materials": ["护送方案"]}),
        (
            "POST",
            f"/api/v1/cases/{handle.id}/opinions",
            portal.auth("officer:highway"),
            {"task_id": "review:highway", "approve": True},
        ),
    ]
    for method, path, headers, body in calls:
        response = await portal.http.request(method, path, headers=headers, json=body)
        assert response.status_code == 503, f"{method} {path}: {response.status_code} {response.text}"
        assert response.json()["detail"][0]["field"] == "server"
