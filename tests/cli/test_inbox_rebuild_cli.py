"""`onething ledger rebuild-inbox` folds the inbox again from the ledger, on a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main


def test_rebuild_inbox_on_an_empty_store_reports_no_tasks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("ONETHING_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'onething.db'}")
    assert main(["ledger", "rebuild-inbox"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == {"tasks": 0}
