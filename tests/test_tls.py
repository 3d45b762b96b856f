"""bootstrap/tls.py: TLS and mTLS to the Temporal frontend from the variables the `temporal` CLI reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.service import TLSConfig

from bootstrap.tls import temporal_tls
from settings import SettingsError


def test_no_variable_is_plain_tcp() -> None:
    assert temporal_tls({}) is False


def test_a_ca_alone_is_tls_and_a_client_certificate_makes_it_mutual(tmp_path: Path) -> None:
    for name in ("ca.pem", "client.pem", "client.key"):
        (tmp_path / name).write_bytes(name.encode())
    server_only = temporal_tls({"TEMPORAL_TLS_CA_PATH": str(tmp_path / "ca.pem")})
    assert isinstance(server_only, TLSConfig)
    assert (server_only.server_root_ca_cert, server_only.client_cert) == (b"ca.pem", None)
    mutual = temporal_tls(
        {
            "TEMPORAL_TLS_CA_PATH": str(tmp_path / "ca.pem"),
            "TEMPORAL_TLS_CERT_PATH": str(tmp_path / "client.pem"),
            "TEMPORAL_TLS_KEY_PATH": str(tmp_path / "client.key"),
            "TEMPORAL_TLS_SERVER_NAME": "temporal.internal",
        }
    )
    assert isinstance(mutual, TLSConfig)
    assert (mutual.client_cert, mutual.client_private_key, mutual.domain) == (
        b"client.pem",
        b"client.key",
        "temporal.internal",
    )


def test_a_certificate_without_its_key_or_an_unreadable_file_names_the_variable(tmp_path: Path) -> None:
    (tmp_path / "client.pem").write_bytes(b"x")
    with pytest.raises(SettingsError, match="TEMPORAL_TLS_KEY_PATH"):
        temporal_tls({"TEMPORAL_TLS_CERT_PATH": str(tmp_path / "client.pem")})
    with pytest.raises(SettingsError, match="TEMPORAL_TLS_CA_PATH: cannot read"):
        temporal_tls({"TEMPORAL_TLS_CA_PATH": str(tmp_path / "missing.pem")})
