"""What a schema cannot say about bad input: injection strings in every text field, deep nesting, bodies
over the size limit, unknown matters, forged codec payloads. No 5xx, and every 4xx names its field.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.case import hidden_character
from tests.factories import CLASS_I, CLASS_III
from tests.polling import eventually
from tests.portal.conftest import Portal, application, bearer
from tests.security.conftest import Live
from tests.security.fuzz import FUZZ, INJECTIONS, Call, Fuzzer, in_thread, input_names
from workflows.matters import MATTERS

CASES = "/api/v1/cases"

TEXT_FIELDS_OF_A_SUBMISSION: tuple[tuple[str | int, ...], ...] = (
    ("submission_id",),
    ("carrier_code",),
    ("agent", "name"),
    ("agent", "id_number"),
    ("agent", "phone"),
    ("tractor_plate",),
    ("trailer_plate",),
    ("driver_qualification",),
    ("request", "cargo", "name"),
    ("route", 0, "road"),
    ("route", 0, "from"),
    ("route", 0, "to"),
    ("route", 0, "province"),
    ("materials", 0),
)
# Free text the portal keeps as given (the others have a shape to check: codes, plates, IDs, phone).
FREE_TEXT = (
    ("agent", "name"),
    ("driver_qualification",),
    ("request", "cargo", "name"),
    ("route", 0, "road"),
    ("route", 0, "from"),
    ("route", 0, "to"),
    ("route", 0, "province"),
    ("materials", 0),
)
# Invalid in the documents of the first loop, so that an injection string the schema takes starts no case.
SPOILER = ("request", "loaded", "height_m")


def with_value(document: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    target: Any = document
    for part in path[:-1]:
        target = target[part]
    last = path[-1]
    if isinstance(last, int) and isinstance(target, list) and len(target) <= last:
        target.append(value)
    else:
        target[last] = value
    return document


def dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path)


def template(path: str) -> str:
    return "/".join("{case_id}" if p.startswith("oversize-transport-") else p for p in path.split("/"))


async def test_injection_strings_in_every_text_field(portal: Portal, live: Live):
    """Each injection string in each text field of each body: a 4xx naming that field, or taken as text."""
    fuzzer = Fuzzer(portal, "injection strings in every text field")
    openapi = portal.app.openapi()
    submit_fields = input_names(openapi, CASES, "post")
    portal_token = portal.auth("portal")
    for path in TEXT_FIELDS_OF_A_SUBMISSION:
        for payload in INJECTIONS:
            document = with_value(with_value(application(CLASS_I), SPOILER, -1), path, payload)
            response = await fuzzer.send(Call.with_json("POST", CASES, document, portal_token), submit_fields)
            assert response.status_code in (413, 422), (dotted(path), payload, response.text)
            named = {p["field"] for p in response.json()["detail"]}
            assert named <= {dotted(path), dotted(SPOILER)} or named == {"body"}, (
                dotted(path),
                payload,
                named,
            )

    # What the schema takes, in every free-text field at once: one case per string, stored and shown as text.
    accepted = []
    for payload in INJECTIONS:
        document = application(CLASS_I)
        for path in FREE_TEXT:
            with_value(document, path, payload)
        response = await fuzzer.send(Call.with_json("POST", CASES, document, portal_token), submit_fields)
        if response.status_code == 202:
            accepted.append(response.json()["case_id"])
        elif hidden_character(payload):  # control and format characters are refused, each field named
            assert response.status_code == 422, (payload, response.text)
            named = {p["field"] for p in response.json()["detail"]}
            assert {dotted(path) for path in FREE_TEXT} <= named, (payload, named)
    assert len(accepted) >= 3, "too few injection strings reached a case to prove anything about storage"

    officer_fields = input_names(openapi, f"{CASES}/{{case_id}}/opinions", "post")
    officer = portal.auth("officer:highway")
    applicant = bearer(portal.app.state.portal.applicants.token_for(live.review[1]))
    for payload in INJECTIONS:
        for body in (
            {"task_id": payload, "approve": True},
            {"task_id": "review:nobody", "approve": False, "reason": payload},
            {"task_id": "review:nobody", "approve": True, "conditions": [payload]},
        ):
            call = Call.with_json("POST", f"{CASES}/{live.review[0]}/opinions", body, officer)
            await fuzzer.send(call, officer_fields)
        for path, body in (
            (f"{CASES}/{live.review[1]}/supplements", {"materials": [payload]}),
            (f"{CASES}/{live.review[1]}/supplements", {"tractor_plate": payload}),
            (f"{CASES}/{live.review[1]}/withdrawal", {"reason": payload}),
        ):
            await fuzzer.send(
                Call.with_json("POST", path, body, applicant), input_names(openapi, template(path), "post")
            )
        in_url = quote(
            payload[:2000], safe="", errors="surrogatepass"
        )  # a URL's length has a limit of its own
        for path in (f"{CASES}/{in_url}", f"/api/v1/licences/{in_url}"):
            await fuzzer.send(Call("GET", path, portal.auth("auditor")), {"case_id", "licence_id"})
        audit = f"/audit.json?from={in_url}"
        await fuzzer.send(Call("GET", audit, portal.auth("auditor")), {"from", "to"})

    # An officer refuses with markup as the reason; the cases above carry markup in every free-text field.
    refusal = {"task_id": "review:highway", "approve": False, "reason": "<script>alert(1)</script>"}
    call = Call.with_json("POST", f"{CASES}/{live.review[0]}/opinions", refusal, officer)
    assert (await fuzzer.send(call, officer_fields)).status_code == 200
    for case_id in accepted:  # each has been through pre-fill, acceptance and the ledger, and answers
        token = portal.app.state.portal.applicants.token_for(case_id)

        async def assessed(case_id: str = case_id, token: str = token) -> bool:
            return (await portal.status(case_id, token))["permit_class"] is not None

        await eventually(assessed)
    page = await fuzzer.send(Call("GET", "/audit", portal.auth("auditor")), {"from", "to"})
    assert page.status_code == 200
    for markup in ("<script>", "<img src=x", "onerror=alert"):
        assert markup not in page.text, "the audit page shows submitted text as markup"


def nested(depth: int, kind: str) -> bytes:
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


def body_endpoints(portal: Portal, live: Live) -> list[tuple[str, dict[str, str]]]:
    """Every endpoint that takes a body, with a token that reaches its handler."""
    applicant = bearer(portal.app.state.portal.applicants.token_for(live.review[1]))
    return [
        (CASES, portal.auth("portal")),
        (f"{CASES}/{live.review[0]}/opinions", portal.auth("officer:highway")),
        (f"{CASES}/{live.review[1]}/supplements", applicant),
        (f"{CASES}/{live.review[1]}/withdrawal", applicant),
        ("/codec/encode", portal.auth("officer:police")),
        ("/codec/decode", portal.auth("auditor")),
    ]


async def test_deeply_nested_and_malformed_json_bodies(portal: Portal, live: Live):
    """Nesting from 1 to 100,000 levels, at the top or under a field, and bytes that are no JSON at all."""
    fuzzer = Fuzzer(portal, "deep nesting and malformed JSON")
    openapi = portal.app.openapi()
    endpoints = [
        (path, headers, input_names(openapi, template(path), "post"))
        for path, headers in body_endpoints(portal, live)
    ]
    depth = st.one_of(st.integers(1, 64), st.integers(900, 1100), st.integers(20_000, 100_000))
    placement = st.sampled_from([None, "reason", "materials", "payloads", "task_id", "agent"])
    raw = st.one_of(
        st.binary(max_size=64), st.sampled_from([b"", b"null", b"{", b'{"a":}', b"\xff\xfe{}", b"1e999"])
    )

    @settings(FUZZ, max_examples=40)
    @given(
        endpoint=st.sampled_from(endpoints),
        depth=depth,
        kind=st.sampled_from(["array", "object"]),
        where=placement,
        junk=raw,
    )
    def run(endpoint: Any, depth: int, kind: str, where: str | None, junk: bytes) -> None:
        path, headers, fields = endpoint
        deep = nested(depth, kind)
        body = deep if where is None else b'{"' + where.encode() + b'":' + deep + b"}"
        json_headers = {**headers, "content-type": "application/json"}
        fuzzer.send_sync(Call("POST", path, json_headers, None, body), fields)
        fuzzer.send_sync(Call("POST", path, json_headers, None, junk), fields)

    await in_thread(run)


async def test_bodies_over_the_limit_are_413_and_start_nothing(portal: Portal, live: Live):
    """By Content-Length, and streamed without one (chunked): 413 naming the body, before any handler."""
    fuzzer = Fuzzer(portal, "bodies over the size limit")
    limit = portal.app.state.portal.config.max_body_bytes
    for path, headers in body_endpoints(portal, live):
        for size in (limit + 1, 2 * limit, 16 * limit):
            document = application(CLASS_I, materials=["x" * size])
            body = json.dumps(document).encode()
            call = Call("POST", path, {**headers, "content-type": "application/json"}, None, body)
            declared = await fuzzer.send(call)
            assert declared.status_code == 413, (path, size, declared.text)
            assert declared.json()["detail"][0]["field"] == "body"

            call = Call("POST", path, {**headers, "content-type": "application/json"}, None, body)
            streamed = await fuzzer.send(call, streamed=True)
            assert streamed.status_code == 413, (path, size, streamed.text)
            assert streamed.json() == declared.json()
            assert not await portal.exists(f"oversize-transport-{document['submission_id']}")


async def test_unknown_matters_are_named(portal: Portal):
    """A `matter` that is not a string we know, of any JSON type: 422 on `matter`; an unknown case id: 404."""
    fuzzer = Fuzzer(portal, "unknown matters")
    known = set(input_names(portal.app.openapi(), CASES, "post"))
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=80),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=8,
    )

    @settings(FUZZ, max_examples=60)
    @given(
        matter=json_values.filter(lambda m: not (isinstance(m, str) and m in MATTERS)),
        case_id=st.text(min_size=1, max_size=80),
    )
    def run(matter: Any, case_id: str) -> None:
        document = application(CLASS_I, matter=matter)
        call = Call.with_json("POST", CASES, document, portal.auth("portal"))
        response = fuzzer.send_sync(call, known)
        assert response.status_code == 422
        assert [p["field"] for p in response.json()["detail"]] == ["matter"], response.text
        unknown = f"no-such-matter-{case_id}"
        token = portal.app.state.portal.applicants.token_for(unknown)
        response = fuzzer.send_sync(
            Call("GET", f"{CASES}/{quote(unknown, safe='')}", bearer(token)), {"case_id"}
        )
        assert response.status_code == 404 or response.json()["detail"][0]["field"] == "path", response.text

    await in_thread(run)


async def test_forged_codec_payloads_are_422(portal: Portal):
    """Payloads that claim our encryption, with our key id or another, and any bytes: 422 on `payloads`."""
    fuzzer = Fuzzer(portal, "forged codec payloads")
    officer = {**portal.auth("officer:police"), "content-type": "application/json"}
    plain = {
        "payloads": [{"metadata": {"encoding": base64.b64encode(b"json/plain").decode()}, "data": "e30="}]
    }
    sealed = await fuzzer.send(
        Call("POST", "/codec/encode", officer, None, json.dumps(plain).encode()), {"payloads"}
    )
    assert sealed.status_code == 200, sealed.text
    [ours] = sealed.json()["payloads"]
    our_key_id = base64.b64decode(ours["metadata"]["encryption-key-id"])
    round_trip = await fuzzer.send(Call("POST", "/codec/decode", officer, None, sealed.content), {"payloads"})
    assert round_trip.json() == plain

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    @settings(FUZZ, max_examples=60)
    @given(
        key_id=st.one_of(st.just(our_key_id), st.binary(max_size=24)),
        encoding=st.one_of(st.just(b"binary/encrypted"), st.binary(max_size=20)),
        data=st.one_of(st.binary(max_size=80), st.just(base64.b64decode(ours["data"])[:-1])),
        flip=st.integers(0, 79),
    )
    def run(key_id: bytes, encoding: bytes, data: bytes, flip: int) -> None:
        if data and flip < len(data):
            data = data[:flip] + bytes([data[flip] ^ 1]) + data[flip + 1 :]
        payload = {
            "metadata": {"encoding": b64(encoding), "encryption-key-id": b64(key_id)},
            "data": b64(data),
        }
        call = Call("POST", "/codec/decode", officer, None, json.dumps({"payloads": [payload]}).encode())
        response = fuzzer.send_sync(call, {"payloads"})
        if encoding == b"binary/encrypted":
            assert response.status_code == 422, response.text

    await in_thread(run)


async def test_a_bad_correction_in_a_supplement_is_422_on_its_field(portal: Portal):
    case = await portal.submit(application(CLASS_III, materials=["车货外廓尺寸图"]))  # no escort plan: 补正
    await portal.wait_for(case["case_id"], case["applicant_token"], stage="supplement")
    url = f"{CASES}/{case['case_id']}/supplements"
    response = await portal.http.post(
        url, json={"tractor_plate": "XX-0000"}, headers=bearer(case["applicant_token"])
    )
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert problem["field"] == "tractor_plate"
    assert "XX-0000" not in problem["message"], "the answer echoes the input"


async def test_a_trailing_slash_is_404_on_the_path_not_a_redirect(portal: Portal):
    """Found by the unknown-matters fuzzing: a case id ending in "/" (decoded from %2F) got a 307 with
    an empty body. Every path the API does not serve is a 404 that names `path`."""
    case = f"{CASES}/oversize-transport-X"
    for path in (f"{CASES}/", f"{case}/", f"{case}%2F", "/audit/"):
        response = await portal.http.get(path, headers=portal.auth("auditor"))
        assert response.status_code == 404, (path, response.status_code, response.headers)
        assert response.json()["detail"][0]["field"] == "path", response.text
