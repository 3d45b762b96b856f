"""`onething submit | status | decide`: thin clients of the portal API, for the demo and for officers.

    onething submit application.json                    → {"case_id", "applicant_token", "status_url"}
    onething status oversize-transport-S-1
    onething decide oversize-transport-S-1 --as highway --task review:highway --approve
    onething decide CASE --as police --task countersign:police --refuse --reason "桥梁限载"

The portal is `--url`, else ONETHING_PORTAL_URL, else http://127.0.0.1:8000. The token is `--token`,
else (submit and status) ONETHING_TOKEN, else the embedded stack's `<data_dir>/dev-tokens.json`:
its `portal` entry for submit, `auditor` for status, `officer:<DEPT>` for decide.

The server's JSON answer goes to stdout. An HTTP error goes to stderr with the server's messages;
the exit code is 2 for a 4xx (fix the input or the token), 1 for a 5xx or an unreachable portal.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx

from cli.errors import BadInput
from portal.auth import DEV_TOKENS_FILE
from settings import Settings

DEFAULT_URL = "http://127.0.0.1:8000"
URL_ENV = "ONETHING_PORTAL_URL"
TOKEN_ENV = "ONETHING_TOKEN"  # noqa: S105 (a variable name)
TIMEOUT_SECONDS = 30.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    submit = sub.add_parser(
        "submit",
        help="submit an application to the portal",
        description="POST an application (JSON) to the portal. Prints {case_id, applicant_token, "
        "status_url}; the same submission_id again returns the same case.",
    )
    submit.add_argument("file", metavar="FILE", help="the application as JSON ('-' reads stdin)")
    connection_options(submit, "default: ONETHING_TOKEN, else the portal dev token")
    submit.set_defaults(handler=run_submit)

    status = sub.add_parser(
        "status",
        help="show a case's status",
        description="GET a case's status: stage, outcome, permit class, due time, open tasks, licences.",
    )
    status.add_argument("case", metavar="CASE", help="the case id, e.g. oversize-transport-S-1")
    connection_options(status, "default: ONETHING_TOKEN, else the auditor dev token")
    status.set_defaults(handler=run_status)

    decide = sub.add_parser(
        "decide",
        help="answer a department's open task in a case",
        description="POST an officer's opinion (审核/会签意见) on an open task. The department is the "
        "token's; --as picks the officer dev token of that department.",
    )
    decide.add_argument("case", metavar="CASE", help="the case id")
    decide.add_argument(
        "--as",
        dest="department",
        required=True,
        metavar="DEPT",
        help="highway, urban_road, police, province:<name>",
    )
    decide.add_argument("--task", required=True, metavar="TASK_ID", help="e.g. review:highway")
    answer = decide.add_mutually_exclusive_group(required=True)
    answer.add_argument("--approve", action="store_true", help="approve (准予)")
    answer.add_argument("--refuse", action="store_true", help="refuse (不予); needs --reason")
    decide.add_argument("--reason", metavar="TEXT", help="the reason (required with --refuse)")
    decide.add_argument(
        "--condition",
        action="append",
        default=[],
        metavar="TEXT",
        help="a condition of the approval (通行时段, 护送…); repeatable",
    )
    connection_options(decide, "default: the officer dev token of DEPT")
    decide.set_defaults(handler=run_decide)


def connection_options(parser: argparse.ArgumentParser, token_default: str) -> None:
    parser.add_argument(
        "--url", metavar="URL", help=f"portal base URL (default: ${URL_ENV} or {DEFAULT_URL})"
    )
    parser.add_argument("--token", metavar="TOKEN", help=f"bearer token ({token_default})")


# --- commands ------------------------------------------------------------------------------------------


def run_submit(args: argparse.Namespace) -> int:
    body = read_json_bytes(args.file)
    token = args.token or os.environ.get(TOKEN_ENV) or dev_token("portal")
    return call(args, "POST", "/api/v1/cases", token, content=body)


def run_status(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get(TOKEN_ENV) or dev_token("auditor")
    return call(args, "GET", f"/api/v1/cases/{path_part(args.case, 'CASE')}", token)


def run_decide(args: argparse.Namespace) -> int:
    if args.refuse and not (args.reason or "").strip():
        raise BadInput("--reason: a refusal must give its reason")
    opinion: dict[str, Any] = {
        "task_id": args.task,
        "approve": bool(args.approve),
        "conditions": args.condition,
    }
    if args.reason:
        opinion["reason"] = args.reason
    token = args.token or dev_token(f"officer:{args.department}")
    path = f"/api/v1/cases/{path_part(args.case, 'CASE')}/opinions"
    return call(args, "POST", path, token, content=json.dumps(opinion, ensure_ascii=False).encode())


# --- plumbing ------------------------------------------------------------------------------------------


def http_client(base_url: str) -> httpx.Client:
    """The HTTP client of every command (tests replace this to use a mock transport)."""
    return httpx.Client(base_url=base_url, timeout=TIMEOUT_SECONDS)


def call(
    args: argparse.Namespace, method: str, path: str, token: str | None, content: bytes | None = None
) -> int:
    """One request to the portal (no Authorization header when `token` is None: public routes)."""
    base_url = (args.url or os.environ.get(URL_ENV) or DEFAULT_URL).rstrip("/")
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    if content is not None:
        headers["Content-Type"] = "application/json"
    try:
        with http_client(base_url) as client:
            response = client.request(method, path, content=content, headers=headers)
    except httpx.HTTPError as exc:
        print(f"onething {args.command}: cannot reach the portal at {base_url}: {exc}", file=sys.stderr)
        return 1
    if response.is_success:
        print(json.dumps(response.json(), ensure_ascii=False))
        return 0
    print(
        f"onething {args.command}: HTTP {response.status_code}: {_server_message(response)}", file=sys.stderr
    )
    return 2 if response.is_client_error else 1


def _server_message(response: httpx.Response) -> str:
    """The portal's `{"detail": [{"field", "message"}]}` as `field: message; …`, else the raw text."""
    try:
        detail = response.json()["detail"]
    except (ValueError, KeyError, TypeError):
        return response.text.strip()[:500] or response.reason_phrase
    if isinstance(detail, list):
        return "; ".join(
            f"{item.get('field')}: {item.get('message')}" if isinstance(item, dict) else str(item)
            for item in detail
        )
    return str(detail)


def read_json_bytes(name: str, argument: str = "FILE") -> bytes:
    """The bytes of a JSON file (or stdin for `-`), checked to be UTF-8 JSON, sent as they are."""
    try:
        raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        raise BadInput(f"{argument}: cannot read {name}: {exc.strerror}") from exc
    try:
        json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadInput(f"{argument}: {name} is not UTF-8 JSON: {exc}") from exc
    return raw


def path_part(value: str, name: str) -> str:
    if not value or "/" in value or "?" in value or "#" in value:
        raise BadInput(f"{name}: not a case id: {value!r}")
    return value


def dev_token(name: str) -> str:
    path = Settings.from_env().data_dir / DEV_TOKENS_FILE
    try:
        tokens = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"--token: no token given and no development tokens at {path}") from None
    except (OSError, ValueError) as exc:
        raise BadInput(f"--token: cannot read the development tokens at {path}: {exc}") from exc
    token = tokens.get(name) if isinstance(tokens, dict) else None
    if not isinstance(token, str) or not token:
        raise BadInput(f"--token: no {name!r} entry in {path}")
    return token
