"""`onething calendar add|show`: notices validated strictly, stored, shown as the system counts them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cli.main import main

Capture = pytest.CaptureFixture[str]

NOTICE_2027: dict[str, Any] = {
    "year": 2027,
    "source": "TEST notice for 2027 (not the State Council's)",
    "holidays": ["2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04"],
    "make_up_workdays": ["2027-01-30"],
}


@pytest.fixture(autouse=True)
def _store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONETHING_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'onething.db'}")
    monkeypatch.delenv("ONETHING_CALENDAR_FILES", raising=False)


def run(capsys: Capture, *argv: str) -> tuple[int, str, str]:
    code = main(["calendar", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, data: object, name: str = "notice.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def show(capsys: Capture, year: str) -> dict[str, Any]:
    code, out, err = run(capsys, "show", year)
    assert (code, err) == (0, "")
    doc: dict[str, Any] = json.loads(out)
    return doc


def test_2027_is_provisional_until_its_notice_is_added(capsys: Capture, tmp_path: Path) -> None:
    before = show(capsys, "2027")
    assert before["status"] == "provisional"
    assert before["stored"] is False
    assert "全国年节及纪念日放假办法" in before["source"]
    assert "2027-10-05" in before["holidays"]  # 国庆 Oct 1–3 (Fri–Sun): 补假 Mon 4, Tue 5
    assert before["make_up_workdays"] == []

    code, out, err = run(capsys, "add", "--no-recount", str(write(tmp_path, NOTICE_2027)))
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "year": 2027,
        "stored": "added",
        "status": "official",
        "source": NOTICE_2027["source"],
    }
    after = show(capsys, "2027")
    assert after == {**NOTICE_2027, "status": "official", "stored": True}

    # The same notice again changes nothing; a corrected one replaces it.
    assert (
        json.loads(run(capsys, "add", "--no-recount", str(write(tmp_path, NOTICE_2027)))[1])["stored"]
        == "unchanged"
    )
    corrected = {**NOTICE_2027, "holidays": ["2027-01-01"]}
    assert (
        json.loads(run(capsys, "add", "--no-recount", str(write(tmp_path, corrected)))[1])["stored"]
        == "replaced"
    )
    assert show(capsys, "2027")["holidays"] == ["2027-01-01"]


def test_show_statuses(capsys: Capture) -> None:
    assert show(capsys, "2026")["status"] == "official"
    assert show(capsys, "2026")["source"].startswith("国办发明电〔2025〕7号")
    assert show(capsys, "2023") == {
        "year": 2023,
        "status": "missing",
        "source": None,
        "holidays": [],
        "make_up_workdays": [],
        "stored": False,
    }
    code, out, _ = run(capsys, "show")
    assert code == 0
    statuses = {doc["year"]: doc["status"] for doc in json.loads(out)["years"]}
    assert statuses[2024] == statuses[2025] == statuses[2026] == "official"
    assert max(statuses) >= 2027


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"holidays": ["2026-12-31"]}, "holidays: 2026-12-31 is not in 2027"),
        ({"make_up_workdays": ["2027-01-05"]}, "make_up_workdays: 2027-01-05 not a Saturday or Sunday"),
        ({"make_up_workdays": ["2027-01-02"]}, "make_up_workdays: 2027-01-02 also listed as holidays"),
        ({"source": " "}, "source: name the State Council notice"),
        ({"source": "x"}, "source: name the State Council notice"),
        ({"holidays": ["2027-02-30"]}, "holidays[0]: '2027-02-30' is not a calendar date"),
        ({"holidays": "2027-01-01"}, "holidays: expected a list of dates"),
        ({"year": "2027"}, "year: expected an integer year"),
        ({"year": 1900}, "year: expected a year from 2000 to 2100"),
        ({"days": []}, "days: unknown field"),
    ],
)
def test_a_malformed_notice_names_its_field_and_changes_nothing(
    capsys: Capture, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    before = show(capsys, "2027")
    # Without --no-recount: a malformed notice stops before the store and before Temporal.
    code, out, err = run(capsys, "add", str(write(tmp_path, {**NOTICE_2027, **change})))
    assert (code, out) == (2, "")
    assert err.startswith("onething calendar: ")
    assert message in err
    assert show(capsys, "2027") == before


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "is not UTF-8 JSON"), ("[]", "expected one notice object, got list")],
)
def test_a_file_that_is_not_a_notice(capsys: Capture, tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    code, _, err = run(capsys, "add", str(path))
    assert code == 2
    assert f"NOTICE.json: {path}" in err or "NOTICE.json: expected" in err
    assert message in err


def test_a_bad_year_argument(capsys: Capture) -> None:
    code, _, err = run(capsys, "show", "27")
    assert code == 2
    assert "YEAR: expected a year as YYYY" in err
