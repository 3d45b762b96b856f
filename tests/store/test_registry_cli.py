"""`onething registry import`: a good file is imported, a bad one changes nothing and names the field.

Runs on SQLite (the CLI reads DATABASE_URL; the repository tests cover PostgreSQL). The parser is
built here from `cli.registry.register` with the same error contract as `cli.main`.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

import pytest

from cli import registry
from cli.errors import BadInput

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "registry.sample.json"


def onething(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="onething")
    sub = parser.add_subparsers(dest="command", required=True)
    registry.register(sub)
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except BadInput as exc:
        print(f"onething {args.command}: {exc}", file=sys.stderr)
        return 2
    return code


@pytest.fixture
def db_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data" / "onething.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path


def rows(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        (n,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(n)


def test_import_the_sample(db_file: Path, capsys: pytest.CaptureFixture[str]):
    assert onething("registry", "import", str(SAMPLE)) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sample"] is True and out["snapshot_id"] == 1
    assert out["counts"] == {
        "carriers": 6,
        "vehicles": 19,
        "transport_certificates": 12,
        "drivers": 8,
        "credit_grades": 6,
        "business_licences": 4,
    }
    assert rows(db_file, "vehicles") == 19
    assert rows(db_file, "business_licences") == 4
    # Again: the same rows, one more snapshot logged.
    assert onething("registry", "import", str(SAMPLE)) == 0
    assert rows(db_file, "vehicles") == 19
    assert rows(db_file, "registry_snapshots") == 2


def test_a_bad_file_names_the_field_and_writes_nothing(
    db_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    good = data["carriers"][2]["credit_code"]
    data["carriers"][2]["credit_code"] = good[:17] + ("0" if good[17] != "0" else "1")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    assert onething("registry", "import", str(bad)) == 2
    err = capsys.readouterr().err
    assert f"carriers.2.credit_code: check character should be {good[17]}" in err
    assert not db_file.exists()

    # With data already in place, a bad file leaves it untouched.
    assert onething("registry", "import", str(SAMPLE)) == 0
    assert onething("registry", "import", str(bad)) == 2
    assert rows(db_file, "carriers") == 6
    assert rows(db_file, "registry_snapshots") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not UTF-8 JSON"),
        (b"[]", "Input should be a valid dictionary"),
        (b'{"source": "x", "sample": false, "trucks": []}', "trucks: Extra inputs are not permitted"),
    ],
)
def test_unreadable_files(
    db_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
):
    path = tmp_path / "f.json"
    path.write_bytes(content)
    assert onething("registry", "import", str(path)) == 2
    assert message in capsys.readouterr().err
    assert not db_file.exists()


def test_a_missing_file(db_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert onething("registry", "import", str(tmp_path / "nope.json")) == 2
    assert "cannot read" in capsys.readouterr().err
