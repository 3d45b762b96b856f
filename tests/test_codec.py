"""The payload codec: AES-256-GCM, key id in the metadata, old keys still readable after rotation; on a
worker, what no key holder sealed for the case is refused."""

from __future__ import annotations

import base64
import os
import stat

import pytest
from cryptography.exceptions import InvalidTag
from temporalio.api.common.v1 import Payload
from temporalio.converter import WorkflowSerializationContext

from codec import (
    CASE,
    ENCODING,
    KEY_ID,
    REFUSED_FOR_UI,
    REFUSED_NOT_SEALED,
    REFUSED_OTHER_CASE,
    REFUSED_UNREADABLE,
    SEALED_FOR,
    EncryptionCodec,
    codec_from_env,
)

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


# --- the seal as the sender's credential (issue 17) ------------------------------------------------


def for_case(codec: EncryptionCodec, case_id: str) -> EncryptionCodec:
    return codec.with_context(WorkflowSerializationContext(namespace="default", workflow_id=case_id))


async def test_a_workers_codec_refuses_what_no_key_holder_sealed():
    codec = EncryptionCodec(keys("k1"), "k1")
    worker = for_case(codec.refusing(), "case-A")
    [refused] = await worker.decode([PLAIN])
    assert refused.metadata["encoding"] == REFUSED_NOT_SEALED and refused.data == b""
    # The portal's codec (and the UI's endpoint) still shows plain payloads as they are.
    assert await codec.decode([PLAIN]) == [PLAIN]


async def test_a_payload_sealed_for_its_case_is_refused_in_another_and_its_case_cannot_be_rewritten():
    codec = EncryptionCodec(keys("k1"), "k1")
    [sealed] = await for_case(codec, "case-A").encode([PLAIN])
    assert sealed.metadata[CASE] == b"case-A"
    assert await for_case(codec.refusing(), "case-A").decode([sealed]) == [PLAIN]
    [refused] = await for_case(codec.refusing(), "case-B").decode([sealed])
    assert refused.metadata["encoding"] == REFUSED_OTHER_CASE
    rewritten = Payload(metadata={**dict(sealed.metadata), CASE: b"case-B"}, data=sealed.data)
    [refused] = await for_case(codec.refusing(), "case-B").decode([rewritten])
    assert refused.metadata["encoding"] == REFUSED_UNREADABLE  # the case is under the tag
    with pytest.raises(InvalidTag):
        await codec.decode([rewritten])  # the portal's codec says so loudly
    # Without a case (the Web UI asks with none), the case in clear tells what to check.
    assert await codec.decode([sealed]) == [PLAIN]


async def test_what_the_codec_endpoint_seals_is_for_the_ui_only():
    codec = EncryptionCodec(keys("k1"), "k1")
    [sealed] = await for_case(codec.for_ui(), "case-A").encode([PLAIN])  # no case: it is for the UI
    assert sealed.metadata[SEALED_FOR] == b"ui" and CASE not in sealed.metadata
    assert await codec.decode([sealed]) == [PLAIN]
    [refused] = await for_case(codec.refusing(), "case-A").decode([sealed])
    assert refused.metadata["encoding"] == REFUSED_FOR_UI
    relabelled = Payload(
        metadata={k: v for k, v in sealed.metadata.items() if k != SEALED_FOR}, data=sealed.data
    )
    [refused] = await for_case(codec.refusing(), "case-A").decode([relabelled])
    assert refused.metadata["encoding"] == REFUSED_UNREADABLE  # the purpose is under the tag too


async def test_a_worker_refuses_instead_of_raising_so_a_forged_payload_holds_up_no_case():
    codec = EncryptionCodec(keys("k1"), "k1").refusing()
    [sealed] = await for_case(EncryptionCodec(keys("k1"), "k1"), "case-A").encode([PLAIN])  # other key
    garbage = Payload(metadata={"encoding": ENCODING, KEY_ID: b"k1"}, data=b"\0" * 40)
    no_key_id = Payload(metadata={"encoding": ENCODING}, data=b"")
    decoded = await for_case(codec, "case-A").decode([sealed, garbage, no_key_id])
    assert [p.metadata["encoding"] for p in decoded] == [REFUSED_UNREADABLE] * 3


async def test_payloads_sealed_before_cases_were_bound_stay_readable_by_a_worker():
    both = keys("k1")
    legacy = EncryptionCodec(both, "k1")  # no context: the key id alone is bound, as before issue 17
    [sealed] = await legacy.encode([PLAIN])
    assert CASE not in sealed.metadata
    assert await for_case(EncryptionCodec(both, "k1").refusing(), "case-A").decode([sealed]) == [PLAIN]
