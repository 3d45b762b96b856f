"""The codec endpoint authenticates every caller: a bearer token, or the short-lived credential of a
signed-in officer's or auditor's workbench session. An Origin header is no credential: any process on
the machine can write one (the probe that found this decoded a submission with nothing else).

No worker and no Temporal here: the codec needs only the app, its keys and its sessions.
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

import portal.workbench.sessions as sessions
from codec import codec_from_env
from portal.app import create_app
from tests.portal.conftest import bearer, dev_tokens, portal_config, portal_settings

UI = "http://127.0.0.1:8233"
SECRET = b'{"agent": {"name": "\xe6\xb5\x8b\xe8\xaf\x95\xe7\xbb\x8f\xe5\x8a\x9e\xe4\xba\xba\xe7\x94\xb2"}}'


@pytest_asyncio.fixture
async def app_and_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str], dict[str, object]]]:
    monkeypatch.setenv("ONETHING_UI_ORIGINS", UI)
    monkeypatch.setenv("ONETHING_CODEC_TRUST_UI", "1")  # the switch of old: it must open nothing now
    tokens = dev_tokens(tmp_path)
    codec = codec_from_env({}, tmp_path)
    [sealed] = await codec.encode([Payload(metadata={"encoding": b"json/plain"}, data=SECRET)])
    encrypted = json_format.MessageToDict(Payloads(payloads=[sealed]))
    app = create_app(portal_settings(tmp_path, "q"), config=portal_config(tmp_path), codec=codec)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as http:
        yield http, tokens, encrypted


async def sign_in(http: httpx.AsyncClient, token: str) -> httpx.Response:
    form = await http.get("/workbench/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    return await http.post("/workbench/login", data={"csrf": csrf.group(1), "token": token})


def decoded(response: httpx.Response) -> bytes:
    assert response.status_code == 200, response.text
    return base64.b64decode(response.json()["payloads"][0]["data"])


async def test_the_ui_origin_alone_decodes_and_encodes_nothing(app_and_tokens):
    http, _, encrypted = app_and_tokens
    for path in ("/codec/decode", "/codec/encode"):
        response = await http.post(path, json=encrypted, headers={"Origin": UI, "X-Namespace": "default"})
        assert response.status_code == 401, response.text
        assert response.json()["detail"][0]["field"] == "authorization"
        assert "测试经办人甲" not in response.text


async def test_cors_still_lets_the_ui_page_read_an_authenticated_answer(app_and_tokens):
    http, tokens, encrypted = app_and_tokens
    preflight = await http.options(
        "/codec/decode",
        headers={
            "Origin": UI,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.headers["access-control-allow-origin"] == UI
    assert preflight.headers["access-control-allow-credentials"] == "true"
    response = await http.post(
        "/codec/decode", json=encrypted, headers={"Origin": UI, **bearer(tokens["auditor"])}
    )
    assert decoded(response) == SECRET


async def test_a_signed_in_officer_session_carries_a_short_lived_codec_credential(
    app_and_tokens, monkeypatch: pytest.MonkeyPatch
):
    http, tokens, encrypted = app_and_tokens
    signed = await sign_in(http, tokens["officer:highway"])
    assert signed.status_code == 303
    cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith("onething_codec="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/codec" in cookie
    assert f"Max-Age={sessions.CODEC_SECONDS}" in cookie
    assert decoded(await http.post("/codec/decode", json=encrypted, headers={"Origin": UI})) == SECRET

    # Short-lived: past its quarter of an hour it opens nothing, although the session itself lasts.
    later = sessions.time.monotonic() + sessions.CODEC_SECONDS + 1
    monkeypatch.setattr(sessions.time, "monotonic", lambda: later)
    assert (await http.post("/codec/decode", json=encrypted)).status_code == 401


async def test_signing_out_ends_the_codec_credential(app_and_tokens):
    http, tokens, encrypted = app_and_tokens
    signed = await sign_in(http, tokens["auditor"])
    credential = http.cookies.get("onething_codec", path="/codec")
    assert credential
    page = await http.get(signed.headers["location"], follow_redirects=False)
    session = http._transport.app.state.workbench_sessions  # type: ignore[attr-defined]
    [open_session] = session._by_id.values()
    assert (await http.post("/workbench/logout", data={"csrf": open_session.csrf})).status_code == 303, (
        page.text
    )
    http.cookies.set("onething_codec", credential, path="/codec")  # a copy kept after signing out
    assert (await http.post("/codec/decode", json=encrypted)).status_code == 401


@pytest.mark.parametrize("caller", ["supervisor", "portal"])
async def test_a_session_of_someone_who_may_not_read_payloads_gets_no_codec_credential(
    app_and_tokens, caller: str
):
    http, tokens, encrypted = app_and_tokens
    await sign_in(http, tokens[caller])
    assert http.cookies.get("onething_codec", path="/codec") is None
    assert (await http.post("/codec/decode", json=encrypted)).status_code == 401


async def test_a_made_up_codec_cookie_is_401(app_and_tokens):
    http, _, encrypted = app_and_tokens
    http.cookies.set("onething_codec", "x" * 43, path="/codec")
    assert (await http.post("/codec/decode", json=encrypted)).status_code == 401
