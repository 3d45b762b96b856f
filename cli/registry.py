"""`onething registry import FILE.json`: load a registry snapshot into the database.

    onething registry import samples/registry.sample.json
    {"snapshot_id": 1, "source": "SAMPLE DATA — …", "sample": true, "counts": {"carriers": 6, …}}

The file is validated completely before the database is touched; a bad file changes nothing and the
error names the field (`carriers.2.credit_code: check character should be X`). The database
(`DATABASE_URL`, default the SQLite file in the data directory) is migrated first, then the snapshot
is imported in one transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from cli.errors import BadInput, describe_validation_error
from settings import Settings
from store.db import make_engine, migrate, session_factory
from store.registries import ImportResult, RegistrySnapshot, import_snapshot


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "registry",
        help="registry data from the data-sharing platform (数据共享平台)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    actions = parser.add_subparsers(dest="registry_command", required=True, metavar="ACTION")
    do_import = actions.add_parser(
        "import",
        help="validate a snapshot file and import it, all or nothing",
        description="Validate FILE against the import schema (store.registries.RegistrySnapshot), "
        "migrate the database, then upsert every row in one transaction.",
    )
    do_import.add_argument("file", metavar="FILE.json", help="snapshot in the import schema")
    do_import.set_defaults(handler=run_import)


def run_import(args: argparse.Namespace) -> int:
    snapshot = read_snapshot(Path(args.file))
    try:
        result = asyncio.run(_import(Settings.from_env().database_url, snapshot))
    except (SQLAlchemyError, OSError) as exc:
        print(f"onething registry import: database error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result.model_dump(), ensure_ascii=False))
    return 0


def read_snapshot(path: Path) -> RegistrySnapshot:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"FILE: cannot read {path}: {exc.strerror}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"FILE: {path} is not UTF-8 JSON: {exc}") from exc
    try:
        return RegistrySnapshot.model_validate(data)
    except ValidationError as exc:
        raise BadInput(describe_validation_error(exc)) from exc


async def _import(database_url: str, snapshot: RegistrySnapshot) -> ImportResult:
    engine = make_engine(database_url)
    try:
        await migrate(engine)
        return await import_snapshot(session_factory(engine), snapshot)
    finally:
        await engine.dispose()
