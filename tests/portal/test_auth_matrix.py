"""Who may call what: every route of the app against every kind of caller, as one table.

Rows are the app's routes (enumerated from `app.routes`: a route missing from the table fails the test,
so a new endpoint cannot slip through untested); columns are the callers; each cell is the status the
caller gets. 401: no token, or one we do not know (with `WWW-Authenticate: Bearer`). 403: a known token
whose role, department or case does not fit. 2xx: allowed, and the handler ran.

The table runs with the production logging (JSON lines) captured: no token, applicant token or secret
may appear in any log line. Tokens are compared in constant time (`hmac.compare_digest`, every entry).
"""

from __future__ import annotations

import ast
import base64
import hmac
import inspect
import json
import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import structlog
from fastapi import FastAPI

import portal.auth
import portal.codec
import portal.security
from logs import configure_logging
from portal.auth import ApplicantTokens, TokenStore, ensure_dev_tokens
from store.licences import get_licence
from tests.factories import CLASS_I, CLASS_III, CLASS_III_TASKS
from tests.portal.conftest import Portal, application, bearer

CASES = "/api/v1/cases"

# The callers. "applicant" is the applicant of the row's case, "other applicant" that of another case.
ROLES = (
    "anonymous",
    "unknown token",
    "unknown hex token",  # shaped like an applicant token, but issued for no case
    "Basic credential",  # a real staff token, in the wrong scheme
    "portal",
    "applicant",
    "other applicant",
    "officer:highway",
    "officer:road_transport",
    "officer:urban_road",
    "officer:police",
    "officer:province:湖北",
    "auditor",
    "supervisor",
)
NOBODY = {"anonymous": 401, "unknown token": 401, "unknown hex token": 401, "Basic credential": 401}
OFFICERS = (
    "officer:highway",
    "officer:road_transport",
    "officer:urban_road",
    "officer:police",
    "officer:province:湖北",
)


def only(allowed: dict[str, int], *, public: bool = False) -> dict[str, int]:
    """A row: the given callers get their status; anybody else 401 (no valid token) or 403."""
    if public:
        return {role: 200 for role in ROLES}
    return {role: allowed.get(role, NOBODY.get(role, 403)) for role in ROLES}


def everyone(status: int) -> dict[str, int]:
    """A row of the workbench without its session cookie: bearer tokens count for nothing there."""
    return dict.fromkeys(ROLES, status)


OPEN_SESAME = {
    "payloads": [{"metadata": {"encoding": base64.b64encode(b"json/plain").decode()}, "data": "e30="}]
}


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # the route's template
    expected: dict[str, int]
    case: str | None = None  # the case the row is about (see `new_case`) or None
    body: Callable[[], Any] | None = None  # a fresh body per call
    body_of_case: Callable[[dict[str, Any]], Any] | None = None  # a body that names the row's case
    html: bool = False  # a workbench page: its refusals are pages, not `{"detail": …}`

    @property
    def route(self) -> tuple[str, str]:
        return self.method, self.path


TABLE = (
    Row("POST", CASES, only({"portal": 202}), body=lambda: application(CLASS_III)),
    Row(
        "GET",
        f"{CASES}/{{case_id}}",
        only({"applicant": 200, "auditor": 200, "supervisor": 200} | dict.fromkeys(OFFICERS, 200)),
        case="review",
    ),
    Row(
        "POST",
        f"{CASES}/{{case_id}}/opinions",
        only({"officer:highway": 200}),  # the others' departments have no task here: 403
        case="review",
        body=lambda: {"task_id": "review:highway", "approve": True},
    ),
    Row(
        "POST",
        f"{CASES}/{{case_id}}/supplements",
        only({"applicant": 200}),
        case="supplement",
        body=lambda: {"materials": ["护送方案"]},
    ),
    Row(
        "POST",
        f"{CASES}/{{case_id}}/withdrawal",
        only({"applicant": 200}),
        case="review",
        body=lambda: {"reason": "项目推迟"},
    ),
    Row(
        "POST",
        f"{CASES}/{{case_id}}/clock-stops",
        only({"officer:highway": 200}),  # the others' departments hold no open task: 403
        case="review",
        body=lambda: {"task_id": "review:highway", "reason": "专家评审"},
    ),
    Row(
        "POST",
        f"{CASES}/{{case_id}}/clock-resumes",
        only({"officer:highway": 200}),
        case="stopped",
        body=dict,
    ),
    Row(
        "POST",
        f"{CASES}/{{case_id}}/rating",
        only({"applicant": 200}),
        case="rating",
        body=lambda: {"score": 5},
    ),
    Row(
        "POST",
        f"{CASES}/{{case_id}}/rectification-reply",
        only({"officer:highway": 200}),  # the lead department answers for the case
        case="rectification",
        body=lambda: {"reply": "已优化审批流程"},
    ),
    Row(
        "POST",
        f"{CASES}/{{case_id}}/return-visit",
        only({"supervisor": 200}),
        case="replied",
        body=lambda: {"satisfied": True},
    ),
    Row(
        "POST", f"{CASES}/{{case_id}}/tasks/{{task_id}}/claim", only({"officer:highway": 200}), case="review"
    ),
    Row(
        "POST",
        f"{CASES}/{{case_id}}/tasks/{{task_id}}/transfer",
        only({"officer:highway": 200}),
        case="review",
        body=lambda: {"to_officer": "officer:highway:2", "reason": "休假"},
    ),
    Row(
        "POST",
        f"{CASES}/{{case_id}}/tasks/{{task_id}}/urge",
        only({"supervisor": 200}),
        case="review",
        body=lambda: {"note": "请尽快办理"},
    ),
    Row("GET", "/api/v1/tasks", only({"auditor": 200, "supervisor": 200} | dict.fromkeys(OFFICERS, 200))),
    # Public; the applicant of the licence's case is its holder, whose fetch alone activates it (激活).
    Row("GET", "/api/v1/licences/{licence_id}", only({}, public=True)),
    Row("GET", "/api/v1/licences/{licence_id}/verification", only({}, public=True)),
    Row("GET", "/api/v1/seal/public-key", only({}, public=True)),
    Row("GET", "/audit", only({"auditor": 200})),
    Row("GET", "/audit.json", only({"auditor": 200})),
    Row(
        "POST",
        "/codec/encode",
        only({"auditor": 200} | dict.fromkeys(OFFICERS, 200)),
        body=lambda: OPEN_SESAME,
    ),
    Row(
        "POST",
        "/codec/decode",
        only({"auditor": 200} | dict.fromkeys(OFFICERS, 200)),
        body=lambda: OPEN_SESAME,
    ),
    # Operators' probes and Prometheus carry no credentials; nothing they answer names a case or a
    # person (portal/health.py).
    Row("GET", "/healthz", only({}, public=True)),
    Row("GET", "/readyz", only({}, public=True)),
    Row("GET", "/metrics", only({}, public=True)),
    # FastAPI's own pages: the API description is public.
    Row("GET", "/openapi.json", only({}, public=True)),
    Row("GET", "/docs", only({}, public=True)),
    Row("GET", "/docs/oauth2-redirect", only({}, public=True)),
    Row("GET", "/redoc", only({}, public=True)),
    # The workbench signs in with a session cookie (tests/portal/test_workbench.py); a bearer token opens
    # nothing there: without a session every page sends the caller to the sign-in form.
    Row("GET", "/workbench/login", everyone(200), html=True),
    Row("POST", "/workbench/login", everyone(403), html=True),  # no sign-in CSRF cookie
    Row("POST", "/workbench/logout", everyone(303), html=True),
    Row("GET", "/workbench", everyone(303), html=True),
    Row("GET", "/workbench/cases/{case_id}", everyone(303), case="review", html=True),
    Row("GET", "/workbench/cases/{case_id}/licences/{licence_id}", everyone(303), html=True),
    Row("POST", "/workbench/cases/{case_id}/{action}", everyone(303), case="review", html=True),
    # Last: the bar it puts on the sample carrier would refuse the later rows' cases.
    Row(
        "POST",
        "/api/v1/carriers/{credit_code}/bars",
        only({"officer:highway": 200}),  # the permitting authority; other departments: 403
        case="commitment",
        body_of_case=lambda case: {"case_id": case["case_id"], "reason": "装载照片与现场不符"},
    ),
)


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, included routers flattened; HEAD goes with GET."""
    routes: Iterator[Any]
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI keeps included routers unflattened

        routes = iter_route_contexts(app.routes)
    except ImportError:
        routes = iter(app.routes)
    found = set()
    for route in routes:
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                found.add((method, route.path))
    return found


def test_the_table_has_every_route_of_the_app(tmp_path: Path):
    from portal.app import create_app
    from tests.portal.conftest import portal_config, portal_settings

    app = create_app(portal_settings(tmp_path, "q"), config=portal_config(tmp_path))
    served = app_routes(app)
    table = {row.route for row in TABLE}
    assert not served - table, f"routes without a row in the authorisation table: {sorted(served - table)}"
    assert not table - served, f"rows for routes the app no longer has: {sorted(table - served)}"
    assert len(TABLE) == len(table), "a route has two rows"


@dataclass
class Callers:
    """The credentials of each caller, per row (the applicant of this case changes with the row's case)."""

    portal: Portal
    other_applicant: str
    unknown: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    unknown_hex: str = field(default_factory=lambda: secrets.token_hex(32))

    def headers(self, role: str, applicant: str | None) -> dict[str, str]:
        if role == "anonymous":
            return {}
        if role == "unknown token":
            return bearer(self.unknown)
        if role == "unknown hex token":
            return bearer(self.unknown_hex)
        if role == "Basic credential":
            return {"Authorization": f"Basic {self.portal.tokens['portal']}"}
        if role == "applicant":
            return bearer(applicant) if applicant else {}
        if role == "other applicant":
            return bearer(self.other_applicant)
        return self.portal.auth(role)

    def secrets(self) -> list[str]:
        return [*self.portal.tokens.values(), self.other_applicant, self.unknown, self.unknown_hex]


@pytest.fixture
def json_logs() -> Iterator[None]:
    configure_logging()  # what every process runs: JSON lines, personal data masked
    yield
    structlog.reset_defaults()


async def test_every_route_against_every_caller(
    portal: Portal,
    json_logs: None,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
):
    caplog.set_level(logging.DEBUG)
    licensed = await portal.submit(application(CLASS_I))
    other = await portal.submit(application(CLASS_III))
    approved = await portal.wait_for(licensed["case_id"], licensed["applicant_token"], outcome="approved")
    callers = Callers(portal, other_applicant=other["applicant_token"])
    applicant_tokens = [licensed["applicant_token"], other["applicant_token"]]

    mismatches: list[str] = []
    cells = 0
    for row in TABLE:
        path, applicant = row.path, licensed["applicant_token"]
        case: dict[str, Any] = {}
        if row.case is not None:
            case = await new_case(portal, row.case)
            path, applicant = path.replace("{case_id}", case["case_id"]), case["applicant_token"]
            applicant_tokens.append(applicant)
        path = (
            path.replace("{case_id}", licensed["case_id"])  # a row about no case of its own: the licence's
            .replace("{licence_id}", approved["licence_ids"][0])
            .replace("{task_id}", "review:highway")
            .replace("{action}", "opinion")
            .replace("{credit_code}", CLASS_III["carrier_code"])
        )
        # Callers who are refused first, then those allowed: an allowed call may change the case.
        for role in sorted(ROLES, key=lambda r: row.expected[r] < 400):
            cells += 1
            body = row.body_of_case(case) if row.body_of_case else row.body() if row.body else None
            response = await portal.http.request(
                row.method, path, json=body, headers=callers.headers(role, applicant)
            )
            expected = row.expected[role]
            if response.status_code != expected:
                mismatches.append(
                    f"{row.method} {row.path} as {role}: expected {expected}, got "
                    f"{response.status_code} {response.text[:200]}"
                )
                continue
            if expected == 401:
                assert response.headers["www-authenticate"].startswith("Bearer"), (row.route, role)
            if expected >= 400 and not row.html:
                [problem] = response.json()["detail"]
                assert problem["field"] in {"authorization", "department"}, (row.route, role, problem)
    assert cells == len(TABLE) * len(ROLES)
    assert not mismatches, f"{len(mismatches)} of {cells} cells differ:\n" + "\n".join(mismatches)
    # Every caller fetched the licence once; of them only "applicant", its holder, activated it.
    async with portal.deps.sessions() as session:
        fetched = await get_licence(session, approved["licence_ids"][0])
    assert fetched is not None and fetched.fetch_count == len(ROLES) and fetched.activated_at is not None

    # No secret in any log line: ours (JSON on stderr), the worker's, the libraries' (stdlib logging).
    out, err = capfd.readouterr()
    logged = out + err + caplog.text
    requests = [json.loads(line) for line in err.splitlines() if line.startswith("{") and '"request"' in line]
    assert len([r for r in requests if r.get("event") == "request"]) >= cells, (
        "the request log was not captured"
    )
    state = portal.app.state.portal
    for secret in [*callers.secrets(), *applicant_tokens, state.applicants._secret.decode()]:
        assert secret not in logged, "a token or secret appears in the logs"


async def new_case(portal: Portal, kind: str) -> dict[str, Any]:
    """A case where the row's allowed caller may act: "supplement" (补正 open), "review" (the highway
    review open), "commitment" (a credit commitment stood in for the 勘验), "stopped" (its clock
    stopped by the highway officer), "rating" (class I approved, the 好差评 window open),
    "rectification" (rated 1), "replied" (the 整改 answered)."""
    if kind == "supplement":  # no escort plan: 补正
        case = await portal.submit(application(CLASS_III, materials=["车货外廓尺寸图"]))
        await portal.wait_for(case["case_id"], case["applicant_token"], stage="supplement")
        return case
    if kind == "commitment":  # grade A carrier's credit commitment: no 勘验, the reviews open
        case = await portal.submit(
            application(CLASS_III, credit_commitment={"signed": True, "loading_media": ["装载照片.jpg"]})
        )
        open_tasks = ["countersign:police", "review:highway"]
        await portal.wait_for(case["case_id"], case["applicant_token"], open_tasks=open_tasks)
        return case
    if kind in ("review", "stopped"):
        case = await portal.submit(application(CLASS_III))
        open_tasks = ["countersign:police", "inspection:highway", "review:highway"]
        await portal.wait_for(case["case_id"], case["applicant_token"], open_tasks=open_tasks)
        if kind == "stopped":
            await act(
                portal,
                case,
                "clock-stops",
                "officer:highway",
                {"task_id": "review:highway", "reason": "专家评审"},
            )
        return case
    case = await portal.submit(application(CLASS_I))
    await portal.wait_for(case["case_id"], case["applicant_token"], rating_open=True)
    if kind in ("rectification", "replied"):
        await act(portal, case, "rating", None, {"score": 1})
        await portal.wait_for(case["case_id"], case["applicant_token"], rectification_opened=True)
    if kind == "replied":
        await act(portal, case, "rectification-reply", "officer:highway", {"reply": "已优化审批流程"})
    return case


async def act(portal: Portal, case: dict[str, Any], action: str, caller: str | None, body: Any) -> None:
    headers = portal.auth(caller) if caller else bearer(case["applicant_token"])
    response = await portal.http.post(f"{CASES}/{case['case_id']}/{action}", json=body, headers=headers)
    assert response.status_code == 200, response.text


async def test_an_applicant_token_for_a_case_that_does_not_exist_finds_nothing(portal: Portal):
    # Tokens are derived, so a token for any id can exist; it still only opens that id: 404.
    case_id = "oversize-transport-NEVER-SUBMITTED"
    token = portal.app.state.portal.applicants.token_for(case_id)
    response = await portal.http.get(f"{CASES}/{case_id}", headers=bearer(token))
    assert response.status_code == 404
    response = await portal.http.post(f"{CASES}/{case_id}/withdrawal", json={}, headers=bearer(token))
    assert response.status_code == 404


async def test_an_answered_task_is_409_for_everybody_who_may_answer(portal: Portal):
    case = await portal.submit(application(CLASS_III))
    await portal.wait_for(case["case_id"], case["applicant_token"], open_tasks=CLASS_III_TASKS)
    url = f"{CASES}/{case['case_id']}/opinions"
    opinion = {"task_id": "review:highway", "approve": True}
    assert (
        await portal.http.post(url, json=opinion, headers=portal.auth("officer:highway"))
    ).status_code == 200
    for officer in ("officer:highway", "officer:police"):  # not open comes first: 409 rather than 403
        response = await portal.http.post(url, json=opinion, headers=portal.auth(officer))
        assert response.status_code == 409, (officer, response.text)
        assert response.json()["detail"][0]["field"] == "task_id"


# --- constant time --------------------------------------------------------------------------------


@pytest.fixture
def counted_compare_digest(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def counting(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(portal.auth.hmac, "compare_digest", counting)
    return calls


def test_a_staff_token_is_compared_with_every_entry_in_constant_time(
    tmp_path: Path, counted_compare_digest: list[tuple[Any, Any]]
):
    plain = json.loads(ensure_dev_tokens(tmp_path, tmp_path / "tokens.json").read_text(encoding="utf-8"))
    store = TokenStore(tmp_path / "tokens.json")
    entries = len(plain)
    first, *_, last = plain
    for token, expected in (
        (plain[first], first),
        (plain[last], last),
        (secrets.token_urlsafe(32), None),
        ("", None),
    ):
        counted_compare_digest.clear()
        principal = store.identify(token)
        assert (principal.name if principal else None) == expected
        # No early exit: as many comparisons for the first entry as for the last, or for none.
        assert len(counted_compare_digest) == entries


def test_an_applicant_token_is_compared_in_constant_time(counted_compare_digest: list[tuple[Any, Any]]):
    applicants = ApplicantTokens(secrets.token_bytes(32))
    token = applicants.token_for("oversize-transport-A")
    assert applicants.is_for(token, "oversize-transport-A")
    assert not applicants.is_for(token[:-1] + ("0" if token[-1] != "0" else "1"), "oversize-transport-A")
    assert not applicants.is_for(token, "oversize-transport-B")
    assert len(counted_compare_digest) == 3


def test_no_secret_is_compared_with_equals_in_the_auth_code():
    """`==` on a token, digest or secret would leak its length of matching prefix through timing."""
    suspicious = ("token", "digest", "sha256", "secret", "expected", "credentials")
    for module in (portal.auth, portal.security, portal.codec):
        tree = ast.parse(inspect.getsource(module))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Compare) or not any(
                isinstance(o, ast.Eq | ast.NotEq) for o in node.ops
            ):
                continue
            names = [ast.unparse(part) for part in (node.left, *node.comparators)]
            assert not any(s in n.lower() for n in names for s in suspicious), (
                f"{module.__name__}:{node.lineno}: {ast.unparse(node)}"
            )
