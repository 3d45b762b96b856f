"""`onething secrets new`: a fresh set of the secrets every worker and portal of a cluster shares.

    onething secrets new > .env                                  # a new cluster
    onething secrets new --keep-codec-keys "$ONETHING_CODEC_KEYS" # rotate the codec key

Prints an env file (NAME=value lines) for compose's `.env`: ONETHING_ENV=production, the payload
codec's keys and current key id, the e-seal's SM2 private key and the applicant-token secret. With
`--keep-codec-keys` the earlier keys stay listed after the new one, so histories encrypted with them
still decrypt, while every new payload uses the new key id. Staff tokens are not made here: they go
into the tokens file (README "Running as a cluster"). Nothing is written to disk.
"""

from __future__ import annotations

import argparse
import base64
import secrets
from datetime import UTC, datetime

from cli.errors import BadInput
from seal.sm2 import generate_key


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("secrets", help="print a fresh set of cluster secrets (env file)")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    new = verbs.add_parser("new", help="print ONETHING_* secrets for every worker and portal")
    new.add_argument(
        "--keep-codec-keys",
        metavar="KEYS",
        help="the current ONETHING_CODEC_KEYS: kept after the new key, for payloads already encrypted",
    )
    new.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    key_id = "k" + datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    codec_keys = [f"{key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"]
    if args.keep_codec_keys:
        for item in args.keep_codec_keys.split(","):
            earlier_id, _, encoded = item.strip().partition(":")
            try:
                if not earlier_id or len(base64.b64decode(encoded, validate=True)) != 32:
                    raise ValueError
            except ValueError:
                raise BadInput(
                    f"--keep-codec-keys: {earlier_id or item!r} is not id:base64 of 32 bytes"
                ) from None
            codec_keys.append(f"{earlier_id}:{encoded}")
    seal = generate_key()
    lines = {
        "ONETHING_ENV": "production",
        "ONETHING_CODEC_KEYS": ",".join(codec_keys),
        "ONETHING_CODEC_KEY_ID": key_id,
        "ONETHING_SEAL_PRIVATE_KEY": seal.private_key_hex,  # the workers' only
        "ONETHING_SEAL_PUBLIC_KEY": seal.public_key_hex,  # the portal's
        "ONETHING_APPLICANT_SECRET": secrets.token_urlsafe(48),
    }
    print("\n".join(f"{name}={value}" for name, value in lines.items()))
    return 0
