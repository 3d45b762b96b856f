"""核发电子证照: seal and issue an e-licence, and queue its pushes (归集, checkpoints, notice).

Idempotent per (case, licence key): the licence and its outbox messages are written in one
transaction, and a retry returns the licence already issued. The identifier's serial is keyed with a
key only the issuing workers hold (`serial_key_of`): nobody derives a licence id from a case id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, date, datetime
from typing import Final

import structlog
from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from bootstrap.deps import Deps, current
from domain.calendar import SHANGHAI
from domain.licence import (
    HolderCodeType,
    LicenceCatalogue,
    LicenceGrant,
    LicenceStatus,
    VehicleLicence,
    canonical_bytes,
    check_catalogue,
    make_licence_identifier,
    serial_for,
)
from seal.sm2 import SM2_WITH_SM3_OID, SealKey, sign, verify
from store.db import reading
from store.licences import LicenceIn, collection_key, save_licence_once
from store.licences import licences_for_vehicles as stored_licences_for_vehicles
from store.outbox import OutboxMessageIn

log = structlog.get_logger(__name__)

LICENCE_VERSION: Final = 1
"""版本号 of a first issue; a re-issue (变更/补办) would be a new version under a new licence key."""

# SAMPLE: the 证照编号 prefix of a licence kind the registry gives none (湘 = Hunan); each kind's own is
# in the matter registry (workflows/matters.py), and the department's numbering rule replaces them.
DEFAULT_NUMBER_PREFIX: Final = "湘证"
_NUMBER_DIGITS: Final = 12

# What the serial key is derived for: the seal's key signs, this derivation only keys the serials.
_SERIAL_KEY_CONTEXT: Final = b"onething: licence serial (GB/T 36904), v1"


def serial_key_of(seal_key: SealKey) -> bytes:
    """The issuer's key for licence serials (`domain.licence.serial_for`), derived from the seal's
    private key: every worker that seals holds it already (ONETHING_SEAL_PRIVATE_KEY, required in
    production), so there is no second secret to distribute, and the portal, which has only the
    public key, cannot derive it. HMAC-SHA256 under a context of its own keeps the derived key
    unrelated to the signatures. A new seal key gives new licences new serials; a retry of an issue
    across that change still returns the stored licence (found by case and licence key).
    """
    return hmac.new(bytes.fromhex(seal_key.private_key_hex), _SERIAL_KEY_CONTEXT, hashlib.sha256).digest()


class IssuedLicenceRef(BaseModel):
    licence_id: str
    number: str
    created: bool  # False when a retry found the licence already issued


@activity.defn
async def issue_licence(inp: LicenceGrant) -> IssuedLicenceRef:
    """Build the catalogue record, seal its canonical bytes (SM2), store it with its outbox messages.

    The identifier is derived from (case, licence key) under the serial key, so every attempt
    computes the same one; the first attempt to commit wins and later ones return its licence. A
    record that fails the catalogue checks (数据合格率) is never sealed: a non-retryable
    `InvalidLicence`.
    """
    deps = current()
    logger = log.bind(case_id=inp.case_id, step="issue_licence", licence_key=inp.licence_key)
    now = datetime.now(UTC)
    catalogue = _catalogue(deps, inp, issue_date=now.astimezone(SHANGHAI).date())
    signed_data = canonical_bytes(catalogue)
    signature = sign(deps.sealing_key(), signed_data)
    licence = LicenceIn(
        licence_id=catalogue.identifier,
        case_id=inp.case_id,
        licence_key=inp.licence_key,
        matter=inp.matter,
        type_code=catalogue.type_code,
        number=catalogue.number,
        holder_name=inp.holder,
        holder_code=inp.holder_code,
        issued_at=now,
        valid_from=inp.valid_from,
        valid_to=inp.valid_to,
        payload=catalogue.model_dump(mode="json"),
        signed_data=signed_data,
        signature=signature,
        public_key=deps.public_key_hex,
        status=LicenceStatus.VALID.value,
    )
    messages = outbox_messages(inp, catalogue, signature, deps.public_key_hex)
    # Verified once here, stored with a digest of what was sealed: the audit reads the verdict
    # instead of verifying every licence's SM2 signature at each report (issue 18).
    seal_valid = verify(deps.public_key_hex, signed_data, signature)
    async with deps.sessions.begin() as session:
        stored, created = await save_licence_once(
            session,
            licence,
            messages,
            now=now,
            vehicles=inp.vehicles,
            roads=inp.roads,
            seal_valid=seal_valid,
        )
    logger.info(
        "licence issued" if created else "licence already issued",
        licence_id=stored.licence_id,
        messages=len(messages) if created else 0,
    )
    return IssuedLicenceRef(licence_id=stored.licence_id, number=stored.number, created=created)


def _catalogue(deps: Deps, inp: LicenceGrant, *, issue_date: date) -> LicenceCatalogue:
    issuer = deps.issuer
    kind = inp.licence_type or inp.matter
    type_code = issuer.type_code(kind)
    if type_code is None:
        raise ApplicationError(
            f"no licence type code for {kind!r}: add it to ONETHING_LICENCE_TYPE_CODES",
            type="UnknownLicenceType",
            non_retryable=True,
        )
    serial = serial_for(inp.case_id, inp.licence_key, serial_key_of(deps.sealing_key()))
    identifier = make_licence_identifier(type_code, issuer.code, serial, LICENCE_VERSION)
    catalogue = LicenceCatalogue(
        identifier=identifier,
        type_name=inp.type_name,
        type_code=type_code,
        number=f"{issuer.number_prefixes.get(kind, DEFAULT_NUMBER_PREFIX)}{serial[-_NUMBER_DIGITS:]}",
        name=inp.type_name,
        version=LICENCE_VERSION,
        issue_date=issue_date,
        issuer_name=issuer.name,
        issuer_code=issuer.code,
        valid_from=inp.valid_from,
        valid_to=inp.valid_to,
        jurisdiction_code=issuer.jurisdiction_code,
        holder=inp.holder,
        holder_code=inp.holder_code,
        holder_code_type=HolderCodeType.UNIFIED_SOCIAL_CREDIT_CODE,
        related_matter=inp.matter,
        file_url=f"{issuer.file_url_base}/{identifier}",
        status=LicenceStatus.VALID,
        particulars=inp.particulars,
    )
    problems = check_catalogue(catalogue)
    if problems:
        raise ApplicationError(
            f"the licence record fails the catalogue checks: {'; '.join(problems)}",
            type="InvalidLicence",
            non_retryable=True,
        )
    return catalogue


def outbox_messages(
    inp: LicenceGrant, catalogue: LicenceCatalogue, signature: bytes, public_key_hex: str
) -> list[OutboxMessageIn]:
    """归集 to the licence repository, one push per checkpoint, and the notice if there is one."""
    prefix = f"{inp.case_id}:{inp.licence_key}"
    licence_id = catalogue.identifier
    window = {"valid_from": catalogue.valid_from.isoformat(), "valid_to": catalogue.valid_to.isoformat()}
    messages = [
        OutboxMessageIn(
            idempotency_key=collection_key(inp.case_id, inp.licence_key),
            destination="licence_repository",
            case_id=inp.case_id,
            payload={
                "licence_id": licence_id,
                "catalogue": catalogue.model_dump(mode="json"),
                "signature": base64.b64encode(signature).decode("ascii"),
                "signature_algorithm": SM2_WITH_SM3_OID,
                "public_key": public_key_hex,
            },
        )
    ]
    messages += [
        OutboxMessageIn(
            idempotency_key=f"{prefix}:checkpoint:{i}",
            destination="checkpoint",
            case_id=inp.case_id,
            payload={
                "licence_id": licence_id,
                "number": catalogue.number,
                "road": point.road,
                "from": point.from_,
                "to": point.to,
                "province": point.province,
                **window,
            },
        )
        for i, point in enumerate(inp.checkpoints)
    ]
    if inp.notice is not None:
        messages.append(
            OutboxMessageIn(
                idempotency_key=f"{prefix}:notice",
                destination="notice",
                case_id=inp.case_id,
                payload={
                    "recipient": "applicant",
                    **inp.notice,
                    "licence_id": licence_id,
                    "number": catalogue.number,
                    **window,
                },
            )
        )
    return messages


class VehicleLicenceQuery(BaseModel):
    """Which valid licences of `matter` exist for these plates in this window (同一车辆重复办证)."""

    matter: str
    plates: list[str]
    valid_from: date
    valid_to: date


@activity.defn
async def licences_for_vehicles(query: VehicleLicenceQuery) -> list[VehicleLicence]:
    """The licence store's answer by plate (indexed): read-only, so as often as the workflow asks."""
    async with current().sessions() as session:
        await reading(session)  # a snapshot, without the write lock
        return await stored_licences_for_vehicles(
            session, query.matter, query.plates, query.valid_from, query.valid_to
        )
