"""The issuing department and the route data the activities need, read from the environment.

Every default below is SAMPLE data, chosen so the embedded stack runs out of the box; a deployment
sets the real values. None of them is a secret (the seal key is configured in seal/sm2.py).

| variable                         | default (sample)                                          |
| -------------------------------- | --------------------------------------------------------- |
| ONETHING_ISSUER_NAME             | 湖南省交通运输厅（示例）                                  |
| ONETHING_ISSUER_CODE             | 11430000MB0000001B (a well-formed but fictitious USCC)    |
| ONETHING_JURISDICTION_CODE       | 430000 (湖南省, GB/T 2260)                                |
| ONETHING_LICENCE_TYPE_CODES      | each licence kind's sample code (workflows/matters.py)    |
| ONETHING_LICENCE_FILE_URL_BASE   | https://licence.example.invalid/onething                  |
| ONETHING_MAIN_CORRIDORS          | G4,G60,G65,G55,G56,G72,G0421                              |

ONETHING_LICENCE_TYPE_CODES (`kind=CODE,kind=CODE`) is merged over the registry's sample codes, so
setting one licence kind keeps the others. The issuer is built from the licence kinds the caller
passes (the matter registry's): the activities, which workflows import, reach this module through
bootstrap/deps.py, so it cannot import the registry that imports the workflows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from domain.licence import LicenceKind, is_unified_social_credit_code

ISSUER_NAME_ENV: Final = "ONETHING_ISSUER_NAME"
ISSUER_CODE_ENV: Final = "ONETHING_ISSUER_CODE"
JURISDICTION_CODE_ENV: Final = "ONETHING_JURISDICTION_CODE"
LICENCE_TYPE_CODES_ENV: Final = "ONETHING_LICENCE_TYPE_CODES"
FILE_URL_BASE_ENV: Final = "ONETHING_LICENCE_FILE_URL_BASE"
MAIN_CORRIDORS_ENV: Final = "ONETHING_MAIN_CORRIDORS"

SAMPLE_ISSUER_NAME: Final = "湖南省交通运输厅（示例）"
# SAMPLE: a fictitious code with a correct GB 32100 check character ("11" = 机关, 430000 = 湖南省).
SAMPLE_ISSUER_CODE: Final = "11430000MB0000001B"
SAMPLE_JURISDICTION_CODE: Final = "430000"
SAMPLE_FILE_URL_BASE: Final = "https://licence.example.invalid/onething"
# SAMPLE: DOMAIN.md notes that the province's 7 大件运输主通道 are not published. These national
# expressways through Hunan stand in for them until the department provides the real list.
SAMPLE_MAIN_CORRIDORS: Final = ("G4", "G60", "G65", "G55", "G56", "G72", "G0421")

_TYPE_CODE = re.compile(r"[0-9A-Z]+")
_JURISDICTION = re.compile(r"[0-9]{6}")


@dataclass(frozen=True)
class Issuer:
    """The department that issues and seals the e-licences (颁证单位)."""

    name: str
    code: str  # 统一社会信用代码
    jurisdiction_code: str  # GB/T 2260 行政区划代码
    licence_type_codes: Mapping[str, str] = field(default_factory=dict)  # licence kind → 证照类型代码
    number_prefixes: Mapping[str, str] = field(default_factory=dict)  # licence kind → 证照编号 prefix
    file_url_base: str = SAMPLE_FILE_URL_BASE

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("issuer name is empty")
        if not is_unified_social_credit_code(self.code):
            raise ValueError(f"issuer code {self.code!r} is not a valid unified social credit code")
        if not _JURISDICTION.fullmatch(self.jurisdiction_code):
            raise ValueError(f"jurisdiction code {self.jurisdiction_code!r} is not six digits")
        for kind, code in self.licence_type_codes.items():
            if not _TYPE_CODE.fullmatch(code):
                raise ValueError(
                    f"licence type code {code!r} of {kind!r} is not uppercase letters and digits"
                )
        object.__setattr__(self, "licence_type_codes", dict(self.licence_type_codes))
        object.__setattr__(self, "number_prefixes", dict(self.number_prefixes))
        object.__setattr__(self, "file_url_base", self.file_url_base.rstrip("/"))

    def type_code(self, kind: str) -> str | None:
        return self.licence_type_codes.get(kind)


def issuer_from_env(env: Mapping[str, str], licence_kinds: Iterable[LicenceKind]) -> Issuer:
    """The issuer from the environment, with the sample code and number prefix of every licence kind."""
    kinds = list(licence_kinds)
    return Issuer(
        name=_get(env, ISSUER_NAME_ENV, SAMPLE_ISSUER_NAME),
        code=_get(env, ISSUER_CODE_ENV, SAMPLE_ISSUER_CODE).upper(),
        jurisdiction_code=_get(env, JURISDICTION_CODE_ENV, SAMPLE_JURISDICTION_CODE),
        licence_type_codes={
            **{kind.key: kind.sample_type_code for kind in kinds},
            **_pairs(env.get(LICENCE_TYPE_CODES_ENV, "")),
        },
        number_prefixes={kind.key: kind.sample_number_prefix for kind in kinds},
        file_url_base=_get(env, FILE_URL_BASE_ENV, SAMPLE_FILE_URL_BASE),
    )


def main_corridors_from_env(env: Mapping[str, str]) -> tuple[str, ...]:
    value = env.get(MAIN_CORRIDORS_ENV, "").strip()
    if not value:
        return SAMPLE_MAIN_CORRIDORS
    return tuple(dict.fromkeys(road.strip().upper() for road in value.split(",") if road.strip()))


def _get(env: Mapping[str, str], name: str, default: str) -> str:
    return env.get(name, "").strip() or default


def _pairs(value: str) -> dict[str, str]:
    """`kind=CODE,kind=CODE` → {kind: CODE}."""
    pairs: dict[str, str] = {}
    for item in value.split(","):
        if not item.strip():
            continue
        kind, sep, code = item.partition("=")
        if not sep or not kind.strip() or not code.strip():
            raise ValueError(f"{LICENCE_TYPE_CODES_ENV}: {item.strip()!r} is not matter=CODE")
        pairs[kind.strip()] = code.strip().upper()
    return pairs
