"""ONETHING_ENV=production refuses development secrets: `onething worker` and `onething portal`, run as
installed, exit 2 within seconds naming every missing variable, before connecting to anything, and
leave no key file behind. compose.yaml passes the same secrets to every worker and portal."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from settings import PRODUCTION_SECRETS, SettingsError, require_production_secrets, venv_binary
from tests.portal.conftest import portal_settings

ROOT = Path(__file__).resolve().parents[1]


def run_onething(*argv: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv_binary("onething")), *argv],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], **env},
        cwd=cwd,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("command", "role"), [(["worker"], "worker"), (["portal", "--port", "8999"], "portal")]
)
def test_without_its_secrets_a_production_process_exits_2_naming_them(
    command: list[str], role: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    env = {
        "ONETHING_ENV": "production",
        "ONETHING_DATA_DIR": str(data_dir),
        # Nothing listens here: had the process tried to connect first, it would hang or fail otherwise.
        "TEMPORAL_ADDRESS": "127.0.0.1:9",
    }
    result = run_onething(*command, env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    for name in PRODUCTION_SECRETS[role]:
        assert name in result.stderr
    assert "production" in result.stderr
    assert not data_dir.exists() or not any(data_dir.iterdir())  # no development key written


def test_a_tokens_file_that_is_not_there_is_named(tmp_path: Path) -> None:
    env = {
        "ONETHING_ENV": "production",
        "ONETHING_CODEC_KEYS": "k1:" + "A" * 43 + "=",
        "ONETHING_APPLICANT_SECRET": "s" * 40,
        "ONETHING_TOKENS_FILE": str(tmp_path / "missing.json"),
    }
    with pytest.raises(SettingsError, match=r"ONETHING_TOKENS_FILE \(no file at"):
        require_production_secrets("portal", env)
    require_production_secrets("portal", {})  # development: generated secrets are fine
    with pytest.raises(SettingsError, match="ONETHING_ENV must be"):
        require_production_secrets("portal", {"ONETHING_ENV": "prod"})


def test_secrets_new_prints_a_set_production_accepts(tmp_path: Path) -> None:
    result = run_onething("secrets", "new", env={}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    values = dict(line.split("=", 1) for line in result.stdout.splitlines())
    tokens = tmp_path / "tokens.json"
    tokens.write_text('{"tokens": []}')
    for role in PRODUCTION_SECRETS:
        require_production_secrets(role, {**values, "ONETHING_TOKENS_FILE": str(tokens)})
    assert values["ONETHING_ENV"] == "production"
    key_id = values["ONETHING_CODEC_KEY_ID"]
    assert values["ONETHING_CODEC_KEYS"].startswith(f"{key_id}:")

    rotated = run_onething(
        "secrets", "new", "--keep-codec-keys", values["ONETHING_CODEC_KEYS"], env={}, cwd=tmp_path
    )
    keys = dict(line.split("=", 1) for line in rotated.stdout.splitlines())["ONETHING_CODEC_KEYS"]
    assert keys.endswith("," + values["ONETHING_CODEC_KEYS"])  # the old key stays, after the new one
    bad = run_onething("secrets", "new", "--keep-codec-keys", "k1:notbase64", env={}, cwd=tmp_path)
    assert bad.returncode == 2 and "--keep-codec-keys" in bad.stderr


def test_compose_passes_every_production_secret_to_every_worker_and_portal() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    env = compose["x-onething"]["environment"]
    assert env["ONETHING_ENV"] == "production"
    # Every worker and portal gets the shared set and its own role's secrets; beyond them only what is
    # not a secret and is theirs alone (the worker's metrics address). The seal's private key goes to
    # the workers only, the portal gets its public half.
    own = {"worker": {"ONETHING_METRICS_ADDRESS"}, "portal": set()}
    for service in ("worker", "portal"):
        service_env = compose["services"][service]["environment"]
        assert {name: value for name, value in service_env.items() if name in env} == env, service
        assert set(PRODUCTION_SECRETS[service]) <= set(service_env), service
        extra = set(service_env) - set(env) - set(PRODUCTION_SECRETS[service])
        assert extra <= own[service], service
    assert "ONETHING_SEAL_PRIVATE_KEY" not in compose["services"]["portal"]["environment"]


async def test_production_deps_never_make_a_development_seal_key(tmp_path: Path) -> None:
    """Whatever process builds its dependencies in production (a worker, a portal, a command) either has
    the department's seal key or stops: a key of its own would seal and publish what no verifier knows."""
    from bootstrap.deps import build_deps
    from workflows.matters import MATTERS

    settings = portal_settings(tmp_path, "unused")
    production = {"ONETHING_ENV": "production"}
    with pytest.raises(SettingsError, match="ONETHING_SEAL_PRIVATE_KEY is required in production"):
        await build_deps(settings, env=production, licence_kinds=MATTERS.licence_kinds)
    with pytest.raises(SettingsError, match=r"ONETHING_SEAL_PUBLIC_KEY \(or ONETHING_SEAL_PRIVATE_KEY\) is"):
        await build_deps(settings, env=production, licence_kinds=MATTERS.licence_kinds, sealing=False)
    assert not any(tmp_path.iterdir())  # noqa: ASYNC240 (no key file, no database)


async def test_a_portal_with_the_public_key_alone_publishes_it_and_cannot_seal(tmp_path: Path) -> None:
    from bootstrap.deps import build_deps, dispose
    from seal.sm2 import generate_key
    from workflows.matters import MATTERS

    key = generate_key()
    settings = portal_settings(tmp_path, "unused")
    env = {"ONETHING_ENV": "production", "ONETHING_SEAL_PUBLIC_KEY": key.public_key_hex.upper()}
    deps = await build_deps(settings, env=env, licence_kinds=MATTERS.licence_kinds, sealing=False)
    try:
        assert deps.seal_key is None and deps.public_key_hex == key.public_key_hex
        with pytest.raises(RuntimeError, match="cannot seal"):
            deps.sealing_key()
    finally:
        await dispose(deps)
    # A worker is never built from the public key; a key that is not a point is named; a public key
    # beside a private key must be its own.
    with pytest.raises(SettingsError, match="ONETHING_SEAL_PRIVATE_KEY is required"):
        await build_deps(settings, env=env, licence_kinds=MATTERS.licence_kinds)
    with pytest.raises(ValueError, match="ONETHING_SEAL_PUBLIC_KEY: "):
        await build_deps(
            settings,
            env={"ONETHING_SEAL_PUBLIC_KEY": "04" + "0" * 128},
            licence_kinds=MATTERS.licence_kinds,
            sealing=False,
        )
    other = generate_key()
    mismatched = {
        "ONETHING_SEAL_PRIVATE_KEY": key.private_key_hex,
        "ONETHING_SEAL_PUBLIC_KEY": other.public_key_hex,
    }
    with pytest.raises(SettingsError, match="is not the public key of"):
        await build_deps(settings, env=mismatched, licence_kinds=MATTERS.licence_kinds)
