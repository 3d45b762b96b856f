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
from seal.sm2 import PRIVATE_KEY_ENV, SealKey, key_from_config, load_or_create_dev_key
from settings import Settings, SettingsError, is_production
from store.calendar_sources import calendar_from_env
from store.db import make_engine, migrate, session_factory

__all__ = ["Deps", "Issuer", "build_deps", "configure", "current", "dispose"]

DEV_SEAL_KEY_FILE = "seal-dev-key.json"


@dataclass(frozen=True)
class Deps:
    sessions: async_sessionmaker[AsyncSession]
    seal_key: SealKey
    issuer: Issuer
    main_corridors: tuple[str, ...]
    # The base of the working calendar: the transcribed notices plus ONETHING_CALENDAR_FILES (read at
    # start-up). Every computation puts the store's notices over it (store.holiday_notices.load_calendar).
    calendar: WorkingCalendar = field(default_factory=official_calendar)


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
    settings: Settings, env: Mapping[str, str] | None = None, *, licence_kinds: Iterable[LicenceKind]
) -> Deps:
    """Deps from settings and the environment: migrated database, seal key, issuer, corridors.

    The seal key is ONETHING_SEAL_PRIVATE_KEY when set, else (never in production) the embedded
    stack's development key under the data directory (created on first use). Issuer and corridors:
    see bootstrap/issuer.py; `licence_kinds` are the matter registry's (`MATTERS.licence_kinds`,
    workflows/matters.py).
    """
    env = os.environ if env is None else env
    issuer = issuer_from_env(env, licence_kinds)  # fail on bad configuration before touching the database
    corridors = main_corridors_from_env(env)
    seal_key = key_from_config(env)
    if seal_key is None:
        if is_production(env):
            # A key of its own would seal licences (and publish a public key) no other process knows.
            raise SettingsError(f"{PRIVATE_KEY_ENV} is required in production; no development key is made")
        seal_key = load_or_create_dev_key(settings.data_dir / DEV_SEAL_KEY_FILE)
    await migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    return Deps(
        sessions=session_factory(engine),
        seal_key=seal_key,
        issuer=issuer,
        main_corridors=corridors,
        calendar=calendar_from_env(env),
    )


async def dispose(deps: Deps) -> None:
    """Close the database connections of `deps` (at worker shutdown)."""
    bind = deps.sessions.kw.get("bind")
    if isinstance(bind, AsyncEngine):
        await bind.dispose()
