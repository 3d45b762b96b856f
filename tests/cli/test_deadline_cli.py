"""`onething deadline`: JSON on stdout, one line naming the field on stderr, exit codes 0 and 2.

It counts on the calendar the workers use: built-in notices and the store's (`onething calendar add`),
here a fresh SQLite store per test (DATABASE_URL)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main

ONETHING = Path(sys.executable).parent / "onething"
Capture = pytest.CaptureFixture[str]

NOTICE_2027 = {
    "year": 2027,
    "source": "test notice for 2027 (not the State Council's)",
    "holidays": ["2027-01-01"],
    "make_up_workdays": ["2027-01-02"],
}


@pytest.fixture(autouse=True)
def _store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONETHING_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'onething.db'}")
    monkeypatch.delenv("ONETHING_CALENDAR_FILES", raising=False)


def run(capsys: Capture, *argv: str) -> tuple[int, str, str]:
    code = main(["deadline", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        ("2026-09-28", "5", "2026-10-10"),  # Sep 29, 30, Oct 8, 9, 10 (make-up Saturday)
        ("2026-09-30", "2", "2026-10-09"),
        ("2025-01-27", "4", "2025-02-08"),  # across 春节 2025
        ("2026-03-02", "0", "2026-03-02"),
    ],
)
def test_prints_the_due_date(capsys: Capture, start: str, n: str, due: str) -> None:
    code, out, err = run(capsys, "--start", start, "--working-days", n)
    assert code == 0
    assert err == ""
    assert json.loads(out) == {"start": start, "working_days": int(n), "due": due, "provisional": False}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--start", "2026-02-30", "--working-days", "5"], "--start: expected a date as YYYY-MM-DD"),
        (["--start", "20260928", "--working-days", "5"], "--start: expected a date as YYYY-MM-DD"),
        (["--start", "tomorrow", "--working-days", "5"], "--start: expected a date as YYYY-MM-DD"),
        (["--start", "2026-09-28", "--working-days", "-1"], "--working-days: must be 0 or more, got -1"),
        (["--start", "2026-09-28", "--working-days", "five"], "--working-days: expected a whole number"),
        (["--start", "2027-03-01", "--working-days", "5"], "no State Council holiday notice for 2027"),
        (["--start", "2026-12-30", "--working-days", "5"], "no State Council holiday notice for 2027"),
        (["--start", "2023-12-29", "--working-days", "1"], "no State Council holiday notice for 2023"),
    ],
)
def test_bad_input_names_the_field(capsys: Capture, argv: list[str], message: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("onething deadline: ")
    assert message in err


def test_a_missing_argument_is_argparse_usage_error(capsys: Capture) -> None:
    with pytest.raises(SystemExit) as info:
        main(["deadline", "--working-days", "5"])
    assert info.value.code == 2
    assert "--start" in capsys.readouterr().err


def test_calendar_file_adds_a_year(capsys: Capture, tmp_path: Path) -> None:
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(NOTICE_2027, ensure_ascii=False), encoding="utf-8")
    # Dec 31 (Thu) is the 1st; Jan 1 is off; Jan 2 (Sat) is a make-up working day in the file.
    code, out, err = run(capsys, "--start", "2026-12-30", "--working-days", "2", "--calendar-file", str(path))
    assert (code, err) == (0, "")
    assert json.loads(out)["due"] == "2027-01-02"


def test_calendar_file_may_hold_a_list_and_be_repeated(capsys: Capture, tmp_path: Path) -> None:
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([NOTICE_2027]), encoding="utf-8")
    single = tmp_path / "2028.json"
    single.write_text(json.dumps({**NOTICE_2027, "year": 2028, "holidays": [], "make_up_workdays": []}))
    argv = ["--start", "2027-12-30", "--working-days", "2", "--calendar-file", str(listed)]
    code, out, _ = run(capsys, *argv, "--calendar-file", str(single))
    assert code == 0
    assert json.loads(out)["due"] == "2028-01-03"  # Dec 31 (Fri), then Mon Jan 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not UTF-8 JSON"),
        (
            json.dumps({**NOTICE_2027, "holidays": ["2027-13-01"]}),
            "holidays[0]: '2027-13-01' is not a calendar date",
        ),
        (json.dumps([NOTICE_2027, 7]), "[1]: expected a notice object"),
        (json.dumps({**NOTICE_2027, "year": 2026}), "2026"),  # the official data already has 2026
    ],
)
def test_bad_calendar_file(capsys: Capture, tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "notice.json"
    path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "--start", "2026-03-02", "--working-days", "1", "--calendar-file", str(path))
    assert (code, out) == (2, "")
    assert "--calendar-file: " in err
    assert message in err


def test_unreadable_calendar_file(capsys: Capture, tmp_path: Path) -> None:
    missing = tmp_path / "absent.json"
    code, _, err = run(
        capsys, "--start", "2026-03-02", "--working-days", "1", "--calendar-file", str(missing)
    )
    assert code == 2
    assert f"--calendar-file: cannot read {missing}" in err


def test_the_installed_command() -> None:
    ok = subprocess.run(
        [str(ONETHING), "deadline", "--start", "2026-09-28", "--working-days", "5"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {
        "start": "2026-09-28",
        "working_days": 5,
        "due": "2026-10-10",
        "provisional": False,
    }

    bad = subprocess.run(
        [str(ONETHING), "deadline", "--start", "2027-03-01", "--working-days", "5"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "no State Council holiday notice for 2027" in bad.stderr


def test_a_year_without_a_notice_names_the_year_and_the_option(capsys: Capture) -> None:
    code, out, err = run(capsys, "--start", "2026-12-20", "--working-days", "15")
    assert (code, out) == (2, "")
    assert "2027" in err and "--provisional" in err


def test_provisional_prints_the_due_day_and_says_so(capsys: Capture) -> None:
    # Dec 21–25, 28–31 (9), Jan 1 元旦 off, Jan 4–8 (14), Mon Jan 11 (15).
    code, out, err = run(capsys, "--start", "2026-12-20", "--working-days", "15", "--provisional")
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "start": "2026-12-20",
        "working_days": 15,
        "due": "2027-01-11",
        "provisional": True,
        "provisional_years": [2027],
    }


def test_a_year_the_statutory_rules_do_not_cover_is_refused_even_provisionally(capsys: Capture) -> None:
    code, _, err = run(capsys, "--start", "2023-12-29", "--working-days", "1", "--provisional")
    assert code == 2
    assert "no State Council holiday notice for 2023" in err


def test_after_calendar_add_the_official_due_day_without_the_option(capsys: Capture, tmp_path: Path) -> None:
    notice = tmp_path / "2027.json"
    notice.write_text(
        json.dumps(
            {
                "year": 2027,
                "source": "TEST notice for 2027 (not the State Council's)",
                "holidays": ["2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04"],
                "make_up_workdays": ["2027-01-30"],
            }
        ),
        encoding="utf-8",
    )
    assert main(["calendar", "add", "--no-recount", str(notice)]) == 0
    capsys.readouterr()
    # Dec 21–31 (9), Jan 1–4 off, Jan 5–8 (13), Mon Jan 11 (14), Tue Jan 12 (15): not the provisional Jan 11.
    code, out, err = run(capsys, "--start", "2026-12-20", "--working-days", "15")
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "start": "2026-12-20",
        "working_days": 15,
        "due": "2027-01-12",
        "provisional": False,
    }
