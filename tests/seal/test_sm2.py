"""The electronic seal: SM2 with SM3 through gmssl, checked against known answers and an independent SM2."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from gmssl import sm2 as gmssl_sm2
from gmssl import sm3 as gmssl_sm3
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.licence import (
    HolderCodeType,
    LicenceCatalogue,
    LicenceStatus,
    canonical_bytes,
    make_licence_identifier,
    serial_for,
)
from seal import sm2 as seal

# -- an independent SM2 (GB/T 32918), python ints only; gmssl's SM3 is the only thing shared ---------------


def sm3(data: bytes) -> bytes:
    return bytes.fromhex(gmssl_sm3.sm3_hash(list(data)))


@dataclass(frozen=True)
class Curve:
    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int

    def add(self, P: tuple[int, int] | None, Q: tuple[int, int] | None) -> tuple[int, int] | None:
        if P is None:
            return Q
        if Q is None:
            return P
        (x1, y1), (x2, y2) = P, Q
        if x1 == x2 and (y1 + y2) % self.p == 0:
            return None
        if P == Q:
            slope = (3 * x1 * x1 + self.a) * pow(2 * y1, -1, self.p) % self.p
        else:
            slope = (y2 - y1) * pow(x2 - x1, -1, self.p) % self.p
        x3 = (slope * slope - x1 - x2) % self.p
        return x3, (slope * (x1 - x3) - y1) % self.p

    def mul(self, k: int, P: tuple[int, int]) -> tuple[int, int] | None:
        result: tuple[int, int] | None = None
        addend: tuple[int, int] | None = P
        while k:
            if k & 1:
                result = self.add(result, addend)
            addend = self.add(addend, addend)
            k >>= 1
        return result

    def digest(self, user_id: bytes, public: tuple[int, int], message: bytes) -> int:
        def b32(v: int) -> bytes:
            return v.to_bytes(32, "big")

        z = sm3(
            (len(user_id) * 8).to_bytes(2, "big")
            + user_id
            + b"".join(map(b32, (self.a, self.b, self.gx, self.gy, *public)))
        )
        return int.from_bytes(sm3(z + message), "big")

    def sign(self, d: int, user_id: bytes, message: bytes, k: int) -> tuple[int, int]:
        public = self.mul(d, (self.gx, self.gy))
        assert public is not None
        e = self.digest(user_id, public, message)
        point = self.mul(k, (self.gx, self.gy))
        assert point is not None
        r = (e + point[0]) % self.n
        s = pow(1 + d, -1, self.n) * (k - r * d) % self.n
        return r, s

    def verify(self, public: tuple[int, int], user_id: bytes, message: bytes, r: int, s: int) -> bool:
        if not (1 <= r < self.n and 1 <= s < self.n):
            return False
        t = (r + s) % self.n
        if t == 0:
            return False
        point = self.add(self.mul(s, (self.gx, self.gy)), self.mul(t, public))
        if point is None:
            return False
        return (self.digest(user_id, public, message) + point[0]) % self.n == r


def h(text: str) -> int:
    return int(text.replace(" ", ""), 16)


# sm2p256v1, GB/T 32918.5-2017.
SM2P256V1 = Curve(
    p=h("FFFFFFFE FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF 00000000 FFFFFFFF FFFFFFFF"),
    a=h("FFFFFFFE FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF 00000000 FFFFFFFF FFFFFFFC"),
    b=h("28E9FA9E 9D9F5E34 4D5A9E4B CF6509A7 F39789F5 15AB8F92 DDBCBD41 4D940E93"),
    gx=h("32C4AE2C 1F198119 5F990446 6A39C994 8FE30BBF F2660BE1 715A4589 334C74C7"),
    gy=h("BC3736A2 F4F6779C 59BDCEE3 6B692153 D0A9877C C62A4740 02DF32E5 2139F0A0"),
    n=h("FFFFFFFE FFFFFFFF FFFFFFFF FFFFFFFF 7203DF6B 21C6052B 53BBF409 39D54123"),
)

# The example curve of GM/T 0003.2-2012 Annex A.2 (not the recommended curve): it checks the
# independent implementation itself, with a user ID other than the default.
EXAMPLE_CURVE = Curve(
    p=h("8542D69E 4C044F18 E8B92435 BF6FF7DE 45728391 5C45517D 722EDB8B 08F1DFC3"),
    a=h("787968B4 FA32C3FD 2417842E 73BBFEFF 2F3C848B 6831D7E0 EC65228B 3937E498"),
    b=h("63E4C6D3 B23B0C84 9CF84241 484BFE48 F61D59A5 B16BA06E 6E12D1DA 27C5249A"),
    gx=h("421DEBD6 1B62EAB6 746434EB C3CC315E 32220B3B ADD50BDC 4C4E6C14 7FEDD43D"),
    gy=h("0680512B CBB42C07 D47349D2 153B70C4 E5D7FDFC BFA36EA1 A85841B9 E46E09A2"),
    n=h("8542D69E 4C044F18 E8B92435 BF6FF7DD 29772063 0485628D 5AE74EE7 C32E79B7"),
)


def public_point(public_key_hex: str) -> tuple[int, int]:
    return int(public_key_hex[2:66], 16), int(public_key_hex[66:], 16)


# -- known answers ---------------------------------------------------------------------------------------


def test_sm3_known_answers() -> None:
    # GB/T 32905-2016 / GM/T 0004-2012, Annex A examples 1 and 2.
    assert sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert sm3(b"abcd" * 16).hex() == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def test_independent_sm2_reproduces_the_gm_t_0003_example() -> None:
    curve, user_id = EXAMPLE_CURVE, b"ALICE123@YAHOO.COM"
    d = h("128B2FA8 BD433C6C 068C8D80 3DFF7979 2A519A55 171B1B65 0C23661D 15897263")
    k = h("6CB28D99 385C175C 94F94E93 4817663F C176D925 DD72B727 260DBAAE 1FB2F96F")
    public = curve.mul(d, (curve.gx, curve.gy))
    assert public == (
        h("0AE4C779 8AA0F119 471BEE11 825BE462 02BB79E2 A5844495 E97C04FF 4DF2548A"),
        h("7C0240F8 8F1CD4E1 6352A73C 17B7F16F 07353E53 A176D684 A9FE0C6B B798E857"),
    )
    z = sm3(
        (len(user_id) * 8).to_bytes(2, "big")
        + user_id
        + b"".join(v.to_bytes(32, "big") for v in (curve.a, curve.b, curve.gx, curve.gy, *public))
    )
    assert z.hex().upper() == "F4A38489E32B45B6F876E3AC2168CA392362DC8F23459C1D1146FC3DBFB7BC9A"
    r, s = curve.sign(d, user_id, b"message digest", k)
    assert r == h("40F1EC59 F793D9F4 9E09DCEF 49130D41 94F79FB1 EED2CAA5 5BACDB49 C4E755D1")
    assert s == h("6FC6DAC3 2C5D5CF1 0C77DFB2 0F7C2EB6 67A45787 2FB09EC5 6327A67E C7DEEBE7")
    assert curve.verify(public, user_id, b"message digest", r, s)


# A published answer on the recommended curve with the default user ID (also in the test suites of
# the gmalg package and of other SM2 implementations).
KAT_PRIVATE = "3945208F 7B2144B1 3F36E38A C6D39F95 88939369 2860B51A 42FB81EF 4DF7C5B8".replace(" ", "")
KAT_PUBLIC = (
    "04"
    "09F9DF31 1E5421A1 50DD7D16 1E4BC5C6 72179FAD 1833FC07 6BB08FF3 56F35020"
    "CCEA490C E26775A5 2DC6EA71 8CC1AA60 0AED05FB F35E084A 6632F607 2DA9AD13"
).replace(" ", "")
KAT_K = h("59276E27 D506861A 16680F3A D9C02DCC EF3CC1FA 3CDBE4CE 6D54B80D EAC1BC21")
KAT_R = h("F5A03B06 48D2C463 0EEAC513 E1BB81A1 5944DA38 27D5B741 43AC7EAC EEE720B3")
KAT_S = h("B1B6AA29 DF212FD8 763182BC 0D421CA1 BB9038FD 1F7F42D4 840B69C4 85BBC1AA")


def test_the_independent_sm2_gives_the_standard_answer_for_the_default_user_id() -> None:
    """The checker below is itself checked: with the published nonce it gives the published answer."""
    assert SM2P256V1.sign(int(KAT_PRIVATE, 16), seal.DEFAULT_USER_ID, b"message digest", KAT_K) == (
        KAT_R,
        KAT_S,
    )
    assert seal.verify(KAT_PUBLIC, b"message digest", encode_dss_signature(KAT_R, KAT_S))


def test_a_seal_under_the_standard_key_verifies_for_the_default_user_id() -> None:
    """GmSSL draws its own nonce, so the known answer is checked by verification, not by bytes: our
    seal under the GM/T 0003 key verifies with the independent SM2 for the default ID, and no other."""
    key = seal.SealKey.from_private_key_hex(KAT_PRIVATE)
    assert key.public_key_hex == KAT_PUBLIC.lower()
    signature = seal.sign(key, b"message digest")
    r, s = decode_dss_signature(signature)
    public = public_point(KAT_PUBLIC)
    assert SM2P256V1.verify(public, seal.DEFAULT_USER_ID, b"message digest", r, s)
    assert not SM2P256V1.verify(public, b"ALICE123@YAHOO.COM", b"message digest", r, s)
    assert not SM2P256V1.verify(public, seal.DEFAULT_USER_ID, b"message digesT", r, s)
    assert seal.verify(KAT_PUBLIC, b"message digest", signature)
    assert signature == encode_dss_signature(r, s)  # the DER of GB/T 35276, minimal


def test_the_digest_a_seal_signs_is_the_standards_e() -> None:
    """`sign` hands GmSSL e = SM3(Z ‖ M) of its own making: it is the independent SM2's, for the
    standard key and for keys whose coordinates start with zeros."""
    for public_key_hex in (
        KAT_PUBLIC,
        KEY_X_STARTS_WITH_0.public_key_hex,
        KEY_X_STARTS_WITH_4.public_key_hex,
    ):
        for message in (b"message digest", b"", "湘超限〔2025〕000123".encode()):
            expected = SM2P256V1.digest(seal.DEFAULT_USER_ID, public_point(public_key_hex), message)
            assert int.from_bytes(seal.message_digest(public_key_hex.lower(), message), "big") == expected


def test_the_curve_is_the_same_everywhere() -> None:
    ours = (seal.P, seal.A, seal.B, seal.GX, seal.GY, seal.N)
    independent = (SM2P256V1.p, SM2P256V1.a, SM2P256V1.b, SM2P256V1.gx, SM2P256V1.gy, SM2P256V1.n)
    table = gmssl_sm2.default_ecc_table
    gmssl = (
        *(int(table[name], 16) for name in ("p", "a", "b")),
        int(table["g"][:64], 16),
        int(table["g"][64:], 16),
        int(table["n"], 16),
    )
    assert ours == independent == gmssl
    assert seal.DEFAULT_USER_ID == b"1234567812345678"
    assert seal.SM2_WITH_SM3_OID == "1.2.156.10197.1.501"


# -- cross-checks with the independent SM2 ---------------------------------------------------------------

# Private keys whose public x begins with hex 0 and 4: gmssl's CryptSM2 constructor lstrip("04")s them.
KEY_X_STARTS_WITH_0 = seal.SealKey.from_private_key_hex(f"{6:064x}")
KEY_X_STARTS_WITH_4 = seal.SealKey.from_private_key_hex(f"{65:064x}")


def test_the_keys_below_do_hit_the_gmssl_constructor_bug() -> None:
    for key, lead in ((KEY_X_STARTS_WITH_0, "0"), (KEY_X_STARTS_WITH_4, "4")):
        assert key.public_key_hex[2] == lead
        mangled = gmssl_sm2.CryptSM2(private_key=None, public_key=key.public_key_hex).public_key
        assert len(mangled) < 128  # what seal._crypt works around


@pytest.mark.parametrize("key", [KEY_X_STARTS_WITH_0, KEY_X_STARTS_WITH_4, seal.generate_key()])
def test_independent_sm2_verifies_seal_signatures(key: seal.SealKey) -> None:
    public = public_point(key.public_key_hex)
    assert SM2P256V1.mul(int(key.private_key_hex, 16), (SM2P256V1.gx, SM2P256V1.gy)) == public
    message = "湘超限〔2025〕000123".encode()
    r, s = decode_dss_signature(seal.sign(key, message))
    assert SM2P256V1.verify(public, seal.DEFAULT_USER_ID, message, r, s)
    assert not SM2P256V1.verify(public, b"ALICE123@YAHOO.COM", message, r, s)  # the ID is in the hash


@pytest.mark.parametrize("key", [KEY_X_STARTS_WITH_0, KEY_X_STARTS_WITH_4])
def test_seal_verifies_independent_signatures(key: seal.SealKey) -> None:
    r, s = SM2P256V1.sign(int(key.private_key_hex, 16), seal.DEFAULT_USER_ID, b"payload", k=0x1234567)
    assert seal.verify(key.public_key_hex, b"payload", encode_dss_signature(r, s))
    assert not seal.verify(key.public_key_hex, b"payloaD", encode_dss_signature(r, s))


# -- sign and verify -------------------------------------------------------------------------------------

KEY = seal.generate_key()


@settings(max_examples=10, deadline=None)
@given(st.binary(max_size=256))
def test_sign_verify_round_trip(data: bytes) -> None:
    assert seal.verify(KEY.public_key_hex, data, seal.sign(KEY, data))


@settings(max_examples=10, deadline=None)
@given(st.binary(min_size=1, max_size=64), st.data())
def test_a_changed_byte_of_data_fails(data: bytes, draw: st.DataObject) -> None:
    signature = seal.sign(KEY, data)
    i = draw.draw(st.integers(0, len(data) - 1))
    flip = draw.draw(st.integers(1, 255))
    changed = data[:i] + bytes([data[i] ^ flip]) + data[i + 1 :]
    assert not seal.verify(KEY.public_key_hex, changed, signature)


def test_a_changed_byte_of_the_signature_fails_at_every_position() -> None:
    data = b"sealed licence"
    signature = seal.sign(KEY, data)
    for i in range(len(signature)):
        for flip in (0x01, 0x80):
            changed = signature[:i] + bytes([signature[i] ^ flip]) + signature[i + 1 :]
            assert not seal.verify(KEY.public_key_hex, data, changed), (i, flip)


def test_another_key_does_not_verify() -> None:
    signature = seal.sign(KEY, b"x")
    assert not seal.verify(seal.generate_key().public_key_hex, b"x", signature)


def test_signatures_are_randomised() -> None:
    assert seal.sign(KEY, b"x") != seal.sign(KEY, b"x")


N = seal.N


@pytest.mark.parametrize(
    ("public_key", "data", "signature"),
    [
        ("", b"x", None),
        ("04", b"x", None),
        ("zz" * 65, b"x", None),
        ("02" + KAT_PUBLIC[2:66], b"x", None),  # compressed form is not accepted
        ("04" + KAT_PUBLIC[2:-1] + ("0" if KAT_PUBLIC[-1] != "0" else "1"), b"x", None),  # off the curve
        ("04" + "00" * 64, b"x", None),
        (KAT_PUBLIC, b"x", b""),
        (KAT_PUBLIC, b"x", b"\x30\x00"),
        (KAT_PUBLIC, b"x", b"\x30\x06\x02\x01\x00\x02\x01\x01"),  # r = 0
        (KAT_PUBLIC, b"x", b"\x30\x06\x02\x01\x01\x02\x01\x00"),  # s = 0
        (KAT_PUBLIC, b"x", encode_dss_signature(N, 1)),
        (KAT_PUBLIC, b"x", encode_dss_signature(1, N - 1)),  # r + s = n
        (KAT_PUBLIC, b"x", b"\xff" * 72),
        (KAT_PUBLIC, "x", None),
        (None, b"x", None),
        (KAT_PUBLIC, None, None),
        (KAT_PUBLIC, b"x", "3045"),
    ],
)
def test_garbage_is_false_not_an_exception(public_key: object, data: object, signature: object) -> None:
    if signature is None:
        signature = seal.sign(seal.SealKey.from_private_key_hex(KAT_PRIVATE), b"x")
    assert seal.verify(public_key, data, signature) is False  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=80))
def test_random_signature_bytes_are_false(signature: bytes) -> None:
    assert seal.verify(KEY.public_key_hex, b"x", signature) is False


# -- DER -------------------------------------------------------------------------------------------------

integers = st.integers(min_value=0, max_value=2**600)


@given(integers, integers)
def test_der_round_trips_and_matches_cryptography(r: int, s: int) -> None:
    der = seal.encode_signature(r, s)
    assert seal.decode_signature(der) == (r, s)
    assert der == encode_dss_signature(r, s)
    assert decode_dss_signature(der) == (r, s)


@given(st.integers(1, N - 1), st.integers(1, N - 1))
def test_der_of_sm2_values_is_short_and_sign_padded(r: int, s: int) -> None:
    der = seal.encode_signature(r, s)
    assert der[0] == 0x30 and der[1] == len(der) - 2 < 0x80
    r_len = der[3]
    r_body = der[4 : 4 + r_len]
    assert r_body[0] < 0x80
    assert (r_body[0] == 0) == (r.bit_length() % 8 == 0)  # the 0x00 appears exactly when the high bit is set


def test_der_known_encodings() -> None:
    assert seal.encode_signature(1, 0x80) == bytes.fromhex("3007020101020200 80".replace(" ", ""))
    assert seal.encode_signature(0x7F, 0xFF) == bytes.fromhex("300702017f020200ff")
    # Over 127 content bytes takes the long length form: r is 138 bytes (02 81 8A …), s is 02 01 01.
    big = seal.encode_signature(2**1100, 1)
    assert big[:6] == bytes.fromhex("308190 02818a")
    assert seal.decode_signature(big) == (2**1100, 1)


@pytest.mark.parametrize(
    "der",
    [
        "3007020200010201 01",  # r = 0x0001: leading zero not needed
        "300602018002 0101",  # r negative
        "30060201010201 0100",  # trailing byte after the SEQUENCE
        "3008020101020101 0500",  # a third element
        "30070201010201 01",  # length says 7, content is 6
        "308106020101020101",  # long length form for a short length
        "3080020101020101 0000",  # indefinite length
        "31060201010201 01",  # SET, not SEQUENCE
        "30060301010201 01",  # BIT STRING, not INTEGER
        "300502000201 01",  # empty INTEGER
        "",
        "30",
    ],
)
def test_der_decoding_is_strict(der: str) -> None:
    with pytest.raises(ValueError):
        seal.decode_signature(bytes.fromhex(der.replace(" ", "")))


@given(st.binary(max_size=80))
def test_der_decoding_raises_only_value_error(data: bytes) -> None:
    try:
        r, s = seal.decode_signature(data)
    except ValueError:
        return
    assert seal.encode_signature(r, s) == data  # whatever decodes is the unique encoding


def test_der_encoding_refuses_negatives() -> None:
    with pytest.raises(ValueError):
        seal.encode_signature(-1, 1)


# -- keys ------------------------------------------------------------------------------------------------


def test_dev_key_is_created_once_with_mode_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "seal.json"
    first = seal.load_or_create_dev_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.stat()
    second = seal.load_or_create_dev_key(path)
    assert second == first
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert os.listdir(path.parent) == ["seal.json"]  # no temporary file left behind
    document = json.loads(path.read_text())
    assert document["public_key"] == first.public_key_hex
    assert seal.verify(first.public_key_hex, b"x", seal.sign(second, b"x"))


def test_dev_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "seal.json"
    seal.load_or_create_dev_key(path)
    path.chmod(0o644)
    with pytest.raises(PermissionError):
        seal.load_or_create_dev_key(path)


def test_dev_key_file_with_a_foreign_public_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "seal.json"
    seal.load_or_create_dev_key(path)
    document = json.loads(path.read_text())
    document["public_key"] = KAT_PUBLIC
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError):
        seal.load_or_create_dev_key(path)


@pytest.mark.parametrize("content", ["", "{}", "[]", '{"private_key": "12", "public_key": ""}'])
def test_a_damaged_dev_key_file_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "seal.json"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(ValueError, match="does not hold an SM2 key pair"):
        seal.load_or_create_dev_key(path)


def test_key_from_config() -> None:
    assert seal.key_from_config({}) is None
    assert seal.key_from_config({"ONETHING_SEAL_PRIVATE_KEY": "  "}) is None
    key = seal.key_from_config({"ONETHING_SEAL_PRIVATE_KEY": KAT_PRIVATE})
    assert key is not None and key.public_key_hex == KAT_PUBLIC.lower()
    assert KAT_PRIVATE.lower() not in repr(key)


@pytest.mark.parametrize("value", ["12", "g" * 64, "00" * 32, f"{N - 1:064x}", KAT_PRIVATE + "00"])
def test_a_malformed_configured_key_raises_without_echoing_it(value: str) -> None:
    with pytest.raises(ValueError) as caught:
        seal.key_from_config({"ONETHING_SEAL_PRIVATE_KEY": value})
    assert value not in str(caught.value)


def test_generated_keys_are_valid_and_distinct() -> None:
    a, b = seal.generate_key(), seal.generate_key()
    assert a != b
    assert seal.SealKey.from_private_key_hex(a.private_key_hex) == a


# -- verifying a sealed licence --------------------------------------------------------------------------

ISSUER = "11430000MB12345670"
TYPE_CODE = ISSUER + "001"
SERIAL = bytes(32)  # a serial key of the tests' own


def licence(**changes: object) -> LicenceCatalogue:
    fields: dict[str, object] = {
        "identifier": make_licence_identifier(TYPE_CODE, ISSUER, serial_for("case-1", "permit", SERIAL), 1),
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
        "holder_code": "91430100MA4L00000F",
        "holder_code_type": HolderCodeType.UNIFIED_SOCIAL_CREDIT_CODE,
        "related_matter": "超限运输车辆行驶公路许可",
        "file_url": "https://licence.example.invalid/files/1.ofd",
        "status": LicenceStatus.VALID,
        "particulars": {"vehicle": "湘A12345", "route": ["G4", "G60"]},
    }
    fields.update(changes)
    return LicenceCatalogue.model_validate(fields)


def sealed(record: LicenceCatalogue) -> tuple[bytes, bytes]:
    data = canonical_bytes(record)
    return data, seal.sign(KEY, data)


def test_a_sealed_licence_within_its_window_is_valid() -> None:
    data, signature = sealed(licence())
    for today in (date(2025, 3, 10), date(2025, 4, 1), date(2025, 6, 9)):
        assert seal.verify_licence(data, signature, KEY.public_key_hex, today) == []


def test_an_expired_licence() -> None:
    data, signature = sealed(licence())
    reasons = seal.verify_licence(data, signature, KEY.public_key_hex, date(2025, 6, 10))
    assert reasons == ["expired: validity ended 2025-06-09"]


def test_a_licence_not_yet_valid() -> None:
    data, signature = sealed(licence())
    reasons = seal.verify_licence(data, signature, KEY.public_key_hex, date(2025, 3, 9))
    assert reasons == ["not yet valid: validity starts 2025-03-10"]


def test_a_tampered_licence() -> None:
    data, signature = sealed(licence())
    tampered = data.replace("湘A12345".encode(), "湘A12346".encode())
    reasons = seal.verify_licence(tampered, signature, KEY.public_key_hex, date(2025, 4, 1))
    assert reasons == ["seal signature does not verify (SM2 with SM3)"]


def test_a_licence_sealed_by_another_key() -> None:
    data, signature = sealed(licence())
    reasons = seal.verify_licence(data, signature, seal.generate_key().public_key_hex, date(2025, 4, 1))
    assert reasons == ["seal signature does not verify (SM2 with SM3)"]


@pytest.mark.parametrize(
    "data",
    [b"", b"not json", b"{}", b'{"identifier": 1}', b"\xff\xfe", b"[]"],
)
def test_a_malformed_licence(data: bytes) -> None:
    signature = seal.sign(KEY, data)  # even correctly sealed garbage is not a licence
    reasons = seal.verify_licence(data, signature, KEY.public_key_hex, date(2025, 4, 1))
    assert len(reasons) == 1 and reasons[0].startswith("catalogue does not parse")


def test_a_malformed_and_unsealed_licence_gives_both_reasons() -> None:
    reasons = seal.verify_licence(b"not json", b"", KEY.public_key_hex, date(2025, 4, 1))
    assert reasons[0] == "seal signature does not verify (SM2 with SM3)"
    assert reasons[1].startswith("catalogue does not parse")


def test_a_revoked_licence() -> None:
    data, signature = sealed(licence(status=LicenceStatus.REVOKED))
    reasons = seal.verify_licence(data, signature, KEY.public_key_hex, date(2025, 4, 1))
    assert reasons == ["status is revoked, not valid"]


def test_a_non_canonical_encoding_is_a_format_problem_even_when_sealed() -> None:
    pretty = json.dumps(json.loads(canonical_bytes(licence())), indent=2, ensure_ascii=False).encode()
    reasons = seal.verify_licence(pretty, seal.sign(KEY, pretty), KEY.public_key_hex, date(2025, 4, 1))
    assert reasons == ["catalogue is not in canonical form"]


def test_a_record_with_schema_problems_is_reported() -> None:
    data, signature = sealed(licence(holder="", valid_to=date(2025, 3, 1)))
    reasons = seal.verify_licence(data, signature, KEY.public_key_hex, date(2025, 3, 10))
    assert "holder is empty" in reasons
    assert "valid_from 2025-03-10 is after valid_to 2025-03-01" in reasons
    assert "expired: validity ended 2025-03-01" in reasons
