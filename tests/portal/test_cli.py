"""`onething submit | status | decide | portal`, the case-action twins and `verify` without a server: a mock
transport records the calls."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog

from cli import portal_client
from cli.main import BY_NAME
from portal.app import create_app
from portal.auth import ensure_dev_tokens
from tests.factories import CLASS_I
from tests.portal.conftest import onething, portal_config, portal_settings
from tests.portal.test_auth_matrix import app_routes

Capture = pytest.CaptureFixture[str]
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("ONETHING_TOKEN", "ONETHING_PORTAL_URL", "ONETHING_TOKENS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ONETHING_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def dev(data_dir: Path) -> dict[str, str]:
    tokens: dict[str, str] = json.loads(ensure_dev_tokens(data_dir).read_text(encoding="utf-8"))
    return tokens


class Recorder:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.requests: list[httpx.Request] = []
        self.answer: Handler = lambda request: httpx.Response(200, json={"ok": True})

        def handler(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return self.answer(request)

        def client(base_url: str) -> httpx.Client:
            return httpx.Client(base_url=base_url, transport=httpx.MockTransport(handler))

        monkeypatch.setattr(portal_client, "http_client", client)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def body(self) -> Any:
        return json.loads(self.last.content)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    return Recorder(monkeypatch)


def test_submit_posts_the_file_with_the_portal_dev_token(
    tmp_path: Path, dev: dict[str, str], server: Recorder, capsys: Capture
):
    application = tmp_path / "application.json"
    application.write_text(json.dumps(CLASS_I, ensure_ascii=False), encoding="utf-8")
    answer = {"case_id": "oversize-transport-T-CLASS-I", "applicant_token": "ab" * 32, "status_url": "/x"}
    server.answer = lambda request: httpx.Response(202, json=answer)

    assert onething(["submit", str(application)]) == 0
    assert json.loads(capsys.readouterr().out) == answer
    assert (server.last.method, str(server.last.url)) == ("POST", "http://127.0.0.1:8000/api/v1/cases")
    assert server.last.headers["authorization"] == f"Bearer {dev['portal']}"
    assert server.last.headers["content-type"] == "application/json"
    assert server.body() == CLASS_I


def test_token_and_url_precedence(
    tmp_path: Path, dev: dict[str, str], server: Recorder, monkeypatch: pytest.MonkeyPatch
):
    application = tmp_path / "a.json"
    application.write_text("{}", encoding="utf-8")
    monkeypatch.setenv("ONETHING_TOKEN", "from-env")
    monkeypatch.setenv("ONETHING_PORTAL_URL", "http://portal.example:9000/")
    onething(["submit", str(application)])
    assert server.last.headers["authorization"] == "Bearer from-env"
    assert str(server.last.url) == "http://portal.example:9000/api/v1/cases"
    onething(["submit", str(application), "--token", "from-flag", "--url", "http://other:1"])
    assert server.last.headers["authorization"] == "Bearer from-flag"
    assert str(server.last.url) == "http://other:1/api/v1/cases"


def test_status_uses_the_auditor_dev_token(dev: dict[str, str], server: Recorder, capsys: Capture):
    server.answer = lambda request: httpx.Response(200, json={"case_id": "c", "stage": "review"})
    assert onething(["status", "oversize-transport-X"]) == 0
    assert (server.last.method, server.last.url.path) == ("GET", "/api/v1/cases/oversize-transport-X")
    assert server.last.headers["authorization"] == f"Bearer {dev['auditor']}"
    assert json.loads(capsys.readouterr().out)["stage"] == "review"


def test_decide_sends_the_opinion_with_the_departments_officer_token(dev: dict[str, str], server: Recorder):
    argv = ["decide", "oversize-transport-X", "--as", "police", "--task", "countersign:police", "--approve"]
    assert onething([*argv, "--condition", "夜间通行", "--condition", "护送"]) == 0
    assert server.last.url.path == "/api/v1/cases/oversize-transport-X/opinions"
    assert server.last.headers["authorization"] == f"Bearer {dev['officer:police']}"
    assert server.body() == {
        "task_id": "countersign:police",
        "approve": True,
        "conditions": ["夜间通行", "护送"],
    }

    refuse = ["decide", "C-1", "--as", "province:湖北", "--task", "review:province:湖北", "--refuse"]
    assert onething([*refuse, "--reason", "桥梁限载"]) == 0
    assert server.last.headers["authorization"] == f"Bearer {dev['officer:province:湖北']}"
    assert server.body() == {
        "task_id": "review:province:湖北",
        "approve": False,
        "conditions": [],
        "reason": "桥梁限载",
    }


def test_decide_refuses_bad_input_before_calling(dev: dict[str, str], server: Recorder, capsys: Capture):
    assert onething(["decide", "C-1", "--as", "highway", "--task", "review:highway", "--refuse"]) == 2
    assert "--reason: a refusal must give its reason" in capsys.readouterr().err
    assert onething(["decide", "C-1", "--as", "finance", "--task", "review:highway", "--approve"]) == 2
    assert "no 'officer:finance' entry" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # argparse: --approve or --refuse is required
        onething(["decide", "C-1", "--as", "highway", "--task", "review:highway"])
    assert exit_info.value.code == 2
    assert server.requests == []


@pytest.mark.parametrize(
    ("response", "code", "message"),
    [
        (
            httpx.Response(
                422,
                json={
                    "detail": [
                        {"field": "request.loaded.height_m", "message": "Field required"},
                        {"field": "carrier_code", "message": "not a valid unified social credit code"},
                    ]
                },
            ),
            2,
            "HTTP 422: request.loaded.height_m: Field required; carrier_code: not a valid",
        ),
        (
            httpx.Response(409, json={"detail": [{"field": "task_id", "message": "already answered"}]}),
            2,
            "HTTP 409: task_id: already answered",
        ),
        (httpx.Response(401, json={"detail": "plain"}), 2, "HTTP 401: plain"),
        (httpx.Response(502, text="Bad Gateway"), 1, "HTTP 502: Bad Gateway"),
    ],
)
def test_http_errors_go_to_stderr_with_the_servers_message(
    dev: dict[str, str], server: Recorder, capsys: Capture, response: httpx.Response, code: int, message: str
):
    server.answer = lambda request: response
    assert onething(["status", "C-1"]) == code
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("onething status: ") and message in err


def test_an_unreachable_portal_is_exit_1(dev: dict[str, str], server: Recorder, capsys: Capture):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    server.answer = refuse
    assert onething(["status", "C-1", "--url", "http://127.0.0.1:9"]) == 1
    assert "cannot reach the portal at http://127.0.0.1:9" in capsys.readouterr().err


def test_missing_tokens_and_files_are_bad_input(data_dir: Path, server: Recorder, capsys: Capture):
    assert onething(["status", "C-1"]) == 2
    assert "--token: no token given and no development tokens at" in capsys.readouterr().err
    assert onething(["submit", str(data_dir / "missing.json"), "--token", "t"]) == 2
    assert "FILE: cannot read" in capsys.readouterr().err
    (data_dir / "bad.json").write_text("{nope", encoding="utf-8")
    assert onething(["submit", str(data_dir / "bad.json"), "--token", "t"]) == 2
    assert "is not UTF-8 JSON" in capsys.readouterr().err
    assert onething(["status", "a/b", "--token", "t"]) == 2
    assert server.requests == []


def test_portal_command_serves_create_app_with_uvicorn(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capture
):
    served: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.Server.run", lambda self, sockets=None: served.update(config=self.config))
    assert onething(["portal", "--port", "8123", "--dev-tokens"]) == 0
    config = served["config"]
    assert config.host == "127.0.0.1" and config.port == 8123 and config.access_log is False
    assert config.app.title == "onething portal API"
    assert config.http.read_timeout == 15  # an unfinished request is not held open for ever
    assert (data_dir / "dev-tokens.json").exists() and (data_dir / "tokens.json").exists()
    assert "development tokens in" in capsys.readouterr().err

    assert onething(["portal", "--port", "70000"]) == 2
    assert "--port: must be between 1 and 65535" in capsys.readouterr().err
    monkeypatch.setenv("ONETHING_APPLICANT_SECRET", "short")
    assert onething(["portal"]) == 2
    assert "ONETHING_APPLICANT_SECRET" in capsys.readouterr().err


def test_the_portal_command_logs_json_lines_with_personal_data_masked(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capture
):
    monkeypatch.setattr("uvicorn.Server.run", lambda self, sockets=None: None)
    try:
        assert onething(["portal", "--port", "8123"]) == 0
        capsys.readouterr()
        structlog.get_logger("portal").info("request", case_id="c-1", agent_id="11010519491231002X")
        [line] = capsys.readouterr().err.strip().splitlines()
    finally:
        structlog.reset_defaults()
    event = json.loads(line)
    assert event["event"] == "request" and event["case_id"] == "c-1"
    assert "11010519491231002X" not in line


# --- the twins of portal/actions.py, and verify ---------------------------------------------------------

CASE = "oversize-transport-S-1"
BASE = f"http://127.0.0.1:8000/api/v1/cases/{CASE}"

TWINS = [
    (
        [
            "stop-clock",
            CASE,
            "--as",
            "highway",
            "--task",
            "review:highway",
            "--reason",
            "加固改造",
            "--note",
            "桥",
        ],
        f"{BASE}/clock-stops",
        "officer:highway",
        {"task_id": "review:highway", "reason": "加固改造", "note": "桥"},
    ),
    (["resume-clock", CASE, "--as", "highway"], f"{BASE}/clock-resumes", "officer:highway", {}),
    (
        ["reply-rating", CASE, "--as", "highway", "--reply", "已整改"],
        f"{BASE}/rectification-reply",
        "officer:highway",
        {"reply": "已整改"},
    ),
    (["return-visit", CASE, "--unsatisfied"], f"{BASE}/return-visit", "supervisor", {"satisfied": False}),
    (
        ["claim", CASE, "--as", "highway:2", "--task", "review:highway"],
        f"{BASE}/tasks/review:highway/claim",
        "officer:highway:2",
        None,
    ),
    (
        [
            "transfer",
            CASE,
            "--as",
            "highway",
            "--task",
            "review:highway",
            "--to",
            "officer:highway:2",
            "--reason",
            "休假",
        ],
        f"{BASE}/tasks/review:highway/transfer",
        "officer:highway",
        {"to_officer": "officer:highway:2", "reason": "休假"},
    ),
    (
        ["urge", CASE, "--task", "review:highway", "--note", "请尽快"],
        f"{BASE}/tasks/review:highway/urge",
        "supervisor",
        {"note": "请尽快"},
    ),
    (
        ["bar-carrier", CLASS_I["carrier_code"], "--case", CASE, "--reason", "装载照片与现场不符"],
        f"http://127.0.0.1:8000/api/v1/carriers/{CLASS_I['carrier_code']}/bars",
        "officer:highway",
        {"case_id": CASE, "reason": "装载照片与现场不符"},
    ),
]


@pytest.mark.parametrize(("argv", "url", "token", "body"), TWINS, ids=[t[0][0] for t in TWINS])
def test_each_twin_posts_its_route_with_its_dev_token(
    argv: list[str], url: str, token: str, body: Any, dev: dict[str, str], server: Recorder, capsys: Capture
):
    server.answer = lambda request: httpx.Response(200, json={"case_id": CASE})
    assert onething(argv) == 0
    assert json.loads(capsys.readouterr().out) == {"case_id": CASE}
    assert (server.last.method, str(server.last.url)) == ("POST", url)
    assert server.last.headers["authorization"] == f"Bearer {dev[token]}"
    assert (json.loads(server.last.content) if server.last.content else None) == body


def test_rate_needs_the_applicant_token(dev: dict[str, str], server: Recorder, capsys: Capture):
    assert onething(["rate", CASE, "--score", "1"]) == 2
    assert "--token" in capsys.readouterr().err
    assert onething(["rate", CASE, "--score", "1", "--comment", "慢", "--token", "applicant-token"]) == 0
    assert str(server.last.url) == f"{BASE}/rating"
    assert server.last.headers["authorization"] == "Bearer applicant-token"
    assert server.body() == {"score": 1, "comment": "慢"}


def test_an_officer_command_without_an_officer_exits_2(
    dev: dict[str, str], server: Recorder, capsys: Capture
):
    assert onething(["claim", CASE, "--task", "review:highway"]) == 2
    assert "--as" in capsys.readouterr().err
    assert not server.requests


def test_a_refusal_is_printed_with_its_field_and_exits_2(
    dev: dict[str, str], server: Recorder, capsys: Capture
):
    problem = {"detail": [{"field": "holder", "message": "held by officer:highway"}]}
    server.answer = lambda request: httpx.Response(409, json=problem)
    assert onething(["claim", CASE, "--as", "highway:2", "--task", "review:highway"]) == 2
    assert "holder: held by officer:highway" in capsys.readouterr().err


def test_verify_gets_the_public_verification_without_a_token(data_dir, server: Recorder, capsys: Capture):
    server.answer = lambda request: httpx.Response(200, json={"valid": True, "reasons": []})
    assert onething(["verify", "1.2.156.3005.2.X"]) == 0
    assert json.loads(capsys.readouterr().out) == {"valid": True, "reasons": []}
    assert str(server.last.url) == "http://127.0.0.1:8000/api/v1/licences/1.2.156.3005.2.X/verification"
    assert "authorization" not in server.last.headers
    server.answer = lambda request: httpx.Response(
        404, json={"detail": [{"field": "licence_id", "message": "no such licence"}]}
    )
    assert onething(["verify", "1.2.156.3005.2.NOPE"]) == 2
    assert "licence_id: no such licence" in capsys.readouterr().err
    assert onething(["verify", "a/b"]) == 2


def test_licence_fetches_with_the_applicant_token_if_given(
    data_dir, server: Recorder, capsys: Capture, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("ONETHING_TOKEN", raising=False)
    server.answer = lambda request: httpx.Response(200, json={"identifier": "1.2.156.3005.2.X"})
    assert onething(["licence", "1.2.156.3005.2.X"]) == 0
    assert json.loads(capsys.readouterr().out) == {"identifier": "1.2.156.3005.2.X"}
    assert str(server.last.url) == "http://127.0.0.1:8000/api/v1/licences/1.2.156.3005.2.X"
    assert "authorization" not in server.last.headers  # anybody's fetch: counted, activates nothing
    assert onething(["licence", "1.2.156.3005.2.X", "--token", "the-holders"]) == 0
    assert server.last.headers["authorization"] == "Bearer the-holders"  # the holder's: 激活
    assert onething(["licence", "a/b"]) == 2


def test_tasks_gets_the_inbox_as_the_officer_or_else_the_supervisor(
    dev: dict[str, str], server: Recorder, capsys: Capture
):
    server.answer = lambda request: httpx.Response(200, json={"items": [], "next": None})
    assert onething(["tasks", "--as", "highway", "--state", "answered", "--card", "red", "--limit", "5"]) == 0
    assert json.loads(capsys.readouterr().out) == {"items": [], "next": None}
    assert str(server.last.url) == "http://127.0.0.1:8000/api/v1/tasks?state=answered&card=red&limit=5"
    assert server.last.headers["authorization"] == f"Bearer {dev['officer:highway']}"
    assert onething(["tasks"]) == 0
    assert server.last.headers["authorization"] == f"Bearer {dev['supervisor']}"


# Every route a person calls has its `onething` twin: an action only HTTP (or only the tests) can reach
# is half done. A new route fails this table until it names its command, or says why it has none.
ROUTE_TWINS: dict[str, str | None] = {
    "POST /api/v1/cases": "submit",
    "GET /api/v1/cases/{case_id}": "status",
    "POST /api/v1/cases/{case_id}/opinions": "decide",
    "POST /api/v1/cases/{case_id}/supplements": "supplement",
    "POST /api/v1/cases/{case_id}/withdrawal": "withdraw",
    "POST /api/v1/cases/{case_id}/clock-stops": "stop-clock",
    "POST /api/v1/cases/{case_id}/clock-resumes": "resume-clock",
    "POST /api/v1/cases/{case_id}/rating": "rate",
    "POST /api/v1/cases/{case_id}/rectification-reply": "reply-rating",
    "POST /api/v1/cases/{case_id}/return-visit": "return-visit",
    "POST /api/v1/cases/{case_id}/tasks/{task_id}/claim": "claim",
    "POST /api/v1/cases/{case_id}/tasks/{task_id}/transfer": "transfer",
    "POST /api/v1/cases/{case_id}/tasks/{task_id}/urge": "urge",
    "GET /api/v1/tasks": "tasks",
    "GET /api/v1/licences/{licence_id}/verification": "verify",
    "POST /api/v1/carriers/{credit_code}/bars": "bar-carrier",
    "GET /api/v1/licences/{licence_id}": "licence",
    # The verifier's key, fetched by programs that check seals offline.
    "GET /api/v1/seal/public-key": None,
}


def test_every_api_route_a_person_calls_has_its_cli_twin(data_dir: Path):
    app = create_app(portal_settings(data_dir, "unused"), config=portal_config(data_dir))
    routes = {f"{method} {path}" for method, path in app_routes(app) if path.startswith("/api/")}
    assert routes == set(ROUTE_TWINS)
    # tests/cli/test_main.py keeps BY_NAME and the modules' own registrations in step.
    assert {c for c in ROUTE_TWINS.values() if c is not None} <= set(BY_NAME)
