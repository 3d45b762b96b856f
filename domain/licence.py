"""The electronic licence (电子证照): its identifier, its catalogue record and the bytes that get sealed.

GB/T 36901–36906-2018 describe the e-licence. This module holds the parts that are rules, not I/O:

- the identifier (电子证照标识, GB/T 36904-2018)
  `1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check character>`;
- the catalogue record (证照目录信息) the issuing department keeps and reports (归集);
- the canonical bytes that the electronic seal (电子印章) signs, so signer and verifier agree to the byte;
- the schema-level checks behind the 数据合格率 KPI.

The check character. The text of GB/T 36904-2018 was not available to us; public secondary sources
agree that it prescribes ISO/IEC 7064 MOD 37,36 (GB/T 17710-2008, hybrid system) over the type code,
issuer code, serial and version concatenated without the dots, the OID prefix `1.2.156.3005.2`
excluded: the summary of the standard at https://wenku.csdn.net/doc/4ium7ims6x ("校验位的计算方法
必须符合 GB/T 17710-2008 … ISO/IEC 7064 MOD37,36"), the article at
https://blog.csdn.net/weixin_42974824/article/details/115673267, and several public integrations with
provincial licence platforms that compute it over `类型代码 + 颁发机构代码 + 流水号 + 版本号`. That is
what is implemented; it reproduces the published ISO/IEC 7064 MOD 37,36 sample values (see the tests).
Being a hybrid system it detects every single-character substitution, and every adjacent transposition
except one of two characters whose values differ by one (mod 36) met in one of the 36 running states —
about 1 in 36 of those, 0.16 % of all adjacent transpositions.

Pure: no I/O, no clock, no randomness — imported inside Temporal workflow sandboxes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# The e-licence root OID (电子证照根代码).
IDENTIFIER_PREFIX = "1.2.156.3005.2"
SERIAL_LENGTH = 20

# ISO/IEC 7064 alphanumeric character values: 0-9 → 0..9, A-Z → 10..35.
_ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALUE = {c: v for v, c in enumerate(_ALPHANUMERIC)}
_MOD = 36  # MOD 37,36: M = 36, M + 1 = 37

# GB 32100-2015 统一社会信用代码: 31 characters (no I, O, S, V, Z); weights 3^(i) mod 31.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_USCC_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")

_CODE = re.compile(r"[0-9A-Z]+")
_VERSION = re.compile(r"[0-9]{3}")
_JURISDICTION = re.compile(r"[0-9]{6}")
_RESIDENT_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


class LicenceIdentifierError(ValueError):
    """A licence identifier (电子证照标识) is malformed; `part` names the part that is wrong."""

    def __init__(self, part: str, message: str) -> None:
        super().__init__(f"{part}: {message}")
        self.part = part


@dataclass(frozen=True)
class LicenceIdentifier:
    """The parts of an e-licence identifier; `str()` gives the identifier back."""

    type_code: str
    issuer_code: str
    serial: str
    version: int
    check: str

    @property
    def body(self) -> str:
        """The characters the check character covers."""
        return f"{self.type_code}{self.issuer_code}{self.serial}{self.version:03d}"

    def __str__(self) -> str:
        return ".".join(
            (
                IDENTIFIER_PREFIX,
                self.type_code,
                self.issuer_code,
                self.serial,
                f"{self.version:03d}",
                self.check,
            )
        )


def check_character(body: str) -> str:
    """The ISO/IEC 7064 MOD 37,36 check character of `body` (uppercase letters and digits only).

    For an identifier, `body` is type code + issuer code + serial + three-digit version, without dots.
    """
    if not body:
        raise ValueError("check character of an empty string")
    state = _MOD
    for position, char in enumerate(body):
        value = _VALUE.get(char)
        if value is None:
            raise ValueError(f"character {char!r} at {position} is not 0-9 or A-Z")
        state = (((state + value) % _MOD or _MOD) * 2) % (_MOD + 1)
    return _ALPHANUMERIC[(_MOD + 1 - state) % _MOD]


def make_licence_identifier(type_code: str, issuer_code: str, serial: str, version: int) -> str:
    """The identifier of a licence (电子证照标识), check character included."""
    _check_parts(type_code, issuer_code, serial, version)
    body = f"{type_code}{issuer_code}{serial}{version:03d}"
    return str(LicenceIdentifier(type_code, issuer_code, serial, version, check_character(body)))


def parse_licence_identifier(s: str) -> LicenceIdentifier:
    """Split and check an identifier; raises `LicenceIdentifierError` (a ValueError) naming the bad part."""
    if not s.startswith(IDENTIFIER_PREFIX + "."):
        raise LicenceIdentifierError("prefix", f"{s!r} does not start with {IDENTIFIER_PREFIX}.")
    parts = s[len(IDENTIFIER_PREFIX) + 1 :].split(".")
    if len(parts) != 5:
        raise LicenceIdentifierError(
            "structure",
            f"{s!r} has {len(parts)} parts after the prefix; "
            "expected type code, issuer code, serial, version and check character",
        )
    type_code, issuer_code, serial, version_text, check = parts
    _check_codes(type_code, issuer_code, serial)
    if not _VERSION.fullmatch(version_text) or version_text == "000":
        raise LicenceIdentifierError("version", f"{version_text!r} is not three digits from 001 to 999")
    version = int(version_text)
    if len(check) != 1 or check not in _VALUE:
        raise LicenceIdentifierError("check character", f"{check!r} is not one character 0-9 or A-Z")
    expected = check_character(f"{type_code}{issuer_code}{serial}{version_text}")
    if check != expected:
        raise LicenceIdentifierError(
            "check character", f"{check!r} is wrong, the identifier gives {expected!r}"
        )
    return LicenceIdentifier(type_code, issuer_code, serial, version, check)


def _check_parts(type_code: str, issuer_code: str, serial: str, version: int) -> None:
    _check_codes(type_code, issuer_code, serial)
    if not 1 <= version <= 999:
        raise LicenceIdentifierError("version", f"{version} is not between 1 and 999")


def _check_codes(type_code: str, issuer_code: str, serial: str) -> None:
    if not _CODE.fullmatch(type_code):
        raise LicenceIdentifierError("type code", f"{type_code!r} is not uppercase letters and digits")
    if not _USCC_SHAPE.fullmatch(issuer_code):
        raise LicenceIdentifierError(
            "issuer code", f"{issuer_code!r} is not shaped like a unified social credit code (18 characters)"
        )
    if not _CODE.fullmatch(serial):
        raise LicenceIdentifierError("serial", f"{serial!r} is not uppercase letters and digits")


SERIAL_KEY_MIN_BYTES = 32


def serial_for(case_id: str, licence_key: str, serial_key: bytes) -> str:
    """The serial (流水号) of a case's licence: 20 decimal digits of HMAC-SHA256(serial key, the pair).

    Deterministic, so an activity retried after issuing yields the same identifier, and the same
    case can issue several licences under different keys (e.g. "permit", "escort"). Keyed, so that
    nobody without the issuer's key can derive an identifier from a case id (submission ids are
    guessable): two cases' serials are two outputs of a keyed pseudo-random function, with no pattern
    between them (issue 17). The key is the issuer's (`activities.licensing.serial_key_of`).
    """
    if len(serial_key) < SERIAL_KEY_MIN_BYTES:
        raise ValueError(f"serial key: at least {SERIAL_KEY_MIN_BYTES} bytes, not {len(serial_key)}")
    # ASCII JSON of the pair is unambiguous (("a.b", "c") and ("a", "b.c") differ) and encodes any str.
    message = json.dumps([case_id, licence_key]).encode("ascii")
    digest = hmac.new(serial_key, message, hashlib.sha256).digest()
    # 2^256 mod 10^20 makes some serials likelier than others by at most 10^20 / 2^256 (≈ 10^-57).
    return f"{int.from_bytes(digest, 'big') % 10**SERIAL_LENGTH:0{SERIAL_LENGTH}d}"


def is_unified_social_credit_code(code: str) -> bool:
    """Whether `code` is a well-formed 统一社会信用代码, check character included (GB 32100-2015)."""
    if not _USCC_SHAPE.fullmatch(code):
        return False
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    return code[17] == _USCC_CHARS[(31 - total % 31) % 31]


def is_resident_identity_number(code: str) -> bool:
    """Whether `code` is a well-formed 18-character 公民身份号码 (GB 11643-1999, ISO 7064 MOD 11-2)."""
    if not _RESIDENT_ID_SHAPE.fullmatch(code):
        return False
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(code[:17]))
    return code[17] == "10X98765432"[total % 11]


class LicenceStatus(StrEnum):
    """证照状态."""

    VALID = "valid"  # 有效
    ANNULLED = "annulled"  # 撤销
    CANCELLED = "cancelled"  # 注销
    REVOKED = "revoked"  # 吊销
    INVALIDATED = "invalidated"  # 失效 (e.g. replaced by a new version)


class HolderCodeType(StrEnum):
    """持证主体代码类型: what kind of number `holder_code` is."""

    UNIFIED_SOCIAL_CREDIT_CODE = "unified_social_credit_code"  # 统一社会信用代码
    RESIDENT_IDENTITY_CARD = "resident_identity_card"  # 居民身份证
    OTHER = "other"


@dataclass(frozen=True)
class LicenceKind:
    """One licence type (证照类型) a matter issues, as the matter registry declares it.

    `key` is the matter's own key for its main licence; a second licence of the same matter (e.g. one
    道路运输证 per truck) has a key of its own, which the workflow names in `licence_type`. The type code
    and the number prefix are SAMPLE values: the national catalogue assigns 证照类型代码 and the issuing
    department its numbering rule, and a deployment sets them (ONETHING_LICENCE_TYPE_CODES).
    """

    key: str
    name: str  # 证照类型名称
    sample_type_code: str  # 证照类型代码
    sample_number_prefix: str  # the readable 证照编号 starts with it


class LicenceCatalogue(BaseModel):
    """The catalogue record (证照目录信息) of one e-licence, as sealed and reported.

    `particulars` carries the matter-specific content (vehicle, route, conditions …); a value is text
    or a list of texts, so the record stays plain JSON. The model checks types only: semantic problems
    are reported by `check_catalogue`, because a bad record must still be loadable to be counted.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    identifier: str  # 证照标识
    type_name: str  # 证照类型名称
    type_code: str  # 证照类型代码
    number: str  # 证照编号
    name: str  # 证照名称
    version: int  # 版本号
    issue_date: date  # 颁证日期
    issuer_name: str  # 颁证单位
    issuer_code: str  # 颁证单位代码 (统一社会信用代码)
    valid_from: date  # 有效期起始
    valid_to: date  # 有效期截止
    jurisdiction_code: str  # 颁证单位所属行政区划代码 (GB/T 2260)
    holder: str  # 持证主体
    holder_code: str  # 持证主体代码
    holder_code_type: HolderCodeType  # 持证主体代码类型
    related_matter: str  # 关联事项 (事项编码)
    file_url: str  # 证照文件地址
    status: LicenceStatus  # 证照状态
    particulars: dict[str, str | list[str]] = Field(default_factory=dict)


_REQUIRED_TEXT = (
    "identifier",
    "type_name",
    "type_code",
    "number",
    "name",
    "issuer_name",
    "issuer_code",
    "jurisdiction_code",
    "holder",
    "holder_code",
    "related_matter",
    "file_url",
)


def canonical_bytes(catalogue: LicenceCatalogue) -> bytes:
    """The exact bytes the seal signs: canonical JSON, UTF-8.

    Keys sorted (by code point), no whitespace, non-ASCII kept as is, dates as ISO 8601, enums as their
    values. Text is not Unicode-normalised: what was recorded is what is signed.
    """
    return json.dumps(
        catalogue.model_dump(mode="json"),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def check_catalogue(catalogue: LicenceCatalogue) -> list[str]:
    """Schema-level problems of a catalogue record; an empty list means it is 合格 for 数据合格率."""
    problems = [f"{field} is empty" for field in _REQUIRED_TEXT if not getattr(catalogue, field).strip()]
    if catalogue.identifier.strip():
        try:
            parsed = parse_licence_identifier(catalogue.identifier)
        except LicenceIdentifierError as error:
            problems.append(f"identifier does not parse: {error}")
        else:
            problems.extend(_identifier_mismatches(parsed, catalogue))
    if catalogue.issuer_code.strip() and not is_unified_social_credit_code(catalogue.issuer_code):
        problems.append(f"issuer_code {catalogue.issuer_code!r} is not a valid unified social credit code")
    if catalogue.jurisdiction_code.strip() and not _JURISDICTION.fullmatch(catalogue.jurisdiction_code):
        problems.append(f"jurisdiction_code {catalogue.jurisdiction_code!r} is not six digits")
    if catalogue.holder_code.strip():
        problems.extend(_holder_code_problems(catalogue.holder_code, catalogue.holder_code_type))
    if catalogue.valid_from > catalogue.valid_to:
        problems.append(f"valid_from {catalogue.valid_from} is after valid_to {catalogue.valid_to}")
    return problems


def record_is_qualified(payload: Mapping[str, Any], signed_data: bytes) -> bool:
    """The record half of 数据合格: the stored catalogue record parses, passes `check_catalogue` and is
    exactly the bytes that were signed. The seal half (the signature verifies) is checked apart."""
    try:
        catalogue = LicenceCatalogue.model_validate(payload)
    except ValidationError:
        return False
    return not check_catalogue(catalogue) and canonical_bytes(catalogue) == signed_data


def _identifier_mismatches(parsed: LicenceIdentifier, catalogue: LicenceCatalogue) -> list[str]:
    pairs = (
        ("issuer_code", parsed.issuer_code, catalogue.issuer_code),
        ("type_code", parsed.type_code, catalogue.type_code),
        ("version", parsed.version, catalogue.version),
    )
    return [
        f"identifier has {field} {in_identifier!r} but the record has {in_record!r}"
        for field, in_identifier, in_record in pairs
        if in_identifier != in_record
    ]


def _holder_code_problems(code: str, kind: HolderCodeType) -> list[str]:
    if kind is HolderCodeType.UNIFIED_SOCIAL_CREDIT_CODE and not is_unified_social_credit_code(code):
        return [f"holder_code {code!r} is not a valid unified social credit code"]
    if kind is HolderCodeType.RESIDENT_IDENTITY_CARD and not is_resident_identity_number(code):
        return ["holder_code is not a valid resident identity number"]
    return []


# --- what a decision grants (准予许可 → 制证) ---------------------------------------------------


class CheckpointPush(BaseModel):
    """One route segment's enforcement point (治超检测站/卡口) to tell about the permit."""

    road: str
    from_: str
    to: str
    province: str


class LicenceGrant(BaseModel):
    """One licence a decision grants (准予许可), as the licensing activity seals and issues it: each
    matter's domain module says what goes on it."""

    case_id: str
    licence_key: str  # "permit", "certificate:湘AD1234", …
    matter: str
    type_name: str  # 证照类型名称, e.g. 超限运输车辆通行证
    # The licence kind (证照类型) when a matter issues more than one, e.g. the 道路运输证 next to the
    # operating licence (its key in the matter registry); None: the matter's own kind.
    licence_type: str | None = None
    holder: str  # 持证主体 (the carrier's name: a company, not a person)
    holder_code: str  # its unified social credit code
    valid_from: date
    valid_to: date
    particulars: dict[str, str | list[str]]
    checkpoints: list[CheckpointPush] = Field(default_factory=list)
    notice: dict[str, Any] | None = None  # payload for the applicant notice, if any
    # The plates the licence is for and the roads it permits, indexed by the licence store so that a
    # second permit for the same vehicle is found (同一车辆重复办证); empty for licences of no vehicle.
    vehicles: list[str] = Field(default_factory=list)
    roads: list[str] = Field(default_factory=list)


class VehicleLicence(BaseModel):
    """A valid licence the store holds for a plate: which licence, for how long, on which roads."""

    licence_id: str
    case_id: str
    plate: str
    valid_from: date
    valid_to: date
    roads: list[str]
