"""TLS, and mutual TLS, to the Temporal frontend: what workers, portals and the CLI connect with.

The same variables the `temporal` CLI reads (TEMPORAL_TLS_CA_PATH, TEMPORAL_TLS_CERT_PATH,
TEMPORAL_TLS_KEY_PATH, TEMPORAL_TLS_SERVER_NAME), so one environment serves our processes and an
operator's CLI alike. None set: plain TCP, right for the dev server on 127.0.0.1 and wrong for a
cluster frontend anyone on the network reaches (README "Running as a cluster"). A client certificate
makes it mTLS: the frontend, with `requireClientAuth`, then talks to holders of a certificate its
client CA signed, and to nobody else.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from temporalio.service import TLSConfig

from settings import SettingsError

CA_PATH = "TEMPORAL_TLS_CA_PATH"
CERT_PATH = "TEMPORAL_TLS_CERT_PATH"
KEY_PATH = "TEMPORAL_TLS_KEY_PATH"
SERVER_NAME = "TEMPORAL_TLS_SERVER_NAME"


def temporal_tls(env: Mapping[str, str] | None = None) -> TLSConfig | bool:
    """The `tls=` argument of `Client.connect`: False without any TEMPORAL_TLS_ variable set."""
    env = os.environ if env is None else env
    ca, cert, key, server_name = (
        env.get(name, "").strip() for name in (CA_PATH, CERT_PATH, KEY_PATH, SERVER_NAME)
    )
    if not (ca or cert or key or server_name):
        return False
    if bool(cert) != bool(key):
        missing = KEY_PATH if cert else CERT_PATH
        raise SettingsError(f"{missing}: a client certificate and its key go together (mTLS)")
    return TLSConfig(
        server_root_ca_cert=_read(CA_PATH, ca),
        client_cert=_read(CERT_PATH, cert),
        client_private_key=_read(KEY_PATH, key),
        domain=server_name or None,
    )


def _read(name: str, path: str) -> bytes | None:
    if not path:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SettingsError(f"{name}: cannot read {path}: {exc.strerror}") from None
