"""The portal's own settings, read from the environment next to the shared `Settings`.

ONETHING_TOKENS_FILE            hashed bearer tokens (default <data_dir>/tokens.json)
ONETHING_APPLICANT_SECRET       HMAC key of applicant tokens (default: a dev secret file, 0600)
ONETHING_PORTAL_MAX_BODY_BYTES  request body limit (default 256 KiB)
ONETHING_PORTAL_READ_TIMEOUT_SECONDS  longest silence while a request is incomplete (default 15)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from settings import Settings

TOKENS_FILE_ENV = "ONETHING_TOKENS_FILE"
APPLICANT_SECRET_ENV = "ONETHING_APPLICANT_SECRET"  # noqa: S105 (a variable name)
MAX_BODY_ENV = "ONETHING_PORTAL_MAX_BODY_BYTES"
DEFAULT_MAX_BODY_BYTES = 256 * 1024
READ_TIMEOUT_ENV = "ONETHING_PORTAL_READ_TIMEOUT_SECONDS"
DEFAULT_READ_TIMEOUT_SECONDS = 15.0


def tokens_file_for(data_dir: Path, env: Mapping[str, str] | None = None) -> Path:
    """Where the hashed tokens live: ONETHING_TOKENS_FILE, else `<data_dir>/tokens.json`."""
    env = os.environ if env is None else env
    value = env.get(TOKENS_FILE_ENV, "").strip()
    return Path(value) if value else data_dir / "tokens.json"


@dataclass(frozen=True)
class PortalConfig:
    tokens_file: Path
    max_body_bytes: int
    applicant_secret: str | None  # None: use (or create) the dev secret file in the data directory
    read_timeout: float = DEFAULT_READ_TIMEOUT_SECONDS

    @classmethod
    def from_env(cls, settings: Settings, env: Mapping[str, str] | None = None) -> PortalConfig:
        env = os.environ if env is None else env
        raw_limit = env.get(MAX_BODY_ENV, "").strip()
        try:
            limit = int(raw_limit) if raw_limit else DEFAULT_MAX_BODY_BYTES
        except ValueError:
            raise ValueError(f"{MAX_BODY_ENV}: expected a number of bytes, got {raw_limit!r}") from None
        if limit < 1024:
            raise ValueError(f"{MAX_BODY_ENV}: must be at least 1024 bytes, got {limit}")
        raw_timeout = env.get(READ_TIMEOUT_ENV, "").strip()
        try:
            read_timeout = float(raw_timeout) if raw_timeout else DEFAULT_READ_TIMEOUT_SECONDS
        except ValueError:
            raise ValueError(
                f"{READ_TIMEOUT_ENV}: expected a number of seconds, got {raw_timeout!r}"
            ) from None
        if not 0 < read_timeout <= 600:
            raise ValueError(f"{READ_TIMEOUT_ENV}: expected more than 0 and at most 600 seconds")
        return cls(
            tokens_file=tokens_file_for(settings.data_dir, env),
            max_body_bytes=limit,
            applicant_secret=env.get(APPLICANT_SECRET_ENV, "").strip() or None,
            read_timeout=read_timeout,
        )
