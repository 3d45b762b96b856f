"""What every fuzz test of the portal shares: sending from Hypothesis, the answer's contract, the tally.

Hypothesis runs synchronously, the portal and its Temporal worker on the test's event loop. So a fuzz
test runs its `@given` function in a thread (`in_thread`) and each example hands its request back to
the loop (`Fuzzer.send_sync`): the app, the worker and the time-skipping server stay on the loop that
owns them.

Every answer is held to the portal's contract: never a 5xx, and every 4xx is
`{"detail": [{"field", "message"}, …]}` whose fields name an input of that endpoint — a parameter, a
property of its body, or one of the few names every endpoint may use ("body", "path", "authorization").
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from hypothesis import HealthCheck, Phase, settings

from tests import figures
from tests.portal.conftest import Portal

T = TypeVar("T")

# Fuzzing runs against a live app and worker: no deadline per example, no health check about speed, no
# example database (a failure prints the blob to reproduce it with @reproduce_failure). No shrinking
# either: each example is a request to a live app, and the first failure is reproducible as it is.
FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
    phases=(Phase.explicit, Phase.generate),
)

# Names any endpoint's error may use: the body as a whole, a path that routes nowhere, the credentials.
GENERIC_FIELDS = frozenset({"body", "path", "authorization"})

# What a 4xx may name besides the inputs the OpenAPI lists, per path template: the case's state (409),
# the officer's department (403), the case or licence the path names (404), the codec's payloads.
STATE_FIELDS: Mapping[str, frozenset[str]] = {
    "/api/v1/cases/{case_id}": frozenset({"case_id"}),
    "/api/v1/cases/{case_id}/opinions": frozenset({"case_id", "stage", "department"}),
    "/api/v1/cases/{case_id}/supplements": frozenset({"case_id", "stage"}),
    "/api/v1/cases/{case_id}/withdrawal": frozenset({"case_id", "stage"}),
    "/api/v1/cases/{case_id}/clock-stops": frozenset({"case_id", "stage", "department"}),
    "/api/v1/cases/{case_id}/clock-resumes": frozenset({"case_id", "stage", "department"}),
    "/api/v1/cases/{case_id}/rating": frozenset({"case_id", "stage"}),
    "/api/v1/cases/{case_id}/rectification-reply": frozenset({"case_id", "stage", "department"}),
    "/api/v1/cases/{case_id}/return-visit": frozenset({"case_id", "stage", "department"}),
    "/api/v1/cases/{case_id}/tasks/{task_id}/claim": frozenset({"case_id", "department", "holder"}),
    "/api/v1/cases/{case_id}/tasks/{task_id}/transfer": frozenset({"case_id", "department", "holder"}),
    "/api/v1/cases/{case_id}/tasks/{task_id}/urge": frozenset({"case_id"}),
    "/api/v1/tasks": frozenset({"department"}),
    "/api/v1/licences/{licence_id}": frozenset({"licence_id"}),
    "/api/v1/licences/{licence_id}/verification": frozenset({"licence_id"}),
    "/codec/encode": frozenset({"payloads"}),
    "/codec/decode": frozenset({"payloads"}),
}

# Strings that have broken other systems, for every text field: SQL, shell, markup, template and format
# strings, control characters, bidi overrides, lone surrogates (valid JSON escapes, invalid UTF-8), long text.
INJECTIONS: tuple[str, ...] = (
    "' OR '1'='1' --",
    "'; DROP TABLE ledger_events; --",
    '" OR 1=1; SELECT * FROM carriers --',
    "$(rm -rf /tmp/x)",
    "`id`; cat /etc/passwd | nc 127.0.0.1 9",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "%s%s%s%n%x%p",
    "{0.__class__.__mro__}{__import__}",
    "${jndi:ldap://127.0.0.1/a}{{7*7}}",
    "a\x00b",
    "\x00",
    "\u202eevil\u202c\ufeff\u200b",
    "\ud800",
    "\udfff\ud800x",
    "../../../../etc/passwd",
    "汉" * 3000,
    "𠜎" * 15_000,
)


@dataclass
class Tally:
    """Requests sent by the fuzz tests of this session, and how many were answered with a 5xx."""

    requests: int = 0
    server_errors: int = 0
    by_test: dict[str, int] = field(default_factory=dict)


TALLY = Tally()


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, Any] | None = None
    content: bytes | None = None

    @classmethod
    def with_json(cls, method: str, path: str, body: Any, headers: Mapping[str, str] | None = None) -> Call:
        """`body` as JSON; lone surrogates and NaN go out as they would from a sloppy client."""
        return cls(method, path, {**(headers or {}), "content-type": "application/json"}, None, dumps(body))

    def describe(self) -> str:
        shown = (self.content or b"")[:300]
        return f"{self.method} {self.path[:300]} params={self.params!r} body={shown!r}"


def dumps(body: Any) -> bytes:
    # ensure_ascii writes a lone surrogate as its \\udXXX escape: valid JSON text, no valid UTF-8 behind it.
    return json.dumps(body, ensure_ascii=True).encode("ascii")


class Fuzzer:
    """Sends calls to the in-process portal, checks each answer, and counts them."""

    def __init__(self, portal: Portal, test_name: str) -> None:
        self.portal = portal
        self.test_name = test_name
        self.loop = asyncio.get_running_loop()
        self.sent = 0
        self.statuses: dict[int, int] = {}

    async def send(
        self,
        call: Call,
        fields: Iterable[str] = (),
        *,
        streamed: bool = False,
        client: httpx.AsyncClient | None = None,
        page: bool = False,
    ) -> httpx.Response:
        """Send `call` and check the answer; `streamed` sends the body in chunks without a Content-Length.

        `client`: a browser of its own (a workbench session's cookies) on the same app; `page`: the
        answer is a workbench page, held to `check_page` instead of the API's error shape.
        """
        http = client or self.portal.http
        content: bytes | AsyncIterator[bytes] | None = call.content
        if streamed and call.content is not None:
            content = _chunks(call.content)
        request = http.build_request(
            call.method, call.path, headers=dict(call.headers), params=call.params, content=content
        )
        try:
            response = await http.send(request)
        except Exception as error:
            # The in-process transport re-raises what the app did not handle: a server would answer 500.
            self._count(500)
            raise AssertionError(f"{call.describe()} → unhandled {error!r}") from error
        self._count(response.status_code)
        if page:
            check_page(response, call)
        else:
            check_answer(response, call, frozenset(fields))
        return response

    def send_sync(
        self,
        call: Call,
        fields: Iterable[str] = (),
        *,
        client: httpx.AsyncClient | None = None,
        page: bool = False,
    ) -> httpx.Response:
        """From the Hypothesis thread: the request runs on the test's event loop."""
        sent = self.send(call, fields, client=client, page=page)
        return asyncio.run_coroutine_threadsafe(sent, self.loop).result(timeout=120)

    def _count(self, status: int) -> None:
        self.sent += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        TALLY.requests += 1
        TALLY.by_test[self.test_name] = TALLY.by_test.get(self.test_name, 0) + 1
        # The tally printed after the run, summed over xdist's workers (tests/figures.py).
        figures.count("portal fuzzing", self.test_name)
        if status >= 500:
            TALLY.server_errors += 1
            figures.count("portal fuzzing", "~5xx")

    def summary(self) -> str:
        counts = ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses.items()))
        return f"{self.sent} requests ({counts})"


async def _chunks(body: bytes, size: int = 8192) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def in_thread(run: Callable[[], T]) -> T:
    """Run a Hypothesis test function off the event loop, which keeps serving the portal meanwhile."""
    return await asyncio.to_thread(run)


def check_answer(response: httpx.Response, call: Call, fields: frozenset[str]) -> None:
    """No 5xx; a 4xx in the one error shape, each problem naming an input of the endpoint.

    An input the request sent but the endpoint does not know ("Extra inputs are not permitted") is named
    by its own name: the names of the body's keys and of the query's parameters count as inputs too.
    """
    fields = fields | sent_names(call)
    status = response.status_code
    assert status < 500, f"{call.describe()} → {status} {response.text[:1000]}"
    if status < 400:
        return
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"{call.describe()} → {status}, not JSON: {response.text[:300]}") from None
    assert isinstance(body, dict) and list(body) == ["detail"], f"{call.describe()} → {status} {body}"
    problems = body["detail"]
    assert isinstance(problems, list) and problems, f"{call.describe()} → {status} {body}"
    for problem in problems:
        assert isinstance(problem, dict) and set(problem) == {"field", "message"}, (call.describe(), body)
        name, message = problem["field"], problem["message"]
        assert isinstance(message, str) and message.strip(), (call.describe(), body)
        assert names_an_input(name, fields), (
            f"{call.describe()} → {status}: field {name!r} names no input of this endpoint "
            f"(expected one of {sorted(fields | GENERIC_FIELDS)}); {body}"
        )


def check_page(response: httpx.Response, call: Call) -> None:
    """A workbench answer: no 5xx; a refusal is an HTML error page that names what was wrong (or, for
    a path that routes nowhere, the API's own 404 naming `path`)."""
    status = response.status_code
    assert status < 500, f"{call.describe()} → {status} {response.text[:1000]}"
    if status < 400:
        return
    if response.headers.get("content-type", "").startswith("application/json"):
        check_answer(response, call, frozenset())
        return
    assert response.headers.get("content-type", "").startswith("text/html"), (call.describe(), status)
    assert '<div class="error">' in response.text, f"{call.describe()} → {status}: {response.text[:300]}"


def sent_names(call: Call) -> frozenset[str]:
    names = set(call.params or ())
    try:
        body = json.loads(call.content or b"null")
    except (ValueError, RecursionError):
        body = None
    if isinstance(body, dict):
        names |= {str(key) for key in body}
    return frozenset(names)


def names_an_input(name: object, fields: frozenset[str]) -> bool:
    """`field` is an input's name, or a dotted path into the body that starts with one (`route.0.from`)."""
    if not isinstance(name, str) or not name:
        return False
    first = name.split(".", 1)[0]
    return name in fields or first in fields or first in GENERIC_FIELDS


def input_names(schema: Mapping[str, Any], path: str, method: str) -> frozenset[str]:
    """Every name an error of this operation may start with: its parameters and top-level body properties."""
    operation = schema["paths"][path][method.lower()]
    names = {p["name"] for p in operation.get("parameters", [])}
    content = operation.get("requestBody", {}).get("content", {})
    for media in content.values():
        names |= _properties(schema, media.get("schema", {}))
    return frozenset(names | STATE_FIELDS.get(path, frozenset()))


def _properties(schema: Mapping[str, Any], node: Mapping[str, Any]) -> set[str]:
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _properties(schema, schema["components"]["schemas"][name])
    names = set(node.get("properties", {}))
    for key in ("oneOf", "anyOf", "allOf"):
        for option in node.get(key, []):
            names |= _properties(schema, option)
    return names
