"""Bad input never breaks the portal: property-based fuzzing of every operation from its OpenAPI.

Schemathesis generates requests for every operation of `app.openapi()`, valid by the schema (positive)
and not (negative: wrong types, missing fields, values out of range, odd headers), against made-up ids
and live cases. Each generated request goes out three times: with the credentials that reach its
handler, and with two others (none, an unknown token, the generated header, some staff token).

Every answer is checked by `tests.security.fuzz.check_answer`: no 5xx, and each 4xx names its field.
The count of requests is in the terminal summary (`fuzz: N requests, M 5xx`) and in the JUnit property
`fuzz_requests`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

import pytest
import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis.core import NOT_SET

from tests.portal.conftest import Portal, bearer
from tests.security.conftest import Live
from tests.security.fuzz import FUZZ, Call, Fuzzer, in_thread, input_names

# 21 operations, 20 of them in both modes, each example sent three times: over 1,000 requests.
EXAMPLES_PER_MODE = 16

# Whose token reaches each operation's handler; "applicant" is the applicant of the path's case.
HANDLER_ROLE: Mapping[str, str | None] = {
    "POST /api/v1/cases": "portal",
    "GET /api/v1/cases/{case_id}": "applicant",
    "POST /api/v1/cases/{case_id}/opinions": "officer:highway",
    "POST /api/v1/cases/{case_id}/supplements": "applicant",
    "POST /api/v1/cases/{case_id}/withdrawal": "applicant",
    "POST /api/v1/cases/{case_id}/clock-stops": "officer:highway",
    "POST /api/v1/cases/{case_id}/clock-resumes": "officer:highway",
    "POST /api/v1/cases/{case_id}/rating": "applicant",
    "POST /api/v1/cases/{case_id}/rectification-reply": "officer:highway",
    "POST /api/v1/cases/{case_id}/return-visit": "supervisor",
    "POST /api/v1/cases/{case_id}/tasks/{task_id}/claim": "officer:highway",
    "POST /api/v1/cases/{case_id}/tasks/{task_id}/transfer": "officer:highway",
    "POST /api/v1/cases/{case_id}/tasks/{task_id}/urge": "supervisor",
    "GET /api/v1/tasks": "officer:highway",
    "POST /api/v1/carriers/{credit_code}/bars": "officer:highway",
    "GET /api/v1/licences/{licence_id}": None,
    "GET /api/v1/licences/{licence_id}/verification": None,
    "GET /api/v1/seal/public-key": None,
    "GET /audit": "auditor",
    "GET /audit.json": "auditor",
    "POST /codec/encode": "officer:police",
    "POST /codec/decode": "auditor",
    # Operators' probes and Prometheus: public by design (portal/health.py).
    "GET /healthz": None,
    "GET /readyz": None,
    "GET /metrics": None,
}
OTHER_CREDENTIALS = ("anonymous", "unknown", "generated", "staff")


def credentials(
    portal: Portal, kind: str, role: str | None, case_id: str | None, pick: int
) -> dict[str, str]:
    if kind == "anonymous":
        return {}
    if kind == "unknown":
        return bearer(uuid.UUID(int=pick).hex * 2)
    if kind == "staff":
        return portal.auth(sorted(portal.tokens)[pick % len(portal.tokens)])
    if role == "applicant":
        return bearer(portal.app.state.portal.applicants.token_for(case_id or "oversize-transport-x"))
    return portal.auth(role) if role else {}


def sendable_headers(headers: Mapping[str, Any]) -> dict[str, str]:
    """Generated headers that HTTP can carry at all (latin-1, no line breaks); no server sees the rest."""
    safe = {}
    for name, value in headers.items():
        text = str(value)
        try:
            name.encode("ascii")
            text.encode("latin-1")
        except UnicodeEncodeError:
            continue
        if name.isprintable() and name.strip() and not any(c in name + text for c in "\r\n\x00"):
            safe[name] = text
    return safe


def query_of(query: Mapping[str, Any] | None) -> dict[str, list[str]] | None:
    if not query:
        return None
    out = {}
    for name, value in query.items():
        values = value if isinstance(value, list) else [value]
        out[name] = [v if isinstance(v, str) else json.dumps(v) for v in values]
    return out


def as_call(portal: Portal, case: Any, key: str, kind: str, pick: int) -> Call:
    """The generated case as a request, credentialed as `kind` ("handler" or one of OTHER_CREDENTIALS)."""
    generated = sendable_headers(case.headers or {})
    headers = {k: v for k, v in generated.items() if k.lower() != "authorization"}
    if kind == "generated":
        headers.update({k: v for k, v in generated.items() if k.lower() == "authorization"})
    else:
        case_id = (case.path_parameters or {}).get("case_id")
        headers.update(credentials(portal, kind, HANDLER_ROLE[key], case_id, pick))
    content: bytes | None = None
    if case.body is not NOT_SET:
        body = case.body
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["content-type"] = case.media_type or "application/json"
    return Call(case.method.upper(), case.formatted_path, headers, query_of(case.query), content)


def fuzz_operation(fuzzer: Fuzzer, cases: st.SearchStrategy[Any], key: str, fields: frozenset[str]) -> Any:
    @settings(FUZZ, max_examples=EXAMPLES_PER_MODE)
    @given(case=cases, others=st.permutations(OTHER_CREDENTIALS), pick=st.integers(0, 2**32))
    def run(case: Any, others: list[str], pick: int) -> None:
        for kind in ("handler", *others[:2]):
            fuzzer.send_sync(as_call(fuzzer.portal, case, key, kind, pick), fields)

    return run


@pytest.mark.slow
async def test_every_operation_fuzzed_from_the_openapi(
    portal: Portal, live: Live, licence_id: str, record_property: Any
):
    fuzzer = Fuzzer(portal, "every operation, from the OpenAPI (schemathesis)")
    openapi = portal.app.openapi()
    schema = schemathesis.openapi.from_dict(openapi)
    live_ids = {
        "GET /api/v1/cases/{case_id}": {"case_id": live.review[0]},
        "POST /api/v1/cases/{case_id}/opinions": {"case_id": live.review[0]},
        "POST /api/v1/cases/{case_id}/supplements": {"case_id": live.review[1]},
        "POST /api/v1/cases/{case_id}/withdrawal": {"case_id": live.review[1]},
        "POST /api/v1/cases/{case_id}/clock-stops": {"case_id": live.review[0]},
        "POST /api/v1/cases/{case_id}/clock-resumes": {"case_id": live.review[0]},
        "POST /api/v1/cases/{case_id}/rating": {"case_id": live.review[0]},
        "POST /api/v1/cases/{case_id}/rectification-reply": {"case_id": live.review[0]},
        "POST /api/v1/cases/{case_id}/return-visit": {"case_id": live.review[0]},
        "POST /api/v1/cases/{case_id}/tasks/{task_id}/claim": {
            "case_id": live.review[0],
            "task_id": "review:highway",
        },
        "POST /api/v1/cases/{case_id}/tasks/{task_id}/transfer": {
            "case_id": live.review[0],
            "task_id": "review:highway",
        },
        "POST /api/v1/cases/{case_id}/tasks/{task_id}/urge": {
            "case_id": live.review[0],
            "task_id": "review:highway",
        },
        "GET /api/v1/licences/{licence_id}": {"licence_id": licence_id},
        "GET /api/v1/licences/{licence_id}/verification": {"licence_id": licence_id},
    }
    operations = [result.ok() for result in schema.get_all_operations()]
    keys = {f"{op.method.upper()} {op.path}" for op in operations}
    assert keys == set(HANDLER_ROLE), "a new operation: say in HANDLER_ROLE whose token reaches it"

    for op in operations:
        key = f"{op.method.upper()} {op.path}"
        fields = input_names(openapi, op.path, op.method)
        modes = [schemathesis.GenerationMode.POSITIVE]
        if list(op.iter_parameters()) or op.body:  # nothing to get wrong otherwise
            modes.append(schemathesis.GenerationMode.NEGATIVE)
        for mode in modes:
            cases = op.as_strategy(generation_mode=mode)
            if key in live_ids:
                cases = st.one_of(cases, op.as_strategy(generation_mode=mode, path_parameters=live_ids[key]))
            await in_thread(fuzz_operation(fuzzer, cases, key, fields))

    record_property("fuzz_requests", fuzzer.sent)
    assert fuzzer.sent >= 1000, f"too few requests to call this fuzzing: {fuzzer.summary()}"
    assert not any(status >= 500 for status in fuzzer.statuses), fuzzer.summary()
