"""issue_licence: one sealed licence and one set of outbox messages per (case, key), retries included."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.licensing import IssuedLicenceRef, issue_licence, serial_key_of
from bootstrap import deps as deps_module
from bootstrap.deps import Deps, build_deps, configure, current, dispose
from bootstrap.issuer import SAMPLE_ISSUER_CODE, SAMPLE_MAIN_CORRIDORS, Issuer, issuer_from_env
from domain.licence import (
    CheckpointPush,
    LicenceCatalogue,
    LicenceGrant,
    parse_licence_identifier,
    serial_for,
)
from seal.sm2 import PRIVATE_KEY_ENV, generate_key, verify_licence
from settings import Settings
from store.licences import IssuedLicence, get_licence, seal_digest
from store.outbox import OutboxMessage, list_messages
from store.schema import LicenceRow
from workflows.matters import MATTERS

CASE = "oversize-transport-SUB-0001"
CARRIER = "91430100MA4L00001J"


def request(
    *, case_id: str = CASE, key: str = "permit", notice: dict[str, Any] | None = None, **changes: Any
) -> LicenceGrant:
    fields: dict[str, Any] = {
        "case_id": case_id,
        "licence_key": key,
        "matter": "oversize-transport",
        "type_name": "超限运输车辆通行证",
        "holder": "长沙示例重型物流有限公司",
        "holder_code": CARRIER,
        "valid_from": date(2026, 3, 10),
        "valid_to": date(2026, 3, 24),
        "particulars": {"vehicle": ["湘AD1234", "湘A1234挂"], "route": "G4 长沙 → G60 醴陵", "class": "II"},
        "checkpoints": [
            CheckpointPush(road="G4", from_="长沙", to="株洲", province="湖南"),
            CheckpointPush(road="G60", from_="株洲", to="醴陵", province="湖南"),
        ],
        "notice": {"template": "licence_issued"} if notice is None else notice,
    }
    return LicenceGrant(**(fields | changes))


async def issue(inp: LicenceGrant) -> IssuedLicenceRef:
    ref: IssuedLicenceRef = await ActivityEnvironment().run(issue_licence, inp)
    return ref


async def licences(deps: Deps) -> list[IssuedLicence]:
    async with deps.sessions() as session:
        ids = list(await session.scalars(sa.select(LicenceRow.licence_id)))
        found = [await get_licence(session, licence_id) for licence_id in ids]
    return [licence for licence in found if licence is not None]


async def messages(deps: Deps) -> list[OutboxMessage]:
    async with deps.sessions() as session:
        return await list_messages(session)


async def test_issuing_twice_stores_one_sealed_licence_and_one_set_of_messages(db_deps: Deps):
    first = await issue(request())
    again = await issue(request())

    assert first.created is True
    assert again.created is False
    assert (again.licence_id, again.number) == (first.licence_id, first.number)

    [stored] = await licences(db_deps)
    assert stored.licence_id == first.licence_id
    assert [m.idempotency_key for m in await messages(db_deps)] == [
        f"{CASE}:permit:归集",
        f"{CASE}:permit:checkpoint:0",
        f"{CASE}:permit:checkpoint:1",
        f"{CASE}:permit:notice",
    ]

    reasons = verify_licence(stored.signed_data, stored.signature, stored.public_key, today=date(2026, 3, 10))
    assert reasons == []
    assert stored.public_key == db_deps.seal_key.public_key_hex


async def test_the_seal_verdict_is_stored_with_a_digest_of_what_was_sealed(deps: Deps):
    """What the audit reads instead of verifying the seal again (issue 18)."""
    ref = await issue(request())
    async with deps.sessions() as session:
        row = await session.get(LicenceRow, ref.licence_id)
    assert row is not None
    assert row.seal_valid is True
    assert row.sealed_sha256 == seal_digest(row.public_key, row.signed_data, row.signature)


async def test_the_catalogue_record(deps: Deps):
    ref = await issue(request())
    [stored] = await licences(deps)
    catalogue = LicenceCatalogue.model_validate_json(stored.signed_data)

    parsed = parse_licence_identifier(ref.licence_id)
    assert parsed.type_code == "DJYSXK01" == catalogue.type_code == stored.type_code
    assert parsed.issuer_code == SAMPLE_ISSUER_CODE == catalogue.issuer_code
    assert parsed.serial == serial_for(CASE, "permit", serial_key_of(deps.seal_key))
    assert parsed.version == 1 == catalogue.version
    assert catalogue.identifier == ref.licence_id
    assert catalogue.number == ref.number == f"湘超限{parsed.serial[-12:]}"
    assert catalogue.file_url == f"https://licence.example.invalid/onething/{ref.licence_id}"
    assert catalogue.related_matter == "oversize-transport"
    assert catalogue.holder_code_type.value == "unified_social_credit_code"
    assert catalogue.jurisdiction_code == "430000"
    assert catalogue.status.value == "valid"
    assert (catalogue.valid_from, catalogue.valid_to) == (date(2026, 3, 10), date(2026, 3, 24))
    assert catalogue.particulars["vehicle"] == ["湘AD1234", "湘A1234挂"]
    assert stored.payload == catalogue.model_dump(mode="json")


async def test_the_outbox_payloads(deps: Deps):
    ref = await issue(request(notice={"template": "licence_issued", "recipient": "applicant"}))
    repository, checkpoint, _, notice = await messages(deps)

    assert repository.destination == "licence_repository"
    assert repository.payload["licence_id"] == ref.licence_id
    assert repository.payload["catalogue"]["identifier"] == ref.licence_id
    assert repository.payload["signature_algorithm"] == "1.2.156.10197.1.501"

    assert checkpoint.destination == "checkpoint"
    assert checkpoint.payload == {
        "licence_id": ref.licence_id,
        "number": ref.number,
        "road": "G4",
        "from": "长沙",
        "to": "株洲",
        "province": "湖南",
        "valid_from": "2026-03-10",
        "valid_to": "2026-03-24",
    }

    assert notice.destination == "notice"
    assert notice.payload["template"] == "licence_issued"
    assert notice.payload["licence_id"] == ref.licence_id
    assert notice.payload["recipient"] == "applicant"


async def test_a_changed_byte_breaks_the_seal(deps: Deps):
    await issue(request())
    [stored] = await licences(deps)
    tampered = bytearray(stored.signed_data)
    at = tampered.index(b"2026-03-24")
    tampered[at + 9] = ord("5")  # valid_to 2026-03-24 → 2026-03-25
    reasons = verify_licence(bytes(tampered), stored.signature, stored.public_key, today=date(2026, 3, 10))
    assert "seal signature does not verify (SM2 with SM3)" in reasons

    bad_signature = bytearray(stored.signature)
    bad_signature[-1] ^= 0x01
    reasons = verify_licence(
        stored.signed_data, bytes(bad_signature), stored.public_key, today=date(2026, 3, 10)
    )
    assert reasons == ["seal signature does not verify (SM2 with SM3)"]


class CommitThenFail:
    """Sessions whose next transaction commits and then raises: the worker died before replying."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.failures = 1

    def __call__(self) -> AsyncSession:
        return self.sessions()

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions.begin() as session:
            yield session
        if self.failures:
            self.failures -= 1
            raise ConnectionResetError("connection lost after COMMIT")


async def test_a_retry_after_a_crash_past_the_commit_issues_nothing_new(deps: Deps):
    flaky = CommitThenFail(deps.sessions)
    configure(dataclasses.replace(deps, sessions=flaky))  # type: ignore[arg-type]

    with pytest.raises(ConnectionResetError):
        await issue(request())
    assert flaky.failures == 0
    retried = await issue(request())

    assert retried.created is False
    [stored] = await licences(deps)
    assert retried.licence_id == stored.licence_id
    assert len(await messages(deps)) == 4


async def test_no_checkpoints_and_no_notice_queue_only_the_repository_push(deps: Deps):
    await issue(request(checkpoints=[], notice={}).model_copy(update={"notice": None}))
    assert [m.destination for m in await messages(deps)] == ["licence_repository"]


async def test_each_licence_key_of_a_case_is_its_own_licence(deps: Deps):
    permit = await issue(request(key="permit"))
    escort = await issue(request(key="escort"))
    other_case = await issue(request(case_id="oversize-transport-SUB-0002"))
    assert len({permit.licence_id, escort.licence_id, other_case.licence_id}) == 3
    assert len(await licences(deps)) == 3
    assert len(await messages(deps)) == 12


async def test_open_transport_business_uses_its_own_type_code(deps: Deps):
    ref = await issue(
        request(key="certificate:湘AD1234", matter="open-transport-business", type_name="道路运输证")
    )
    assert parse_licence_identifier(ref.licence_id).type_code == "DLYSXK01"
    assert ref.number.startswith("湘交运")


async def test_a_second_licence_type_of_the_same_matter_has_its_own_type_code_and_number(deps: Deps):
    licence = await issue(
        request(key="operating-licence", matter="open-transport-business", type_name="道路运输经营许可证")
    )
    certificate = await issue(
        request(
            key="certificate:湘AH1001",
            matter="open-transport-business",
            type_name="道路运输证",
            licence_type="road-transport-certificate",
        )
    )
    assert parse_licence_identifier(licence.licence_id).type_code == "DLYSXK01"
    assert parse_licence_identifier(certificate.licence_id).type_code == "DLYSZ01"
    assert certificate.number.startswith("湘交运证") and not licence.number.startswith("湘交运证")


async def test_an_unknown_matter_fails_for_good(deps: Deps):
    with pytest.raises(ApplicationError) as caught:
        await issue(request(matter="no-such-matter"))
    assert (caught.value.type, caught.value.non_retryable) == ("UnknownLicenceType", True)
    assert await licences(deps) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"holder_code": "91430100MA4L00001X"},  # wrong check character
        {"valid_from": date(2026, 3, 25)},  # after valid_to
        {"holder": "  "},
    ],
)
async def test_a_record_failing_the_catalogue_checks_is_never_sealed(deps: Deps, changes: dict[str, Any]):
    with pytest.raises(ApplicationError) as caught:
        await issue(request(**changes))
    assert (caught.value.type, caught.value.non_retryable) == ("InvalidLicence", True)
    assert await licences(deps) == []
    assert await messages(deps) == []


# --- configuration ----------------------------------------------------------------------------------


def test_current_without_configure_says_what_to_do():
    previous = deps_module._current
    configure(None)
    try:
        with pytest.raises(RuntimeError, match="configure"):
            current()
    finally:
        configure(previous)


async def test_build_deps_with_sample_defaults(tmp_path: Path):
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'data' / 'onething.db'}",
        temporal_address="localhost:7233",
        temporal_namespace="default",
        task_queue="test",
    )
    built = await build_deps(settings, env={}, licence_kinds=MATTERS.licence_kinds)
    try:
        assert (tmp_path / "data" / "seal-dev-key.json").exists()
        assert built.issuer.name == "湖南省交通运输厅（示例）"
        assert built.issuer.code == SAMPLE_ISSUER_CODE
        assert built.issuer.licence_type_codes["oversize-transport"] == "DJYSXK01"
        assert built.main_corridors == SAMPLE_MAIN_CORRIDORS
        async with built.sessions() as session:  # migrated
            assert await session.scalar(sa.select(sa.func.count()).select_from(LicenceRow)) == 0
    finally:
        await dispose(built)

    key = generate_key()
    env = {
        PRIVATE_KEY_ENV: key.private_key_hex,
        "ONETHING_ISSUER_NAME": "某某厅",
        "ONETHING_LICENCE_TYPE_CODES": "oversize-transport=abc123, new-matter=XYZ",
        "ONETHING_MAIN_CORRIDORS": "g4, G60,,G4",
        "ONETHING_LICENCE_FILE_URL_BASE": "https://files.example.invalid/l/",
    }
    configured = await build_deps(settings, env=env, licence_kinds=MATTERS.licence_kinds)
    try:
        assert configured.seal_key == key
        assert configured.issuer.name == "某某厅"
        assert configured.issuer.licence_type_codes == {
            "oversize-transport": "ABC123",
            "open-transport-business": "DLYSXK01",
            "road-transport-certificate": "DLYSZ01",
            "new-matter": "XYZ",
        }
        assert configured.main_corridors == ("G4", "G60")
        assert configured.issuer.file_url_base == "https://files.example.invalid/l"
    finally:
        await dispose(configured)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ONETHING_ISSUER_CODE": "11430000MB0000001C"}, "unified social credit code"),
        ({"ONETHING_JURISDICTION_CODE": "43"}, "six digits"),
        ({"ONETHING_LICENCE_TYPE_CODES": "oversize-transport"}, "matter=CODE"),
        ({"ONETHING_LICENCE_TYPE_CODES": "oversize-transport=DJ-01"}, "uppercase letters and digits"),
    ],
)
async def test_bad_issuer_configuration_is_refused(tmp_path: Path, env: dict[str, str], message: str):
    settings = Settings(
        tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", "localhost:7233", "default", "t"
    )
    with pytest.raises(ValueError, match=message):
        await build_deps(settings, env=env, licence_kinds=MATTERS.licence_kinds)


def test_issuer_accepts_the_sample_code():
    issuer = Issuer(name="x", code=SAMPLE_ISSUER_CODE, jurisdiction_code="430000")
    assert issuer.type_code("oversize-transport") is None  # the codes come with the licence kinds


def test_the_issuer_codes_and_numbers_every_licence_kind_of_the_registry():
    issuer = issuer_from_env({}, MATTERS.licence_kinds)
    for kind in MATTERS.licence_kinds:
        assert issuer.type_code(kind.key) == kind.sample_type_code
        assert issuer.number_prefixes[kind.key] == kind.sample_number_prefix
    assert issuer.type_code("oversize-transport") == "DJYSXK01"
    assert issuer.type_code("unknown") is None
