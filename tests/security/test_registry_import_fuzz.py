"""A registry import is all or nothing, whatever the file: Hypothesis-generated bad snapshots.

`onething registry import` validates the whole file before it touches the database, and
`store.registries.import_snapshot` writes in one transaction. So a malformed snapshot (a wrong value
anywhere, a missing or unknown key, a repeated key, a truncated file) exits 2 naming the field and
changes no row; and a valid one that fails half-way through its INSERTs leaves no row behind either.
Runs on SQLite, the embedded stack's database (tests/store covers the schema on PostgreSQL too).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import event

from cli import registry
from cli.errors import BadInput
from store.db import make_engine, migrate, session_factory
from store.registries import RegistrySnapshot, import_snapshot
from tests.security.fuzz import FUZZ, INJECTIONS

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "registry.sample.json"


def onething(*argv: str) -> tuple[int, str]:
    """The `registry` command with `cli.main`'s error contract; returns (exit code, stderr)."""
    parser = argparse.ArgumentParser(prog="onething")
    registry.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return args.handler(args), ""
    except BadInput as exc:
        return 2, f"onething {args.command}: {exc}"


def digest(db_file: Path) -> str:
    """Every row of every table, in a stable order: equal digests mean nothing was written."""
    with contextlib.closing(sqlite3.connect(db_file)) as conn:
        tables = [
            t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
        ]
        text = "".join(
            f"{table}:{sorted(map(repr, conn.execute(f'SELECT * FROM {table}')))}" for table in tables
        )
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def imported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A database holding the sample registry, imported through the command."""
    db_file = tmp_path / "data" / "onething.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{db_file}")
    assert onething("registry", "import", str(SAMPLE))[0] == 0
    yield db_file


def leaves(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path


def records(document: dict[str, Any]) -> list[tuple[str, int]]:
    return [
        (table, i) for table, rows in document.items() if isinstance(rows, list) for i in range(len(rows))
    ]


SAMPLE_DOCUMENT: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
LEAVES = list(leaves(SAMPLE_DOCUMENT))
RECORDS = records(SAMPLE_DOCUMENT)
ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(INJECTIONS),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def malformed(draw: st.DrawFn) -> tuple[str, bytes, str | None]:
    """(what was done, the file's bytes, the table the error must name or None)."""
    document = copy.deepcopy(SAMPLE_DOCUMENT)
    kind = draw(st.sampled_from(["value", "missing", "unknown", "repeated", "truncated", "top"]))
    table: str | None = None
    if kind == "value":
        path = draw(st.sampled_from(LEAVES))
        target = document
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = draw(ANY_JSON)
        table = str(path[0])
    elif kind == "missing":
        table, index = draw(st.sampled_from(RECORDS))
        record = document[table][index]
        del record[draw(st.sampled_from(sorted(record)))]
    elif kind == "unknown":
        table, index = draw(st.sampled_from(RECORDS))
        document[table][index][draw(st.text(min_size=1, max_size=12))] = draw(ANY_JSON)
    elif kind == "repeated":
        table, index = draw(st.sampled_from(RECORDS))
        document[table].append(copy.deepcopy(document[table][index]))
    elif kind == "top":
        document = draw(st.one_of(ANY_JSON.filter(lambda v: not isinstance(v, dict)), st.just({})))
    text = json.dumps(document).encode()  # a lone surrogate goes out as its \ud800 escape
    if kind == "truncated":
        text = text[: draw(st.integers(0, len(text) - 1))]
    try:  # only what the import schema refuses: a mutation that happens to be valid proves nothing here
        RegistrySnapshot.model_validate(json.loads(text))
        assume(False)
    except (ValueError, ValidationError):
        pass
    return kind, text, table


def test_a_malformed_snapshot_exits_2_names_the_field_and_changes_nothing(imported: Path, tmp_path: Path):
    before = digest(imported)
    bad_file = tmp_path / "bad.json"

    @settings(FUZZ, max_examples=200)
    @given(case=malformed())
    def run(case: tuple[str, bytes, str | None]) -> None:
        kind, text, table = case
        bad_file.write_bytes(text)
        code, err = onething("registry", "import", str(bad_file))
        assert code == 2, (kind, text[:200])
        assert err.startswith("onething registry: "), err
        if table is not None:
            assert f"{table}." in err or f"{table}:" in err, (kind, table, err[:300])
        assert digest(imported) == before, f"{kind}: a refused snapshot changed the database"

    run()


@st.composite
def valid_variant(draw: st.DrawFn) -> dict[str, Any]:
    """The sample with a random subset of each table's rows and a new source: valid, and different."""
    document = copy.deepcopy(SAMPLE_DOCUMENT)
    for table, rows in document.items():
        if isinstance(rows, list) and rows:
            keep = draw(st.sets(st.integers(0, len(rows) - 1), min_size=1))
            document[table] = [row for i, row in enumerate(rows) if i in keep]
    document["source"] = draw(st.text(min_size=1, max_size=40).filter(str.strip))
    return document


class InjectedFailure(Exception):
    pass


def test_an_import_that_fails_half_way_writes_nothing(tmp_path: Path):
    """The k-th INSERT of a valid snapshot fails (a lost connection, a full disk): no row of it stays."""
    db_file = tmp_path / "registry.db"
    url = f"sqlite+aiosqlite:///{db_file}"

    async def prepare() -> None:
        engine = make_engine(url)
        try:
            await migrate(engine)
            snapshot = RegistrySnapshot.model_validate(SAMPLE_DOCUMENT)
            await import_snapshot(session_factory(engine), snapshot)
        finally:
            await engine.dispose()

    asyncio.run(prepare())
    before = digest(db_file)

    async def import_failing_at(snapshot: RegistrySnapshot, fail_at: int) -> int:
        engine = make_engine(url)
        inserts = 0

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def fail(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            nonlocal inserts
            if statement.lstrip().upper().startswith("INSERT"):
                inserts += 1
                if inserts == fail_at:
                    raise InjectedFailure(f"INSERT #{fail_at}")

        try:
            with contextlib.suppress(InjectedFailure):
                await import_snapshot(session_factory(engine), snapshot)
        finally:
            await engine.dispose()
        return inserts

    @settings(FUZZ, max_examples=25)
    @given(document=valid_variant(), data=st.data())
    def run(document: dict[str, Any], data: st.DataObject) -> None:
        snapshot = RegistrySnapshot.model_validate(document)
        total = asyncio.run(import_failing_at(snapshot, fail_at=0))  # counts the INSERTs, fails none
        reference = digest(db_file)
        assert reference != before, "the import that counted the INSERTs wrote nothing"
        fail_at = data.draw(st.integers(1, total), label="fail_at")
        asyncio.run(import_failing_at(snapshot, fail_at))
        assert digest(db_file) == reference, f"INSERT #{fail_at} of {total} failed and left rows behind"

    run()
