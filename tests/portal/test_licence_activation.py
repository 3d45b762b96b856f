"""激活 over HTTP: only the holder's own fetch activates a licence (issue 17).

The holder is the applicant of the licence's case, known by that case's applicant token (API, CLI) or
signed-in applicant session (workbench). A verification, an anonymous fetch (a checkpoint, anybody who
read the identifier), an officer's fetch and another case's applicant are not the holder. And two
cases' licence identifiers share no pattern a caller could derive the next one from.
"""

from __future__ import annotations

from datetime import datetime

from domain.licence import parse_licence_identifier
from store.licences import IssuedLicence, get_licence
from tests.factories import CLASS_I
from tests.portal.conftest import Portal, application, bearer
from tests.portal.test_workbench import sign_in, workbench


async def approved_licence(portal: Portal) -> tuple[str, str, str]:
    """(case id, applicant token, licence id) of a class I case approved by rules."""
    case = await portal.submit(application(CLASS_I))
    status = await portal.wait_for(case["case_id"], case["applicant_token"], outcome="approved")
    [licence_id] = status["licence_ids"]
    return case["case_id"], case["applicant_token"], licence_id


async def stored(portal: Portal, licence_id: str) -> IssuedLicence:
    async with portal.deps.sessions() as session:
        licence = await get_licence(session, licence_id)
    assert licence is not None
    return licence


async def fetch(portal: Portal, licence_id: str, headers: dict[str, str] | None = None) -> None:
    response = await portal.http.get(f"/api/v1/licences/{licence_id}", headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.json()["identifier"] == licence_id


async def test_only_the_holders_own_fetch_activates_the_licence(portal: Portal):
    _, holder_token, licence_id = await approved_licence(portal)
    _, other_applicant, other_licence = await approved_licence(portal)

    assert (await portal.http.get(f"/api/v1/licences/{licence_id}/verification")).status_code == 200
    await fetch(portal, licence_id)  # a checkpoint, or anybody who read the identifier
    await fetch(portal, licence_id, portal.auth("officer:highway"))
    await fetch(portal, licence_id, bearer(other_applicant))  # another case's applicant
    await fetch(portal, licence_id, bearer("not-a-token-of-ours"))  # public: no 401, no activation
    before = await stored(portal, licence_id)
    assert (before.fetch_count, before.activated_at) == (4, None)
    assert before.first_fetched_at is not None

    await fetch(portal, licence_id, bearer(holder_token))
    await fetch(portal, licence_id, bearer(holder_token))
    after = await stored(portal, licence_id)
    assert after.fetch_count == 6
    assert isinstance(after.activated_at, datetime) and after.activated_at >= before.first_fetched_at
    first_activation = after.activated_at
    await fetch(portal, licence_id, bearer(holder_token))
    assert (await stored(portal, licence_id)).activated_at == first_activation  # the first one stays

    assert (await stored(portal, other_licence)).activated_at is None  # untouched by all of the above


async def test_the_applicants_workbench_fetch_activates_and_a_staff_sessions_does_not(portal: Portal):
    case_id, holder_token, licence_id = await approved_licence(portal)
    other_case, other_token, _ = await approved_licence(portal)
    path = f"/workbench/cases/{case_id}/licences/{licence_id}"

    async with workbench(portal) as officer:
        await sign_in(officer, portal.tokens["officer:highway"])
        page = await officer.get(f"/workbench/cases/{case_id}")
        assert path in page.text  # the case page links the licence through the workbench
        response = await officer.get(path)
        assert response.status_code == 200 and response.json()["identifier"] == licence_id
    assert (await stored(portal, licence_id)).activated_at is None

    async with workbench(portal) as stranger:
        await sign_in(stranger, other_token)
        assert (await stranger.get(path)).status_code == 403  # another case's applicant
        # Its own case, with a licence that is not that case's: not found there.
        assert (await stranger.get(f"/workbench/cases/{other_case}/licences/{licence_id}")).status_code == 404
    async with workbench(portal) as nobody:
        assert (await nobody.get(path)).headers["location"] == "/workbench/login"
    assert (await stored(portal, licence_id)).activated_at is None

    async with workbench(portal) as holder:
        await sign_in(holder, holder_token)
        response = await holder.get(path)
        assert response.status_code == 200 and response.json()["identifier"] == licence_id
    assert (await stored(portal, licence_id)).activated_at is not None


async def test_two_cases_licence_identifiers_share_no_derivable_pattern(portal: Portal):
    """Submission ids are guessable; the serials of their licences are keyed (domain/licence.py): no
    common digits at the start or the end, no common readable number, nothing but the issuer's shape."""
    _, _, first = await approved_licence(portal)
    _, _, second = await approved_licence(portal)
    a, b = parse_licence_identifier(first), parse_licence_identifier(second)
    assert (a.type_code, a.issuer_code, a.version) == (b.type_code, b.issuer_code, b.version)
    assert a.serial != b.serial
    # 20 random digits each: the chance of sharing the first or last 4 is 2 × 10⁻⁴.
    assert a.serial[:4] != b.serial[:4] and a.serial[-4:] != b.serial[-4:]
    difference = abs(int(a.serial) - int(b.serial))
    assert difference > 10**12  # not neighbours in a sequence
