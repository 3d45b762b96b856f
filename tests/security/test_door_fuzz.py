"""Keep probing the door (issue 17, item 7): what the issue's attacker tried, generated and counted.

- the codec endpoint (`/codec/encode`, `/codec/decode`) with every credential: none, the UI's Origin
  only, an unknown token, each role's token, an applicant's token, a signed-in workbench session's
  codec credential (officer, auditor; a supervisor's session has none), an expired one, a made-up one;
  with payloads sealed by us, plain, forged and junk;
- the workbench's forms, signed in as an officer, a supervisor and an applicant, with generated fields,
  right, wrong and missing CSRF tokens, and actions that do not exist; its sign-in form; its pages,
  the licence page included;
- the licence fetch with every credential: only the holder's activates (激活);
- input that is not canonical (non-ASCII digits, a plate of no province, names of control and format
  characters only), bodies that are not JSON, and resubmissions with another body.

Every answer is held to the portal's contract (tests/security/fuzz.py): no 5xx; an API 4xx names its
field; a workbench 4xx is an error page. Each request counts in the fuzz tally of `make test`.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.case import PROVINCE_PLATE_PREFIXES
from store.licences import get_licence
from tests.factories import CLASS_III
from tests.portal.conftest import Portal, application, bearer
from tests.portal.test_workbench import csrf_of, sign_in, workbench
from tests.security.conftest import Live
from tests.security.fuzz import FUZZ, INJECTIONS, Call, Fuzzer, in_thread

UI_ORIGIN = "http://127.0.0.1:8233"
PAYLOAD_FIELDS = frozenset({"payloads"})
TEXT = st.one_of(st.sampled_from(INJECTIONS), st.text(max_size=40))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- the codec endpoint with every credential ---------------------------------------------------------

# Who calls, and what they get: 401 without a credential of ours, 403 for a role that may not read
# payloads, else the endpoint's own answer (200, or 422 for what it cannot decrypt).
CODEC_CALLERS: dict[str, str] = {
    "none": "401",
    "Origin only": "401",
    "unknown token": "401",
    "made-up codec cookie": "401",
    "expired codec credential": "401",
    "supervisor session (no codec credential)": "401",
    "portal": "403",
    "supervisor": "403",
    "applicant": "403",
    "officer:highway": "ok",
    "officer:police": "ok",
    "officer:province:湖北": "ok",
    "auditor": "ok",
    "officer session credential": "ok",
    "auditor session credential": "ok",
}


BROWSER_CALLERS = frozenset(
    {
        "made-up codec cookie",
        "expired codec credential",
        "supervisor session (no codec credential)",
        "officer session credential",
        "auditor session credential",
    }
)


@dataclasses.dataclass
class Browsers:
    """Cookie jars, one per signed-in workbench session (and one whose codec credential expired)."""

    by_caller: dict[str, httpx.AsyncClient]

    async def close(self) -> None:
        for client in self.by_caller.values():
            await client.aclose()


async def codec_browsers(portal: Portal) -> Browsers:
    found: dict[str, httpx.AsyncClient] = {}
    for caller, token in (
        ("officer session credential", portal.tokens["officer:highway"]),
        ("auditor session credential", portal.tokens["auditor"]),
        ("supervisor session (no codec credential)", portal.tokens["supervisor"]),
        ("expired codec credential", portal.tokens["auditor"]),
    ):
        browser = workbench(portal)
        assert (await sign_in(browser, token)).status_code == 303
        found[caller] = browser
    expired = found["expired codec credential"].cookies.get("onething_codec", path="/codec")
    store = portal.app.state.workbench_sessions
    store._codec[expired] = dataclasses.replace(store._codec[expired], expires=time.monotonic() - 1)
    made_up = workbench(portal)
    made_up.cookies.set("onething_codec", "x" * 43, path="/codec")
    found["made-up codec cookie"] = made_up
    return Browsers(found)


def codec_headers(portal: Portal, caller: str, applicant: str) -> dict[str, str]:
    """The headers of `caller`; a cookie-borne caller sends the UI's Origin, as the UI in a browser does."""
    if caller == "none":
        return {}
    if caller == "Origin only" or caller in BROWSER_CALLERS:
        return {"origin": UI_ORIGIN}
    if caller == "unknown token":
        return bearer("n" * 43)
    if caller == "applicant":
        return bearer(applicant)
    return portal.auth(caller)


async def test_the_codec_endpoint_with_every_credential(portal: Portal, live: Live):
    fuzzer = Fuzzer(portal, "codec endpoint × every credential")
    applicant = portal.app.state.portal.applicants.token_for(live.review[0])
    browsers = await codec_browsers(portal)
    plain = {"metadata": {"encoding": b64(b"json/plain")}, "data": b64(b'{"a":1}')}
    sealed_answer = await fuzzer.send(
        Call.with_json("POST", "/codec/encode", {"payloads": [plain]}, portal.auth("auditor")),
        PAYLOAD_FIELDS,
    )
    [sealed] = sealed_answer.json()["payloads"]
    bodies: dict[str, Callable[[bytes], Any]] = {
        "sealed": lambda _: {"payloads": [sealed]},
        "plain": lambda data: {
            "payloads": [{"metadata": {"encoding": b64(b"json/plain")}, "data": b64(data)}]
        },
        "forged": lambda data: {
            "payloads": [
                {"metadata": {"encoding": b64(b"binary/encrypted"), **sealed_meta(sealed)}, "data": b64(data)}
            ]
        },
        "no payloads": lambda _: {},
        "junk": lambda data: {"payloads": data.decode("latin-1")},
    }

    @settings(FUZZ, max_examples=60)
    @given(
        caller=st.sampled_from(sorted(CODEC_CALLERS)),
        endpoint=st.sampled_from(["/codec/encode", "/codec/decode"]),
        body=st.sampled_from(sorted(bodies)),
        data=st.binary(max_size=80),
    )
    def run(caller: str, endpoint: str, body: str, data: bytes) -> None:
        call = Call.with_json("POST", endpoint, bodies[body](data), codec_headers(portal, caller, applicant))
        client = browsers.by_caller.get(caller)
        response = fuzzer.send_sync(call, PAYLOAD_FIELDS, client=client)
        expected = CODEC_CALLERS[caller]
        if expected == "ok":
            assert response.status_code in (200, 422), (caller, endpoint, body, response.text)
        else:
            assert str(response.status_code) == expected, (caller, endpoint, body, response.text)
            assert response.json()["detail"][0]["field"] == "authorization"

    try:
        await in_thread(run)
    finally:
        await browsers.close()
    assert fuzzer.statuses.get(401) and fuzzer.statuses.get(403) and fuzzer.statuses.get(200)


def sealed_meta(sealed: dict[str, Any]) -> dict[str, str]:
    return {key: value for key, value in sealed["metadata"].items() if key != "encoding"}


# --- the workbench's forms and pages --------------------------------------------------------------

FORM_FIELDS = (
    "task_id",
    "approve",
    "reason",
    "conditions",
    "to_officer",
    "note",
    "score",
    "comment",
    "satisfied",
    "reply",
    "materials",
    "csrf",
)
ACTIONS = (
    "opinion",
    "clock-stop",
    "clock-resume",
    "claim",
    "transfer",
    "urge",
    "rectification-reply",
    "return-visit",
    "rating",
    "withdrawal",
    "supplement",
    "no-such-form",
)


async def test_the_workbench_forms_signed_in_as_each_kind_of_user(
    portal: Portal, live: Live, licence_id: str
):
    fuzzer = Fuzzer(portal, "workbench forms and pages")
    applicant = portal.app.state.portal.applicants.token_for(live.review[0])
    browsers: dict[str, httpx.AsyncClient] = {}
    csrf: dict[str, str] = {}
    for who, token in (
        ("officer", portal.tokens["officer:highway"]),
        ("supervisor", portal.tokens["supervisor"]),
        ("applicant", applicant),
    ):
        browser = browsers[who] = workbench(portal)
        await sign_in(browser, token)
        csrf[who] = csrf_of((await browser.get("/workbench", follow_redirects=True)).text)
    browsers["nobody"] = workbench(portal)
    csrf["nobody"] = "none"
    case_ids = [live.review[0], live.review[1], "oversize-transport-NOPE", "a/b", "\u202e"]

    @settings(FUZZ, max_examples=80)
    @given(
        who=st.sampled_from(sorted(browsers)),
        action=st.sampled_from(ACTIONS),
        case_id=st.sampled_from(case_ids),
        fields=st.dictionaries(st.sampled_from(FORM_FIELDS[:-1]), TEXT, max_size=5),
        token=st.sampled_from(["right", "wrong", "missing"]),
        page=st.sampled_from(["form", "case", "licence", "home", "login"]),
    )
    def run(who: str, action: str, case_id: str, fields: dict[str, str], token: str, page: str) -> None:
        browser = browsers[who]
        if token != "missing":
            fields = {**fields, "csrf": csrf[who] if token == "right" else "x" * 43}
        form = _urlencode(fields)
        form_headers = {"content-type": "application/x-www-form-urlencoded"}
        sign_in_form = {"token": fields.get("reason", ""), "csrf": fields.get("csrf", "")}
        calls = {
            "form": Call("POST", f"/workbench/cases/{case_id}/{action}", form_headers, None, form.encode()),
            "case": Call("GET", f"/workbench/cases/{case_id}"),
            "licence": Call("GET", f"/workbench/cases/{case_id}/licences/{licence_id}"),
            "home": Call("GET", "/workbench"),
            "login": Call("POST", "/workbench/login", form_headers, None, _urlencode(sign_in_form).encode()),
        }
        fuzzer.send_sync(calls[page], client=browser, page=True)

    try:
        await in_thread(run)
    finally:
        for browser in browsers.values():
            await browser.aclose()
    assert fuzzer.statuses.get(303) and any(400 <= s < 500 for s in fuzzer.statuses)


def _urlencode(fields: dict[str, str]) -> str:
    """A browser's form encoding; a lone surrogate (no browser can send one) becomes U+FFFD."""
    return urlencode({k: v.encode("utf-8", "replace").decode("utf-8") for k, v in fields.items()})


# --- the licence: every credential fetches it, only the holder activates it --------------------------


async def test_only_the_holder_activates_whoever_else_fetches(portal: Portal, licence_id: str, live: Live):
    fuzzer = Fuzzer(portal, "licence fetch × every credential")
    async with portal.deps.sessions() as session:
        licence = await get_licence(session, licence_id)
    assert licence is not None
    holder = portal.app.state.portal.applicants.token_for(licence.case_id)
    others = [
        {},
        bearer("n" * 43),
        bearer(portal.app.state.portal.applicants.token_for(live.review[0])),
        {"authorization": f"Basic {portal.tokens['portal']}"},
        *(portal.auth(name) for name in sorted(portal.tokens)),
    ]

    @settings(FUZZ, max_examples=40)
    @given(headers=st.sampled_from(others), verification=st.booleans())
    def run(headers: dict[str, str], verification: bool) -> None:
        path = f"/api/v1/licences/{licence_id}" + ("/verification" if verification else "")
        response = fuzzer.send_sync(Call("GET", path, headers), {"licence_id"})
        assert response.status_code == 200, response.text

    await in_thread(run)
    async with portal.deps.sessions() as session:
        fetched = await get_licence(session, licence_id)
    assert fetched is not None and fetched.fetch_count > 0 and fetched.activated_at is None
    await fuzzer.send(Call("GET", f"/api/v1/licences/{licence_id}", bearer(holder)), {"licence_id"})
    async with portal.deps.sessions() as session:
        fetched = await get_licence(session, licence_id)
    assert fetched is not None and fetched.activated_at is not None


# --- canonical input, content types, resubmissions ----------------------------------------------------

# Full-width digits are made ASCII (the same phone, typed with a Chinese input method): not a probe.
NON_ASCII_DIGITS = st.characters(categories=["Nd"]).filter(
    lambda c: not c.isascii() and not "０" <= c <= "９"
)
HIDDEN = st.characters(categories=["Cc", "Cf"]).filter(lambda c: c not in "\t\n\r")
NOT_A_PROVINCE = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF).filter(
    lambda c: c not in PROVINCE_PLATE_PREFIXES
)


def _set(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(document))
    *parents, leaf = path.split(".")
    target = data
    for part in parents:
        target = target[part]
    target[leaf] = value
    return data


async def test_non_canonical_input_other_content_types_and_resubmissions(portal: Portal):
    fuzzer = Fuzzer(portal, "canonical input, content types, resubmissions")
    base = application(CLASS_III)
    first = await fuzzer.send(Call.with_json("POST", "/api/v1/cases", base, portal.auth("portal")))
    assert first.status_code == 202, first.text

    probes = st.one_of(
        st.tuples(st.just("agent.phone"), NON_ASCII_DIGITS.map(lambda d: "1380013800" + d)),
        st.tuples(st.just("agent.id_number"), NON_ASCII_DIGITS.map(lambda d: d + "1010519491231002X")),
        st.tuples(st.sampled_from(["tractor_plate", "trailer_plate"]), NOT_A_PROVINCE.map("{}AD1234".format)),
        st.tuples(st.just("agent.name"), st.text(HIDDEN, min_size=1, max_size=6)),
    )  # fmt: skip

    @settings(FUZZ, max_examples=40)
    @given(
        probe=probes,
        content_type=st.sampled_from(
            ["application/json", "text/plain", "application/x-www-form-urlencoded", "application/xml",
             "multipart/form-data; boundary=x", ""]
        ),
        resubmit=st.booleans(),
    )  # fmt: skip
    def run(probe: tuple[str, str], content_type: str, resubmit: bool) -> None:
        field, value = probe
        document = _set(base, field, value)
        if not resubmit:
            document["submission_id"] = f"{base['submission_id']}-{abs(hash((field, value))) % 10**9}"
        headers = {**portal.auth("portal"), "content-type": content_type}
        call = Call("POST", "/api/v1/cases", headers, None, json.dumps(document).encode())
        response = fuzzer.send_sync(call, {"content-type", "submission_id", "agent", "request"})
        named = [p["field"] for p in response.json()["detail"]] if response.status_code >= 400 else []
        if content_type != "application/json":
            assert response.status_code == 415 and named == ["content-type"], response.text
        else:  # canonical checks first: a resubmission of a refused body is refused for its field
            assert response.status_code in (409, 422), response.text
            assert field in named or "submission_id" in named, response.text

    await in_thread(run)
    # The first body again is the same case; another body under its id is 409 naming submission_id.
    again = await fuzzer.send(Call.with_json("POST", "/api/v1/cases", base, portal.auth("portal")))
    assert again.status_code == 200, again.text
    other = _set(base, "request.cargo.name", "另一件货物")
    clash = await fuzzer.send(
        Call.with_json("POST", "/api/v1/cases", other, portal.auth("portal")), {"submission_id"}
    )
    assert clash.status_code == 409 and clash.json()["detail"][0]["field"] == "submission_id"
