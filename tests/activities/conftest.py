"""Activity dependencies for the activity tests: a migrated database holding the sample registries.

`deps` is a tmp SQLite file. `db_deps` runs on both databases through the store tests' `db` fixture
(SQLite, and PostgreSQL in a per-test schema, marked `postgres`). Both call `configure()`, so the
activities under test find them through `bootstrap.deps.current()`, and un-configure afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bootstrap.deps import Deps, configure
from bootstrap.issuer import SAMPLE_MAIN_CORRIDORS, issuer_from_env
from seal.sm2 import SealKey, generate_key
from store.db import make_engine, migrate, session_factory
from store.registries import RegistrySnapshot, import_snapshot
from tests.store import conftest as store_conftest
from workflows.matters import MATTERS

# The store tests' database fixtures (SQLite + PostgreSQL per-test schema), reused here.
unmigrated_db = store_conftest.unmigrated_db
db = store_conftest.db

SAMPLE_REGISTRY = Path(__file__).resolve().parents[2] / "samples" / "registry.sample.json"


@pytest.fixture(scope="session")
def seal_key() -> SealKey:
    return generate_key()


@pytest.fixture(scope="session")
def sample_snapshot() -> RegistrySnapshot:
    return RegistrySnapshot.model_validate_json(SAMPLE_REGISTRY.read_text(encoding="utf-8"))


def make_deps(sessions: async_sessionmaker[AsyncSession], seal_key: SealKey) -> Deps:
    return Deps(
        sessions=sessions,
        seal_key=seal_key,
        issuer=issuer_from_env({"ONETHING_ISSUER_NAME": "湖南省交通运输厅（测试）"}, MATTERS.licence_kinds),
        main_corridors=SAMPLE_MAIN_CORRIDORS,
    )


@pytest.fixture
async def deps(tmp_path: Path, seal_key: SealKey, sample_snapshot: RegistrySnapshot) -> AsyncIterator[Deps]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'onething.db'}")
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        await import_snapshot(sessions, sample_snapshot)
        built = make_deps(sessions, seal_key)
        configure(built)
        yield built
    finally:
        configure(None)
        await engine.dispose()


@pytest.fixture
async def db_deps(
    db: store_conftest.Db, seal_key: SealKey, sample_snapshot: RegistrySnapshot
) -> AsyncIterator[Deps]:
    """Deps on SQLite and on PostgreSQL (the `db` fixture is parametrised over both)."""
    await import_snapshot(db.sessions, sample_snapshot)
    built = make_deps(db.sessions, seal_key)
    configure(built)
    try:
        yield built
    finally:
        configure(None)
