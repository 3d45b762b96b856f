"""The payload codec: AES-256-GCM, key id in the metadata, old keys still readable after rotation."""

from __future__ import annotations

import base64
import os
import stat

import pytest
from cryptography.exceptions import InvalidTag
from temporalio.api.common.v1 import Payload

from codec import ENCODING, KEY_ID, EncryptionCodec, codec_from_env

PLAIN = Payload(
    metadata={"encoding": b"json/plain"},
    data='{"name":"测试经办人甲","id_number":"11010519491231002X"}'.encode(),
)


def keys(*ids: str) -> dict[str, bytes]:
    return {key_id: os.urandom(32) for key_id in ids}


async def test_round_trip_hides_the_plaintext_and_names_the_key():
    codec = EncryptionCodec(keys("k1"), "k1")
    [sealed] = await codec.encode([PLAIN])
    assert sealed.metadata["encoding"] == ENCODING and sealed.metadata[KEY_ID] == b"k1"
    assert b"11010519491231002X" not in sealed.data and "测试经办人甲".encode() not in sealed.data
    assert await codec.decode([sealed]) == [PLAIN]


async def test_rotation_reads_old_payloads_and_writes_with_the_new_key():
    both = keys("old", "new")
    old = EncryptionCodec({"old": both["old"]}, "old")
    [sealed_old] = await old.encode([PLAIN])
    rotated = EncryptionCodec(both, "new")
    [sealed_new] = await rotated.encode([PLAIN])
    assert sealed_new.metadata[KEY_ID] == b"new"
    assert await rotated.decode([sealed_old, sealed_new]) == [PLAIN, PLAIN]


async def test_tampering_and_unknown_keys_fail_loudly():
    codec = EncryptionCodec(keys("k1"), "k1")
    [sealed] = await codec.encode([PLAIN])
    tampered = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    with pytest.raises(InvalidTag):
        await codec.decode([tampered])
    with pytest.raises(ValueError, match="unknown key id"):
        await EncryptionCodec(keys("k2"), "k2").decode([sealed])


async def test_unencrypted_payloads_pass_through():
    codec = EncryptionCodec(keys("k1"), "k1")
    assert await codec.decode([PLAIN]) == [PLAIN]


def test_keys_from_configuration_are_validated():
    good = base64.b64encode(os.urandom(32)).decode()
    codec = codec_from_env({"ONETHING_CODEC_KEYS": f"a:{good},b:{good}", "ONETHING_CODEC_KEY_ID": "b"}, None)  # type: ignore[arg-type]
    assert isinstance(codec, EncryptionCodec)
    with pytest.raises(ValueError, match="32 bytes"):
        codec_from_env({"ONETHING_CODEC_KEYS": "a:" + base64.b64encode(b"short").decode()}, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ONETHING_CODEC_KEY_ID"):
        codec_from_env({"ONETHING_CODEC_KEYS": f"a:{good}", "ONETHING_CODEC_KEY_ID": "zzz"}, None)  # type: ignore[arg-type]


async def test_the_development_key_is_created_once_private_and_reused(tmp_path):
    first = codec_from_env({}, tmp_path)
    [sealed] = await first.encode([PLAIN])
    again = codec_from_env({}, tmp_path)
    assert await again.decode([sealed]) == [PLAIN]
    mode = stat.S_IMODE((tmp_path / "codec-dev-key.json").stat().st_mode)
    assert mode == 0o600
