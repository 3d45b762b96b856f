"""The e-licence identifier (GB/T 36904), its check character, the catalogue record and its signed bytes."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter
from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.licence import (
    IDENTIFIER_PREFIX,
    HolderCodeType,
    LicenceCatalogue,
    LicenceIdentifierError,
    LicenceStatus,
    canonical_bytes,
    check_catalogue,
    check_character,
    is_resident_identity_number,
    is_unified_social_credit_code,
    make_licence_identifier,
    parse_licence_identifier,
    serial_for,
)

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUE = {c: v for v, c in enumerate(ALNUM)}

# Fictional codes with valid GB 32100 check characters.
ISSUER = "11430000MB12345670"
CARRIER = "91430100MA4L00000F"
TYPE_CODE = ISSUER + "001"
KEY = bytes(range(32))  # a serial key of the tests' own
PINNED_SERIAL = "22735999701005125904"

codes = st.text(alphabet=ALNUM, min_size=1, max_size=24)
issuers = st.text(alphabet=USCC_CHARS, min_size=18, max_size=18)
versions = st.integers(min_value=1, max_value=999)
bodies = st.text(alphabet=ALNUM, min_size=1, max_size=80)


def consistent(word: str) -> bool:
    """Whether the last character of `word` is the check character of the rest."""
    return check_character(word[:-1]) == word[-1]


# -- the check character -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("9", "J"),
        ("OW", "N"),
        ("TBR", "1"),
        ("X0H", "X"),
        ("DZ52JYP", "V"),
        ("B7Q3SFTUSH2QN7BIXBPMNZAM", "I"),
    ],
)
def test_check_character_reproduces_published_iso_7064_mod_37_36_values(body: str, check: str) -> None:
    # Sample values of ISO/IEC 7064 MOD 37,36 from the test suite of the cdigit library (LiosK/cdigit).
    assert check_character(body) == check


def test_check_character_rejects_what_the_alphabet_does_not_have() -> None:
    for body in ("", "abc", "AB-C", "AB.C", "中"):
        with pytest.raises(ValueError):
            check_character(body)


def test_every_single_substitution_is_detected_exhaustively_for_two_character_bodies() -> None:
    # The first character puts the running state through all 36 values, so this covers every
    # (state, old character, new character) at the second position and at the check character.
    for first in ALNUM:
        for second in ALNUM:
            word = first + second + check_character(first + second)
            for position in range(3):
                for replacement in ALNUM:
                    if replacement != word[position]:
                        changed = word[:position] + replacement + word[position + 1 :]
                        assert not consistent(changed), (word, changed)


@given(bodies, st.data())
def test_every_single_substitution_is_detected(body: str, data: st.DataObject) -> None:
    word = body + check_character(body)
    position = data.draw(st.integers(0, len(word) - 1))
    replacement = data.draw(st.sampled_from(ALNUM).filter(lambda c: c != word[position]))
    assert not consistent(word[:position] + replacement + word[position + 1 :])


@given(st.text(alphabet=ALNUM, min_size=1, max_size=80), st.data())
def test_adjacent_transpositions_are_detected_unless_the_values_are_neighbours(
    body: str, data: st.DataObject
) -> None:
    word = body + check_character(body)
    i = data.draw(st.integers(0, len(word) - 2))
    a, b = word[i], word[i + 1]
    assume(a != b and (VALUE[a] - VALUE[b]) % 36 not in (1, 35))
    assert not consistent(word[:i] + b + a + word[i + 2 :])


def test_the_only_undetected_adjacent_transpositions_are_neighbours_in_one_state() -> None:
    # MOD 37,36 is a hybrid system: it misses a swap of two characters whose values differ by one
    # (mod 36) when the running state before them is one particular value. The prefix character sets
    # every state; the swap is of the two characters after it.
    missed = set()
    for prefix in ALNUM:
        for a in ALNUM:
            for b in ALNUM:
                if a != b:
                    word = prefix + a + b + check_character(prefix + a + b)
                    if consistent(prefix + b + a + word[3]):
                        missed.add((prefix, a, b))
    assert len(missed) == 72  # 36 neighbour pairs, both orders, once each; of 45,360 swaps
    assert all((VALUE[a] - VALUE[b]) % 36 in (1, 35) for _, a, b in missed)


# -- the identifier ------------------------------------------------------------------------------------


@given(codes, issuers, codes, versions)
def test_identifier_round_trips(type_code: str, issuer: str, serial: str, version: int) -> None:
    identifier = make_licence_identifier(type_code, issuer, serial, version)
    parsed = parse_licence_identifier(identifier)
    assert (parsed.type_code, parsed.issuer_code, parsed.serial, parsed.version) == (
        type_code,
        issuer,
        serial,
        version,
    )
    assert str(parsed) == identifier
    assert identifier.startswith(IDENTIFIER_PREFIX + ".")
    assert identifier.split(".")[-2] == f"{version:03d}"
    assert parsed.check == check_character(parsed.body)


def test_identifier_has_the_gb_t_36904_shape() -> None:
    identifier = make_licence_identifier(TYPE_CODE, ISSUER, "00000000000000000042", 1)
    prefix, rest = identifier[: len(IDENTIFIER_PREFIX)], identifier[len(IDENTIFIER_PREFIX) + 1 :]
    assert prefix == "1.2.156.3005.2"
    type_code, issuer, serial, version, check = rest.split(".")
    assert (type_code, issuer, serial, version) == (TYPE_CODE, ISSUER, "00000000000000000042", "001")
    assert check == check_character(TYPE_CODE + ISSUER + "00000000000000000042" + "001")


GOOD = make_licence_identifier(TYPE_CODE, ISSUER, "12345678901234567890", 2)
HEAD, TAIL = GOOD[: len(IDENTIFIER_PREFIX)], GOOD[len(IDENTIFIER_PREFIX) + 1 :].split(".")


def replace_part(index: int, value: str) -> str:
    parts = list(TAIL)
    parts[index] = value
    return ".".join([HEAD, *parts])


@pytest.mark.parametrize(
    ("identifier", "part"),
    [
        (GOOD.replace("1.2.156.3005.2", "1.2.156.3005.3", 1), "prefix"),
        (GOOD[len(IDENTIFIER_PREFIX) + 1 :], "prefix"),
        ("", "prefix"),
        (GOOD.rsplit(".", 1)[0], "structure"),
        (GOOD + ".X", "structure"),
        (replace_part(0, TYPE_CODE.lower()), "type code"),
        (replace_part(0, ""), "type code"),
        (replace_part(1, ISSUER[:17]), "issuer code"),
        (replace_part(1, "11430000MB1234567I"), "issuer code"),  # I is not in the GB 32100 alphabet
        (replace_part(2, "1234-5678"), "serial"),
        (replace_part(3, "2"), "version"),
        (replace_part(3, "000"), "version"),
        (replace_part(3, "0A2"), "version"),
        (replace_part(4, ""), "check character"),
        (replace_part(4, "AB"), "check character"),
        (replace_part(4, "a"), "check character"),
        (replace_part(4, next(c for c in ALNUM if c != TAIL[4])), "check character"),
        (replace_part(2, "12345678901234567891"), "check character"),  # serial changed, check kept
    ],
)
def test_parse_errors_name_the_bad_part(identifier: str, part: str) -> None:
    with pytest.raises(LicenceIdentifierError) as caught:
        parse_licence_identifier(identifier)
    assert caught.value.part == part
    assert str(caught.value).startswith(part + ":")
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("args", "part"),
    [
        (("", ISSUER, "1", 1), "type code"),
        ((TYPE_CODE, "914301", "1", 1), "issuer code"),
        ((TYPE_CODE, ISSUER, "a1", 1), "serial"),
        ((TYPE_CODE, ISSUER, "1", 0), "version"),
        ((TYPE_CODE, ISSUER, "1", 1000), "version"),
    ],
)
def test_make_rejects_bad_parts(args: tuple[str, str, str, int], part: str) -> None:
    with pytest.raises(LicenceIdentifierError) as caught:
        make_licence_identifier(*args)
    assert caught.value.part == part


# -- the serial ----------------------------------------------------------------------------------------


def test_serial_is_pinned_so_a_retry_after_a_deploy_gives_the_same_identifier() -> None:
    assert serial_for("case-2025-000123", "permit", KEY) == serial_for("case-2025-000123", "permit", KEY)
    assert serial_for("case-2025-000123", "permit", KEY) == PINNED_SERIAL


@given(st.text(), st.text())
def test_serial_is_deterministic_twenty_digits(case_id: str, key: str) -> None:
    serial = serial_for(case_id, key, KEY)
    assert serial == serial_for(case_id, key, KEY)
    assert len(serial) == 20 and serial.isdigit() and serial.isascii()
    make_licence_identifier(TYPE_CODE, ISSUER, serial, 1)  # usable as is


def test_serial_tells_cases_and_keys_apart() -> None:
    serials = {
        serial_for("case-1", "permit", KEY),
        serial_for("case-2", "permit", KEY),
        serial_for("case-1", "escort", KEY),
        serial_for("case-1.permit", "", KEY),
        serial_for("case-1", ".permit", KEY),
    }
    assert len(serials) == 5


def test_serial_is_not_derivable_from_the_case_id_alone() -> None:
    """Without the issuer's key, the serial of a guessed case id cannot be computed (issue 17): the
    unkeyed hash the serial used to be, and the same case under another key, give other serials."""
    case_id = "oversize-transport-sub-0001"
    unkeyed = hashlib.sha256(json.dumps([case_id, "permit"]).encode("ascii")).digest()
    assert serial_for(case_id, "permit", KEY) != f"{int.from_bytes(unkeyed, 'big') % 10**20:020d}"
    assert serial_for(case_id, "permit", KEY) != serial_for(case_id, "permit", bytes(32))


def test_two_cases_licences_share_no_derivable_pattern() -> None:
    """Consecutive submission ids (the guessable kind) give serials that look independent: no common
    prefix or suffix beyond chance, digits evenly spread, and no constant difference between them."""
    serials = [serial_for(f"oversize-transport-sub-{n:04d}", "permit", KEY) for n in range(400)]
    assert len(set(serials)) == len(serials)
    # Any two of 400 serials sharing their first (or last) 6 digits: p ≈ 400² / 2 / 10⁶ ≈ 8 %, so
    # allow a handful; a derivable pattern would share far more.
    assert len({s[:6] for s in serials}) >= len(serials) - 5
    assert len({s[-6:] for s in serials}) >= len(serials) - 5
    # Each digit about a tenth of the 8 000 digits (chi-square with 9 degrees of freedom, p ≈ 1e-6).
    counts = Counter("".join(serials))
    chi_square = sum((counts[d] - 800) ** 2 / 800 for d in "0123456789")
    assert chi_square < 45
    # Neither a step between neighbours (a counter) nor a shared position-by-position digit (a shape).
    steps = {int(b) - int(a) for a, b in itertools.pairwise(serials)}
    assert len(steps) == len(serials) - 1
    for position in range(20):
        assert max(Counter(s[position] for s in serials).values()) < 80  # expected 40 each


def test_serial_refuses_a_short_key() -> None:
    with pytest.raises(ValueError, match="serial key"):
        serial_for("case-1", "permit", b"short")


# -- code validators -----------------------------------------------------------------------------------


def test_unified_social_credit_code_check() -> None:
    assert is_unified_social_credit_code(ISSUER)
    assert is_unified_social_credit_code(CARRIER)
    assert is_unified_social_credit_code("91350100M000100Y43")  # a commonly cited valid example
    assert not is_unified_social_credit_code("91350100M000100Y44")
    assert not is_unified_social_credit_code("91350100M000100Y4")
    assert not is_unified_social_credit_code("91350100M0001O0Y43")  # O is not in the alphabet


def test_resident_identity_number_check() -> None:
    assert is_resident_identity_number("11010519491231002X")  # the example in GB 11643-1999
    assert not is_resident_identity_number("110105194912310021")
    assert not is_resident_identity_number("11010519491231002x")


# -- the catalogue record ------------------------------------------------------------------------------


def catalogue(**changes: object) -> LicenceCatalogue:
    fields: dict[str, object] = {
        "identifier": make_licence_identifier(TYPE_CODE, ISSUER, serial_for("case-1", "permit", KEY), 1),
        "type_name": "超限运输车辆通行证",
        "type_code": TYPE_CODE,
        "number": "湘超限〔2025〕000123",
        "name": "超限运输车辆通行证",
        "version": 1,
        "issue_date": date(2025, 3, 10),
        "issuer_name": "湖南省交通运输厅",
        "issuer_code": ISSUER,
        "valid_from": date(2025, 3, 10),
        "valid_to": date(2025, 6, 9),
        "jurisdiction_code": "430000",
        "holder": "长沙某某大件运输有限公司",
        "holder_code": CARRIER,
        "holder_code_type": HolderCodeType.UNIFIED_SOCIAL_CREDIT_CODE,
        "related_matter": "超限运输车辆行驶公路许可",
        "file_url": "https://licence.example.invalid/files/1.ofd",
        "status": LicenceStatus.VALID,
        "particulars": {"vehicle": "湘A12345", "route": ["G4", "G60"], "escort": "是"},
    }
    fields.update(changes)
    return LicenceCatalogue.model_validate(fields)


def test_a_complete_record_has_no_problems() -> None:
    assert check_catalogue(catalogue()) == []


def test_catalogue_is_frozen_and_closed() -> None:
    record = catalogue()
    with pytest.raises(ValidationError):
        record.holder = "someone else"
    with pytest.raises(ValidationError):
        catalogue(colour="red")


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"holder": "  "}, "holder is empty"),
        ({"file_url": ""}, "file_url is empty"),
        ({"identifier": ""}, "identifier is empty"),
        ({"identifier": "1.2.3"}, "identifier does not parse: prefix"),
        ({"identifier": GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1")}, "check character"),
        ({"issuer_code": CARRIER}, "identifier has issuer_code"),
        ({"type_code": "OTHER"}, "identifier has type_code"),
        ({"version": 2}, "identifier has version"),
        ({"valid_to": date(2025, 3, 9)}, "valid_from 2025-03-10 is after valid_to 2025-03-09"),
        ({"jurisdiction_code": "43"}, "jurisdiction_code"),
        ({"holder_code": "91430100MA4L00000A"}, "holder_code"),
        ({"holder_code_type": HolderCodeType.RESIDENT_IDENTITY_CARD}, "resident identity number"),
    ],
)
def test_check_catalogue_reports_the_problem(changes: dict[str, object], problem: str) -> None:
    problems = check_catalogue(catalogue(**changes))
    assert any(problem in p for p in problems), problems


def test_a_person_holder_with_a_valid_identity_number_passes() -> None:
    record = catalogue(
        holder="张三", holder_code="11010519491231002X", holder_code_type="resident_identity_card"
    )
    assert check_catalogue(record) == []


def test_a_problem_message_does_not_echo_a_personal_identity_number() -> None:
    record = catalogue(holder_code="110105194912310021", holder_code_type="resident_identity_card")
    assert not any("110105194912310021" in p for p in check_catalogue(record))


# -- the signed bytes ----------------------------------------------------------------------------------


def test_canonical_bytes_are_pinned() -> None:
    record = catalogue(particulars={"vehicle": "湘A12345", "route": ["G4", "G60"]})
    expected = (
        '{"file_url":"https://licence.example.invalid/files/1.ofd","holder":"长沙某某大件运输有限公司",'
        f'"holder_code":"{CARRIER}","holder_code_type":"unified_social_credit_code",'
        f'"identifier":"{record.identifier}","issue_date":"2025-03-10",'
        f'"issuer_code":"{ISSUER}","issuer_name":"湖南省交通运输厅","jurisdiction_code":"430000",'
        '"name":"超限运输车辆通行证","number":"湘超限〔2025〕000123",'
        '"particulars":{"route":["G4","G60"],"vehicle":"湘A12345"},'
        '"related_matter":"超限运输车辆行驶公路许可","status":"valid",'
        f'"type_code":"{TYPE_CODE}","type_name":"超限运输车辆通行证",'
        '"valid_from":"2025-03-10","valid_to":"2025-06-09","version":1}'
    )
    assert canonical_bytes(record) == expected.encode("utf-8")


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=8),
        st.one_of(st.text(max_size=8), st.lists(st.text(max_size=8), max_size=3)),
        max_size=5,
    )
)
def test_canonical_bytes_are_stable(particulars: dict[str, str | list[str]]) -> None:
    record = catalogue(particulars=particulars)
    reordered = catalogue(particulars=dict(reversed(list(particulars.items()))))
    assert canonical_bytes(record) == canonical_bytes(reordered)
    # What is signed parses back to the same record and re-encodes to the same bytes.
    again = LicenceCatalogue.model_validate_json(canonical_bytes(record))
    assert again == record
    assert canonical_bytes(again) == canonical_bytes(record)
    assert b" " not in canonical_bytes(catalogue(particulars={}))
