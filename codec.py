"""Payload encryption for Temporal: the server stores only ciphertext of case data, and a worker
takes inputs only from the holders of the key.

Submissions carry personal data (the agent's name, ID number and phone). Every payload a workflow or
activity sends through Temporal is encrypted with AES-256-GCM before it leaves the process; the key
id travels in the payload's metadata so keys can rotate (old ids stay readable while new payloads use
the current one). Officers read cases in the Web UI through the portal's codec endpoint.

The seal is also the sender's credential (issue 17). Anyone who reaches the Temporal frontend can
start a workflow, signal it or send it an update (`temporal workflow update …`); only a key holder can
seal a payload, so a worker refuses what is not sealed (`EncryptionCodec.refusing`). A sealed payload
names its case in clear and binds it into the tag: one copied out of a case's history (readable by
anyone with frontend access) is refused in a message to another case. The codec endpoint, which
seals for any officer, seals "for the UI", which no worker accepts. What an update says about its
sender (the answering department and officer) is written by the portal from the caller's token and
sealed with the rest: that sealed input is the envelope (workflows/case/messages.py).

Keys: ONETHING_CODEC_KEYS="id1:<base64 32 bytes>,id2:…" with ONETHING_CODEC_KEY_ID naming the current
one; the embedded stack generates a development key in its data directory.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Self

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)

from secret_files import create_once, read_private

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
# The case (workflow id) a payload is sealed for, in clear beside the ciphertext and bound into it as
# associated data: a payload copied from one case's history into a message to another fails there.
CASE = "onething-case"
# "ui": sealed by the codec endpoint for the Web UI (portal/codec.py), never accepted by a worker.
SEALED_FOR = "onething-sealed-for"
FOR_UI = b"ui"
NONCE_BYTES = 12
DEV_KEY_FILE = "codec-dev-key.json"

# What a worker's codec puts in place of a payload it refuses. No payload converter knows these
# encodings, so converting one fails with its name ("Unknown payload encoding binary/refused-…"):
# an update is rejected before its validator runs (nothing reaches the history), a signal is dropped,
# and an activity result or a start input fails the workflow task, which retries (a worker with the
# wrong keys makes cases wait, never fail). Raising in the codec instead would fail the whole
# activation: one forged update would hold a good case's every workflow task.
REFUSED_NOT_SEALED = b"binary/refused-not-sealed-by-a-key-holder"
REFUSED_FOR_UI = b"binary/refused-sealed-for-the-ui"
REFUSED_OTHER_CASE = b"binary/refused-sealed-for-another-case"
REFUSED_UNREADABLE = b"binary/refused-not-decryptable-with-our-keys"


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    """AES-256-GCM over each serialized payload; key id, case and purpose bound in as associated data.

    Who may write a workflow's inputs is who holds the key: the portal (starts, updates), the
    workers (activity results, update results) and `onething calendar` (a signal). A worker decodes
    with `refusing()`: a payload not sealed by a key holder, sealed for the UI by the codec endpoint
    (an officer's token can have anything sealed there), sealed for another case, or not decryptable
    with its keys, is refused (the REFUSED_ encodings). The portal decodes everything it can read.
    """

    def __init__(
        self,
        keys: Mapping[str, bytes],
        current: str,
        *,
        refusing: bool = False,
        for_ui: bool = False,
        case_id: str | None = None,
    ) -> None:
        if current not in keys:
            raise ValueError(f"ONETHING_CODEC_KEY_ID: no key named {current!r}")
        for key_id, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"ONETHING_CODEC_KEYS: key {key_id!r} must be 32 bytes, not {len(key)}")
        self._raw = dict(keys)
        self._keys = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._current = current
        self._refusing = refusing
        self._for_ui = for_ui
        self._case_id = case_id

    def refusing(self) -> EncryptionCodec:
        """The worker's codec: what no key holder sealed for this case is refused, not decoded."""
        return EncryptionCodec(self._raw, self._current, refusing=True, case_id=self._case_id)

    def for_ui(self) -> EncryptionCodec:
        """The codec endpoint's encoder: what it seals the UI can show, but no worker accepts."""
        return EncryptionCodec(self._raw, self._current, for_ui=True)

    def with_context(self, context: SerializationContext) -> Self:
        """The copy for one case: the SDK names the workflow whose input or output is at hand (its
        activities' too), on the client and in the worker alike."""
        if self._for_ui or not isinstance(
            context, WorkflowSerializationContext | ActivitySerializationContext
        ):
            return self
        if not context.workflow_id or context.workflow_id == self._case_id:
            return self
        # A shallow copy sharing the checked keys and their ciphers: the worker asks for one per
        # payload of every command (issue 18), and making the AES-GCM objects again each time showed.
        for_case = copy.copy(self)
        for_case._case_id = context.workflow_id
        return for_case

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        aead = self._keys[self._current]
        out = []
        for payload in payloads:
            metadata = {"encoding": ENCODING, KEY_ID: self._current.encode()}
            if self._for_ui:
                metadata[SEALED_FOR] = FOR_UI
            elif self._case_id is not None:
                metadata[CASE] = self._case_id.encode()
            nonce = secrets.token_bytes(NONCE_BYTES)
            sealed = aead.encrypt(nonce, payload.SerializeToString(), _associated_data(metadata))
            out.append(Payload(metadata=metadata, data=nonce + sealed))
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decode_one(payload) for payload in payloads]

    def _decode_one(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            # Never encrypted: the UI's own plain payloads for display; on a worker, not a key holder's.
            return _refused(REFUSED_NOT_SEALED) if self._refusing else payload
        if self._refusing:
            if payload.metadata.get(SEALED_FOR) == FOR_UI:
                return _refused(REFUSED_FOR_UI)
            bound = payload.metadata.get(CASE)
            if bound is not None and self._case_id is not None and bound != self._case_id.encode():
                return _refused(REFUSED_OTHER_CASE)
            try:
                return self._decrypt(payload)
            except (ValueError, KeyError, InvalidTag, DecodeError):
                return _refused(REFUSED_UNREADABLE)
        return self._decrypt(payload)

    def _decrypt(self, payload: Payload) -> Payload:
        key_id = payload.metadata[KEY_ID].decode()
        aead = self._keys.get(key_id)
        if aead is None:
            raise ValueError(f"payload encrypted with unknown key id {key_id!r}")
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        return Payload.FromString(aead.decrypt(nonce, sealed, _associated_data(payload.metadata)))


def _associated_data(metadata: Mapping[str, bytes]) -> bytes:
    """What the tag covers besides the ciphertext: the key id alone for payloads sealed before cases
    and purposes were bound (they stay readable), else the key id with the case or the purpose."""
    key_id = metadata[KEY_ID]
    if SEALED_FOR in metadata:
        return b"\0".join((key_id, b"for", metadata[SEALED_FOR]))
    if CASE in metadata:
        return b"\0".join((key_id, b"case", metadata[CASE]))
    return key_id


def _refused(encoding: bytes) -> Payload:
    return Payload(metadata={"encoding": encoding}, data=b"")


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
