"""What the activities need from the outside world, built once per process.

Temporal activities are plain functions registered on a worker; they reach their database, seal key
and issuer through `current()`. The worker calls `configure(await build_deps(settings, ...))` before it
starts polling; tests configure their own (a tmp SQLite file, a generated seal key).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bootstrap.issuer import Issuer, issuer_from_env, main_corridors_from_env
from domain.calendar import WorkingCalendar
from domain.licence import LicenceKind
from domain.notices import official_calendar
from seal.sm2 import (
    PRIVATE_KEY_ENV,
    PUBLIC_KEY_ENV,
    SealKey,
    key_from_config,
    load_or_create_dev_key,
    public_key_from_config,
)
from settings import Settings, SettingsError, is_production
from store.calendar_sources import calendar_from_env
from store.db import make_engine, migrate, session_factory

__all__ = ["Deps", "Issuer", "build_deps", "configure", "current", "dispose"]

DEV_SEAL_KEY_FILE = "seal-dev-key.json"


@dataclass(frozen=True)
class Deps:
    sessions: async_sessionmaker[AsyncSession]
    # None in a process that verifies and publishes but never seals (the portal, which may hold the
    # public key alone: `build_deps(..., sealing=False)`).
    seal_key: SealKey | None
    issuer: Issuer
    main_corridors: tuple[str, ...]
    # The base of the working calendar: the transcribed notices plus ONETHING_CALENDAR_FILES (read at
    # start-up). Every computation puts the store's notices over it (store.holiday_notices.load_calendar).
    calendar: WorkingCalendar = field(default_factory=official_calendar)
    seal_public_key: str | None = None  # when `seal_key` is None: the key licences are verified with

    @property
    def public_key_hex(self) -> str:
        """The seal's public key: what /api/v1/seal/public-key publishes and verifiers check with."""
        if self.seal_key is not None:
            return self.seal_key.public_key_hex
        assert self.seal_public_key is not None
        return self.seal_public_key

    def sealing_key(self) -> SealKey:
        """The key that seals (and keys the licence serials); only processes built to seal hold it."""
        if self.seal_key is None:
            raise RuntimeError("this process was built without the seal's private key: it cannot seal")
        return self.seal_key


_current: Deps | None = None


def configure(deps: Deps | None) -> None:
    """Make `deps` what every activity in this process uses; None un-configures (tests)."""
    global _current
    _current = deps


def current() -> Deps:
    if _current is None:
        raise RuntimeError(
            "activity dependencies are not configured: call bootstrap.deps.configure("
            "await build_deps(settings, licence_kinds=...)) before starting the worker"
        )
    return _current


async def build_deps(
    settings: Settings,
    env: Mapping[str, str] | None = None,
    *,
    licence_kinds: Iterable[LicenceKind],
    sealing: bool = True,
) -> Deps:
    """Deps from settings and the environment: migrated database, seal key, issuer, corridors.

    The seal key is ONETHING_SEAL_PRIVATE_KEY when set. A process that never seals (`sealing=False`:
    the portal) may hold ONETHING_SEAL_PUBLIC_KEY instead, and then has no private key at all. Else,
    never in production, the embedded stack's development key under the data directory (created on
    first use). Issuer and corridors: see bootstrap/issuer.py; `licence_kinds` are the matter
    registry's (`MATTERS.licence_kinds`, workflows/matters.py).
    """
    env = os.environ if env is None else env
    issuer = issuer_from_env(env, licence_kinds)  # fail on bad configuration before touching the database
    corridors = main_corridors_from_env(env)
    seal_key, public_key = _seal_keys(settings, env, sealing)
    await migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    return Deps(
        sessions=session_factory(engine),
        seal_key=seal_key,
        issuer=issuer,
        main_corridors=corridors,
        calendar=calendar_from_env(env),
        seal_public_key=public_key,
    )


def _seal_keys(
    settings: Settings, env: Mapping[str, str], sealing: bool
) -> tuple[SealKey | None, str | None]:
    """The seal key, or (a process that never seals) None and the public key alone."""
    private = key_from_config(env)
    public = public_key_from_config(env)
    if private is not None:
        if public is not None and public != private.public_key_hex:
            raise SettingsError(f"{PUBLIC_KEY_ENV} is not the public key of {PRIVATE_KEY_ENV}")
        return private, None
    if public is not None and not sealing:
        return None, public
    if is_production(env):
        # A key of its own would seal licences (and publish a public key) no other process knows.
        needed = PRIVATE_KEY_ENV if sealing else f"{PUBLIC_KEY_ENV} (or {PRIVATE_KEY_ENV})"
        raise SettingsError(f"{needed} is required in production; no development key is made")
    return load_or_create_dev_key(settings.data_dir / DEV_SEAL_KEY_FILE), None


async def dispose(deps: Deps) -> None:
    """Close the database connections of `deps` (at worker shutdown)."""
    bind = deps.sessions.kw.get("bind")
    if isinstance(bind, AsyncEngine):
        await bind.dispose()
