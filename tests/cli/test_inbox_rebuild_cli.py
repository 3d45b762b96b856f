"""`onething ledger rebuild-inbox` and `rebuild-summaries` fold their read model again from the ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from tests.audit.conftest import sqlite_with_fixture


def test_rebuild_inbox_on_an_empty_store_reports_no_tasks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("ONETHING_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'onething.db'}")
    assert main(["ledger", "rebuild-inbox"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == {"tasks": 0}


def test_rebuild_summaries_folds_one_summary_per_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("ONETHING_DATA_DIR", str(tmp_path))
    url = sqlite_with_fixture(tmp_path / "onething.db")
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["ledger", "rebuild-summaries"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == {"cases": 57}
