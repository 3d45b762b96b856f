"""Payload encryption for Temporal: the server stores only ciphertext of case data.

Submissions carry personal data (the agent's name, ID number and phone). Every payload a workflow or
activity sends through Temporal is encrypted with AES-256-GCM before it leaves the process; the key
id travels in the payload's metadata so keys can rotate (old ids stay readable while new payloads use
the current one). Officers read cases in the Web UI through the portal's codec endpoint.

Keys: ONETHING_CODEC_KEYS="id1:<base64 32 bytes>,id2:…" with ONETHING_CODEC_KEY_ID naming the current
one; the embedded stack generates a development key in its data directory.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec

from secret_files import create_once, read_private

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12
DEV_KEY_FILE = "codec-dev-key.json"


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over each serialized payload; the key id is bound in as associated data."""

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        if current not in keys:
            raise ValueError(f"ONETHING_CODEC_KEY_ID: no key named {current!r}")
        for key_id, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"ONETHING_CODEC_KEYS: key {key_id!r} must be 32 bytes, not {len(key)}")
        self._keys = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._current = current

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        aead = self._keys[self._current]
        out = []
        for payload in payloads:
            nonce = secrets.token_bytes(NONCE_BYTES)
            sealed = aead.encrypt(nonce, payload.SerializeToString(), self._current.encode())
            out.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID: self._current.encode()},
                    data=nonce + sealed,
                )
            )
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                out.append(payload)  # written before encryption was on, or never encrypted
                continue
            key_id = payload.metadata[KEY_ID].decode()
            aead = self._keys.get(key_id)
            if aead is None:
                raise ValueError(f"payload encrypted with unknown key id {key_id!r}")
            nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
            out.append(Payload.FromString(aead.decrypt(nonce, sealed, key_id.encode())))
        return out


def codec_from_env(env: Mapping[str, str], data_dir: Path) -> EncryptionCodec:
    """Keys from the environment, else the embedded stack's development key (created once, 0600)."""
    configured = env.get("ONETHING_CODEC_KEYS", "").strip()
    if configured:
        keys = {}
        for item in configured.split(","):
            key_id, _, encoded = item.strip().partition(":")
            try:
                keys[key_id] = base64.b64decode(encoded, validate=True)
            except ValueError as exc:
                raise ValueError(f"ONETHING_CODEC_KEYS: key {key_id!r} is not base64") from exc
        return EncryptionCodec(keys, env.get("ONETHING_CODEC_KEY_ID", "").strip() or next(iter(keys)))
    return EncryptionCodec(*_dev_key(data_dir))


def _dev_key(data_dir: Path) -> tuple[dict[str, bytes], str]:
    path = data_dir / DEV_KEY_FILE

    def new_key() -> str:
        key = base64.b64encode(secrets.token_bytes(32)).decode()
        return json.dumps({"key_id": f"dev-{secrets.token_hex(4)}", "key": key})

    create_once(path, new_key)
    data = json.loads(read_private(path, "codec dev key file"))
    return {data["key_id"]: base64.b64decode(data["key"])}, data["key_id"]


def encrypted_converter(codec: EncryptionCodec) -> DataConverter:
    """The pydantic data converter with the encryption codec: for every client and worker."""
    return dataclasses.replace(pydantic_data_converter, payload_codec=codec)
