"""Tokens without a server: the hashed file, the dev tokens, applicant tokens and their secret."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from portal.auth import (
    APPLICANT_SECRET_FILE,
    DEV_TOKENS_FILE,
    ApplicantTokens,
    Principal,
    Role,
    TokenStore,
    applicant_secret,
    ensure_dev_tokens,
    is_department,
    load_or_create_applicant_secret,
    parse_tokens,
)
from portal.config import DEFAULT_MAX_BODY_BYTES, PortalConfig, tokens_file_for
from settings import Settings

DEV_NAMES = {
    "portal",
    "officer:highway",
    "officer:highway:2",
    "supervisor",
    "officer:road_transport",
    "officer:urban_road",
    "officer:police",
    "officer:province:湖北",
    "auditor",
}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_dev_tokens_are_written_hashed_and_in_plain_text_0600(tmp_path: Path):
    plain_file = ensure_dev_tokens(tmp_path, tmp_path / "tokens.json")
    assert plain_file == tmp_path / DEV_TOKENS_FILE
    assert mode(plain_file) == 0o600
    plain = json.loads(plain_file.read_text(encoding="utf-8"))
    assert set(plain) == DEV_NAMES
    assert all(len(token) >= 43 for token in plain.values())  # 32 random bytes, base64url
    hashed = json.loads((tmp_path / "tokens.json").read_text(encoding="utf-8"))
    by_name = {entry["name"]: entry for entry in hashed["tokens"]}
    assert set(by_name) == DEV_NAMES
    for name, token in plain.items():
        assert by_name[name]["sha256"] == hashlib.sha256(token.encode()).hexdigest()
        assert token not in (tmp_path / "tokens.json").read_text(encoding="utf-8")
    assert by_name["officer:province:湖北"] == {
        "name": "officer:province:湖北",
        "role": "officer",
        "department": "province:湖北",
        "sha256": by_name["officer:province:湖北"]["sha256"],
    }
    assert by_name["portal"]["department"] is None and by_name["auditor"]["role"] == "auditor"


def test_dev_tokens_are_idempotent_and_keep_other_entries(tmp_path: Path):
    tokens_file = tmp_path / "tokens.json"
    first = json.loads(ensure_dev_tokens(tmp_path, tokens_file).read_text(encoding="utf-8"))
    document = json.loads(tokens_file.read_text(encoding="utf-8"))
    production = {"name": "ops", "role": "auditor", "department": None, "sha256": "a" * 64}
    document["tokens"].append(production)
    tokens_file.write_text(json.dumps(document), encoding="utf-8")

    second = json.loads(ensure_dev_tokens(tmp_path, tokens_file).read_text(encoding="utf-8"))
    assert second == first
    entries = json.loads(tokens_file.read_text(encoding="utf-8"))["tokens"]
    assert len(entries) == len(DEV_NAMES) + 1 and production in entries

    # A lost hashed file is rebuilt from the plain tokens; a lost plain file mints new ones.
    tokens_file.unlink()
    ensure_dev_tokens(tmp_path, tokens_file)
    assert TokenStore(tokens_file).identify(first["auditor"]) == Principal("auditor", Role.AUDITOR)


def test_dev_tokens_default_to_the_configured_tokens_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ONETHING_TOKENS_FILE", str(tmp_path / "elsewhere.json"))
    ensure_dev_tokens(tmp_path / "data")
    assert (tmp_path / "elsewhere.json").exists() and not (tmp_path / "data" / "tokens.json").exists()


def test_token_store_identifies_role_and_department(tmp_path: Path):
    tokens_file = tmp_path / "tokens.json"
    plain = json.loads(ensure_dev_tokens(tmp_path, tokens_file).read_text(encoding="utf-8"))
    store = TokenStore(tokens_file)
    assert store.identify(plain["portal"]) == Principal("portal", Role.PORTAL)
    assert store.identify(plain["officer:police"]) == Principal("officer:police", Role.OFFICER, "police")
    assert store.identify("not a token") is None
    assert (
        store.identify(hashlib.sha256(plain["portal"].encode()).hexdigest()) is None
    )  # the hash is no token


def test_token_store_sees_new_tokens_and_survives_a_bad_edit(tmp_path: Path):
    tokens_file = tmp_path / "tokens.json"
    store = TokenStore(tokens_file)  # no file yet: nobody gets in
    assert store.identify("anything") is None
    plain = json.loads(ensure_dev_tokens(tmp_path, tokens_file).read_text(encoding="utf-8"))
    assert store.identify(plain["auditor"]) is not None
    tokens_file.write_text("{broken", encoding="utf-8")
    os.utime(tokens_file, ns=(1, 1))  # a different stamp, whatever the clock's resolution
    assert store.identify(plain["auditor"]) is not None  # previous tokens kept
    with pytest.raises(ValueError):
        TokenStore(tokens_file)  # but a portal does not start on a broken file


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"name": "x", "role": "admin", "department": None, "sha256": "a" * 64}, "role"),
        ({"name": "x", "role": "officer", "department": "finance", "sha256": "a" * 64}, "department"),
        ({"name": "x", "role": "officer", "department": "province:", "sha256": "a" * 64}, "department"),
        ({"name": "x", "role": "portal", "department": "highway", "sha256": "a" * 64}, "department"),
        ({"name": "x", "role": "portal", "department": None, "sha256": "A" * 64}, "sha256"),
        ({"name": "", "role": "portal", "department": None, "sha256": "a" * 64}, "name"),
    ],
)
def test_bad_token_entries_are_refused_naming_the_field(entry: dict[str, object], field: str):
    with pytest.raises(ValueError, match=rf"tokens\[0\]\.{field}:"):
        parse_tokens({"tokens": [entry]}, "tokens.json")


def test_departments():
    assert all(is_department(d) for d in ("highway", "urban_road", "police", "province:湖北"))
    assert not any(is_department(d) for d in ("", "finance", "province:", "province: 湖北", "Highway"))


def test_applicant_tokens_are_derived_per_case(tmp_path: Path):
    secret = load_or_create_applicant_secret(tmp_path)
    assert mode(tmp_path / APPLICANT_SECRET_FILE) == 0o600
    assert load_or_create_applicant_secret(tmp_path) == secret  # created once
    tokens = ApplicantTokens(secret)
    a = tokens.token_for("oversize-transport-A")
    assert (
        a
        == tokens.token_for("oversize-transport-A")
        == ApplicantTokens(secret).token_for("oversize-transport-A")
    )
    case_part, tag = a.split(".")
    assert len(tag) == 64 and int(tag, 16) >= 0
    assert tokens.is_for(a, "oversize-transport-A")
    assert not tokens.is_for(a, "oversize-transport-B")
    assert not ApplicantTokens(b"another secret of at least 32 chars!").is_for(a, "oversize-transport-A")
    assert tokens.issued_for_some_case(a) and not tokens.issued_for_some_case("f" * 64)
    # Stateless: a portal that never issued it (restarted, another replica) still knows it is ours.
    assert ApplicantTokens(secret).issued_for_some_case(a)
    # A forged token naming a case, with a tag that is not ours, is nobody's.
    forged = f"{case_part}.{'0' * 64}"
    assert not tokens.issued_for_some_case(forged) and not tokens.is_for(forged, "oversize-transport-A")
    assert not tokens.issued_for_some_case(f"{tokens.token_for('oversize-transport-B').split('.')[0]}.{tag}")
    assert not any(tokens.issued_for_some_case(t) for t in (".", "x.", ".abc", "%%%.abc", "/w==.x"))
    # Tokens of the earlier format (the bare tag) still open their own case, and only theirs.
    assert tokens.is_for(tag, "oversize-transport-A") and not tokens.is_for(tag, "oversize-transport-B")


def test_applicant_secret_from_env_or_file(tmp_path: Path):
    assert applicant_secret("s" * 32, tmp_path) == b"s" * 32
    assert not (tmp_path / APPLICANT_SECRET_FILE).exists()
    with pytest.raises(ValueError, match="at least 32"):
        applicant_secret("short", tmp_path)
    path = tmp_path / APPLICANT_SECRET_FILE
    applicant_secret(None, tmp_path)
    path.chmod(0o644)
    with pytest.raises(PermissionError):
        load_or_create_applicant_secret(tmp_path)


def test_portal_config_from_env(tmp_path: Path):
    settings = Settings(tmp_path, "sqlite+aiosqlite://", "unused", "default", "q")
    assert PortalConfig.from_env(settings, {}) == PortalConfig(
        tokens_file=tmp_path / "tokens.json", max_body_bytes=DEFAULT_MAX_BODY_BYTES, applicant_secret=None
    )
    config = PortalConfig.from_env(
        settings,
        {
            "ONETHING_TOKENS_FILE": "/etc/onething/tokens.json",
            "ONETHING_PORTAL_MAX_BODY_BYTES": "65536",
            "ONETHING_APPLICANT_SECRET": "x" * 40,
        },
    )
    assert config == PortalConfig(Path("/etc/onething/tokens.json"), 65536, "x" * 40)
    assert tokens_file_for(tmp_path, {}) == tmp_path / "tokens.json"
    for bad in ("lots", "10"):
        with pytest.raises(ValueError, match="ONETHING_PORTAL_MAX_BODY_BYTES"):
            PortalConfig.from_env(settings, {"ONETHING_PORTAL_MAX_BODY_BYTES": bad})
