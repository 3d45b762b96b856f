"""The electronic seal (电子印章): SM2 with SM3 signatures over a licence's canonical bytes.

GB/T 38540-2020 seals sign with SM2 over SM3 (signature algorithm OID 1.2.156.10197.1.501). The
digest is the standard one of GB/T 32918.2 / GM/T 0009: e = SM3(Z ‖ M) with
Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA) and the default user ID "1234567812345678"
(GB/T 35276 / GM/T 0009), passed to GmSSL in plain sight.

Signing and verification go to GmSSL, the reference C implementation of the GM/T algorithms
(gmssl-pyx binding, pinned): a seal in a few milliseconds where pure Python took tens, at every
licence issued, and the audit can verify every licence's seal. GmSSL draws the nonce from its own
CSPRNG, so a signature cannot be compared with a published one: tests/seal/test_sm2.py checks each of
ours by verifying it against the GM/T 0003 key with an independent implementation (itself checked on
the published answers), and checks both directions against it. The pure-Python gmssl package stays
for key derivation only, working around its constructor, which strips *every* leading "0" and "4"
from a public key (`lstrip("04")`).

A signature is the DER encoding of SEQUENCE { INTEGER r, INTEGER s } (GB/T 35276), as in certificates
and OFD seals. This is an adapter (I/O, randomness); the rules of the licence live in domain/licence.py.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import gmssl_pyx
from gmssl import sm2
from pydantic import ValidationError

from domain.licence import LicenceCatalogue, LicenceStatus, canonical_bytes, check_catalogue
from secret_files import create_once, read_private

SM2_WITH_SM3_OID = "1.2.156.10197.1.501"
DEFAULT_USER_ID = b"1234567812345678"
PRIVATE_KEY_ENV = "ONETHING_SEAL_PRIVATE_KEY"
# What a process that verifies and publishes but never seals (the portal) holds instead.
PUBLIC_KEY_ENV = "ONETHING_SEAL_PUBLIC_KEY"

# The recommended curve sm2p256v1 (GB/T 32918.5-2017).
P = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFF_00000000_FFFFFFFF_FFFFFFFF
A = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFF_00000000_FFFFFFFF_FFFFFFFC
B = 0x28E9FA9E_9D9F5E34_4D5A9E4B_CF6509A7_F39789F5_15AB8F92_DDBCBD41_4D940E93
N = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_7203DF6B_21C6052B_53BBF409_39D54123
GX = 0x32C4AE2C_1F198119_5F990446_6A39C994_8FE30BBF_F2660BE1_715A4589_334C74C7
GY = 0xBC3736A2_F4F6779C_59BDCEE3_6B692153_D0A9877C_C62A4740_02DF32E5_2139F0A0

_ECC_TABLE = {
    "n": f"{N:064X}",
    "p": f"{P:064X}",
    "g": f"{GX:064X}{GY:064X}",
    "a": f"{A:064X}",
    "b": f"{B:064X}",
}
_HEX = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class SealKey:
    """An SM2 key pair: private key as 64 hex digits, public key as uncompressed "04" + x + y."""

    private_key_hex: str = field(repr=False)
    public_key_hex: str

    def __post_init__(self) -> None:
        d = _parse_private_key(self.private_key_hex)
        _parse_public_key(self.public_key_hex)
        object.__setattr__(self, "private_key_hex", f"{d:064x}")
        object.__setattr__(self, "public_key_hex", self.public_key_hex.lower())

    @classmethod
    def from_private_key_hex(cls, private_key_hex: str) -> SealKey:
        """The key pair of a private key, public key derived (one scalar multiplication)."""
        return cls(private_key_hex, _public_key_of(_parse_private_key(private_key_hex)))


def generate_key() -> SealKey:
    """A fresh key pair, d drawn uniformly from [1, n − 2] with `secrets`."""
    return SealKey.from_private_key_hex(f"{1 + secrets.randbelow(N - 2):064x}")


def load_or_create_dev_key(path: Path) -> SealKey:
    """The embedded stack's development seal key, created at `path` (mode 0600) on first use.

    Creation is atomic (written to a temporary file, then hard-linked into place), so two processes
    starting together agree on one key. A file readable by group or others is refused.
    """

    def new_key_pair() -> str:
        key = generate_key()
        return json.dumps(
            {
                "algorithm": "SM2",
                "curve": "sm2p256v1",
                "private_key": key.private_key_hex,
                "public_key": key.public_key_hex,
            }
        )

    create_once(path, new_key_pair)
    text = read_private(path, "seal key file")
    try:
        document = json.loads(text)
        key = SealKey.from_private_key_hex(document["private_key"])
        public_key_hex = str(document["public_key"]).lower()
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"seal key file {path} does not hold an SM2 key pair") from error
    if key.public_key_hex != public_key_hex:
        raise ValueError(f"seal key file {path}: the public key does not belong to the private key")
    return key


def key_from_config(env: Mapping[str, str]) -> SealKey | None:
    """The seal key configured in `ONETHING_SEAL_PRIVATE_KEY` (64 hex digits), or None when unset.

    A set but malformed value raises ValueError rather than falling back to the dev key.
    """
    value = env.get(PRIVATE_KEY_ENV, "").strip()
    if not value:
        return None
    try:
        return SealKey.from_private_key_hex(value)
    except ValueError:
        # The message must not carry the secret.
        raise ValueError(f"{PRIVATE_KEY_ENV} is not an SM2 private key (64 hex digits in [1, n-2])") from None


def public_key_from_config(env: Mapping[str, str]) -> str | None:
    """The seal's public key configured in `ONETHING_SEAL_PUBLIC_KEY` ("04" + x + y, lower case), or
    None when unset; a set value that is not a point on sm2p256v1 raises ValueError naming it."""
    value = env.get(PUBLIC_KEY_ENV, "").strip().lower()
    if not value:
        return None
    try:
        _parse_public_key(value)
    except ValueError as error:
        raise ValueError(f"{PUBLIC_KEY_ENV}: {error}") from None
    return value


def sign(key: SealKey, data: bytes) -> bytes:
    """The SM2-with-SM3 signature of `data` under `key` with the default user ID, DER-encoded.

    GmSSL signs the digest e = SM3(Z ‖ M) computed here (`message_digest`): its `sm2_sign` over the
    message takes 4.6 ms a seal here, checking the public key again at every call, where signing the
    digest takes 0.4 ms (issue 18). The signature is the same SM2 signature: `verify` checks it with
    GmSSL's own Z.
    """
    der = gmssl_pyx.sm2_sign_sm3_digest(
        bytes.fromhex(key.private_key_hex), message_digest(key.public_key_hex, bytes(data))
    )
    r, s = decode_signature(der)  # our strict reading; the stored form is always our own encoding
    return encode_signature(r, s)


def message_digest(public_key_hex: str, data: bytes) -> bytes:
    """e = SM3(Z ‖ M), the value an SM2 signature signs (GB/T 32918.2 §6.1), with the default user ID."""
    return bytes(gmssl_pyx.sm3_hash(_signer_z(public_key_hex) + data))


@functools.lru_cache(maxsize=16)
def _signer_z(public_key_hex: str) -> bytes:
    """Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA): one per key, a process seals with one."""
    x, y = _parse_public_key(public_key_hex)
    entl = (8 * len(DEFAULT_USER_ID)).to_bytes(2, "big")
    curve_and_key = b"".join(value.to_bytes(32, "big") for value in (A, B, GX, GY, x, y))
    return bytes(gmssl_pyx.sm3_hash(entl + DEFAULT_USER_ID + curve_and_key))


def verify(public_key_hex: str, data: bytes, der_signature: bytes) -> bool:
    """Whether `der_signature` is a valid SM2-with-SM3 signature of `data`; False on any garbage."""
    try:
        if not isinstance(data, bytes | bytearray) or not isinstance(der_signature, bytes | bytearray):
            return False
        _parse_public_key(public_key_hex)
        r, s = decode_signature(bytes(der_signature))
        if not (1 <= r < N and 1 <= s < N) or (r + s) % N == 0:
            return False
        # GmSSL's verification (C), the same equations over the same Z and e: ~0.6 ms where gmssl's pure
        # Python takes tens, and the audit verifies every licence's seal for 数据合格率.
        public_key = bytes.fromhex(public_key_hex[2:])  # x ‖ y, without the "04"
        return bool(gmssl_pyx.sm2_verify(public_key, bytes(data), bytes(der_signature)))
    except Exception:  # a verifier answers no; it does not crash on hostile input
        return False


def verify_licence(catalogue_bytes: bytes, signature: bytes, public_key_hex: str, today: date) -> list[str]:
    """Why a sealed licence is not valid today; an empty list means it is.

    What a verifier checks per GB/T 38540: the seal's signature over the exact bytes, the format of the
    record (it parses, is in canonical form and passes `check_catalogue`), the validity window and the
    status. (The seal maker's certificate chain is not modelled yet.)
    """
    reasons: list[str] = []
    if not verify(public_key_hex, catalogue_bytes, signature):
        reasons.append("seal signature does not verify (SM2 with SM3)")
    try:
        catalogue = LicenceCatalogue.model_validate_json(catalogue_bytes)
    except ValidationError as error:
        fields = sorted({".".join(str(part) for part in e["loc"]) or "(document)" for e in error.errors()})
        reasons.append(f"catalogue does not parse: {', '.join(fields)}")
        return reasons
    if canonical_bytes(catalogue) != catalogue_bytes:
        reasons.append("catalogue is not in canonical form")
    reasons.extend(check_catalogue(catalogue))
    if today < catalogue.valid_from:
        reasons.append(f"not yet valid: validity starts {catalogue.valid_from}")
    if today > catalogue.valid_to:
        reasons.append(f"expired: validity ended {catalogue.valid_to}")
    if catalogue.status is not LicenceStatus.VALID:
        reasons.append(f"status is {catalogue.status.value}, not valid")
    return reasons


# -- DER: SEQUENCE { INTEGER r, INTEGER s } ------------------------------------------------------------


def encode_signature(r: int, s: int) -> bytes:
    """DER of SEQUENCE { INTEGER r, INTEGER s } for non-negative r and s (minimal lengths)."""
    content = _der_integer(r) + _der_integer(s)
    return b"\x30" + _der_length(len(content)) + content


def decode_signature(der: bytes) -> tuple[int, int]:
    """(r, s) from strict DER; raises ValueError on anything not minimally encoded or with trailing bytes."""
    content, rest = _der_read(der, 0x30)
    if rest:
        raise ValueError("bytes after the signature SEQUENCE")
    r_bytes, content = _der_read(content, 0x02)
    s_bytes, content = _der_read(content, 0x02)
    if content:
        raise ValueError("more than two elements in the signature SEQUENCE")
    return _der_integer_value(r_bytes), _der_integer_value(s_bytes)


def _der_integer(value: int) -> bytes:
    if value < 0:
        raise ValueError("a signature component is never negative")
    # One extra bit for the sign: a high bit set in the first byte gets a leading 0x00.
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return b"\x02" + _der_length(len(body)) + body


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def _der_read(data: bytes, tag: int) -> tuple[bytes, bytes]:
    """The content of the TLV at the start of `data` with `tag`, and what follows it."""
    if len(data) < 2 or data[0] != tag:
        raise ValueError(f"expected tag 0x{tag:02x}")
    first = data[1]
    offset = 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or len(data) < offset + count:
            raise ValueError("bad length")
        length = int.from_bytes(data[offset : offset + count], "big")
        if data[offset] == 0 or length < 0x80:
            raise ValueError("length not minimally encoded")
        offset += count
    if len(data) < offset + length:
        raise ValueError("truncated")
    return data[offset : offset + length], data[offset + length :]


def _der_integer_value(content: bytes) -> int:
    if not content:
        raise ValueError("empty INTEGER")
    if content[0] & 0x80:
        raise ValueError("negative INTEGER")
    if len(content) > 1 and content[0] == 0 and not content[1] & 0x80:
        raise ValueError("INTEGER not minimally encoded")
    return int.from_bytes(content, "big")


# -- keys and digests ------------------------------------------------------------------------------------


def _parse_private_key(private_key_hex: str) -> int:
    if len(private_key_hex) != 64 or not _HEX.issuperset(private_key_hex):
        raise ValueError("an SM2 private key is 64 hex digits")
    d = int(private_key_hex, 16)
    if not 1 <= d <= N - 2:  # d = n − 1 has no (1 + d)⁻¹ mod n
        raise ValueError("an SM2 private key lies in [1, n-2]")
    return d


def _parse_public_key(public_key_hex: str) -> tuple[int, int]:
    if (
        len(public_key_hex) != 130
        or not public_key_hex.startswith("04")
        or not _HEX.issuperset(public_key_hex)
    ):
        raise ValueError("an SM2 public key is '04' followed by 128 hex digits")
    x, y = int(public_key_hex[2:66], 16), int(public_key_hex[66:], 16)
    if not (x < P and y < P and (y * y - (x * x * x + A * x + B)) % P == 0):
        raise ValueError("the public key is not a point on sm2p256v1")
    return x, y


def _public_key_of(d: int) -> str:
    xy: str = _crypt(None, f"{d:064x}")._kg(d, _ECC_TABLE["g"])
    return "04" + xy.lower()


def _crypt(public_key_hex: str | None, private_key_hex: str | None = None) -> sm2.CryptSM2:
    crypt = sm2.CryptSM2(private_key=private_key_hex, public_key="", ecc_table=_ECC_TABLE)
    # Set after construction: CryptSM2.__init__ would lstrip("04") the key, eating leading 0s and 4s of x.
    crypt.public_key = public_key_hex[2:].lower() if public_key_hex else ""
    return crypt
