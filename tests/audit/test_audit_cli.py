"""`onething audit`: formats, --output, --verify-ledger, exit codes; the HTML page in headless Chromium.

The command reads DATABASE_URL; these tests point it at a SQLite file holding the fixture ledger.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import cli.main as cli_main
from tests.audit.conftest import sqlite_with_fixture

Capture = pytest.CaptureFixture[str]
NOW = "2026-10-16T12:00:00+08:00"
CHROMIUM = Path("/usr/bin/chromium")


def run(capsys: Capture, *argv: str) -> tuple[int, str, str]:
    code = cli_main.main(["audit", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ledger(fixture_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", fixture_url)
    monkeypatch.delenv("ONETHING_CALENDAR_FILES", raising=False)
    return fixture_url


def test_from_1_november_the_report_says_next_year_has_no_notice(ledger: str, capsys: Capture) -> None:
    code, out, err = run(capsys, "--format", "json", "--now", "2026-12-01T09:00:00+08:00")
    assert (code, err) == (0, "")
    (note,) = json.loads(out)["calendar"]
    assert (note["year"], note["status"]) == (2027, "provisional")
    assert note["open_cases"] >= 0 and "open case(s)" in note["message"]
    code, out, _ = run(capsys, "--now", "2026-12-01T09:00:00+08:00")
    assert code == 0
    assert "WARNING calendar: no State Council holiday notice for 2027 yet" in out


def test_verify_seals_verifies_again_says_how_far_and_reports_the_same(ledger: str, capsys: Capture) -> None:
    code, trusted, err = run(capsys, "--format", "json", "--now", NOW)
    assert (code, err) == (0, "")
    code, verified, err = run(capsys, "--format", "json", "--now", NOW, "--verify-seals")
    assert code == 0
    assert verified == trusted
    assert re.search(r"^onething audit: seals verified (\d+)/\1$", err, re.MULTILINE), err


def test_json_is_one_document_with_stable_keys(ledger: str, capsys: Capture) -> None:
    code, out, err = run(capsys, "--format", "json", "--now", NOW)
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert list(doc) == [
        "report",
        "version",
        "period",
        "definitions",
        "groups",
        "matters",
        "total",
        "cards",
        "task_durations",
        "bottleneck",
        "on_time_by_week",
        "overdue",
        "targets_missed",
        "licences_outside_report",
        "unreadable_events",
        "calendar",
    ]
    assert doc["unreadable_events"] == 0
    assert doc["calendar"] == []  # 2026-10-16: the 2026 notice is in the data, 2027 not due yet
    assert (doc["report"], doc["version"]) == ("onething-audit", 1)
    assert doc["total"]["received"] == 57
    assert doc["bottleneck"]["task_kind"] == "review:province:湖北"
    assert {"decided", "percentiles", "acceleration", "licence_kpis"} <= set(doc["definitions"])


def test_csv_to_a_file(ledger: str, capsys: Capture, tmp_path: Path) -> None:
    target = tmp_path / "audit.csv"
    code, out, _ = run(
        capsys, "--format", "csv", "--output", str(target), "--from", "2026-09-01", "--now", NOW
    )
    assert (code, out) == (0, "")
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("matter,permit_class,received,")
    assert lines[-1].startswith("*,*,32,")  # 29 received in September, I-g, I-h and B-f in October
    assert len(lines) == 1 + 5 + 2 + 1  # header; business, I, II, III, unclassified; 2 subtotals; total


def test_the_table_is_the_default(ledger: str, capsys: Capture) -> None:
    code, out, _ = run(capsys, "--now", NOW)
    assert code == 0
    assert out.startswith("onething audit — 效能监察报告")
    assert "瓶颈环节 bottleneck: review:province:湖北 (median 5 working days)" in out
    assert "超期办件 Overdue cases (15)" in out
    assert "72.7% (8/11) MISS" in out  # 制证率 of class II


def test_verify_ledger_passes_on_the_fixture(ledger: str, capsys: Capture) -> None:
    code, out, err = run(capsys, "--verify-ledger")
    assert (code, err) == (0, "")
    assert out == "ledger verified: 57 cases, every hash chain intact\n"


def test_verify_ledger_names_the_edited_case(
    capsys: Capture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sqlite_with_fixture(tmp_path / "onething.db")
    engine = create_engine(f"sqlite:///{tmp_path / 'onething.db'}")
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE ledger_events SET outcome = '不予许可' WHERE case_id = 'II-a-2' AND step = '决定'")
        )
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    code, out, _ = run(capsys, "--verify-ledger")
    assert code == 1
    # II-a: 收件, 受理, 承办 ×2, 审核 ×2, 承办, 会签, 决定 → seq 9
    assert out == (
        "ledger BROKEN: 1 of 57 cases\nII-a-2: seq 9: hash does not match the event's content (edited)\n"
    )
    code, out, _ = run(capsys, "--verify-ledger", "--format", "json")
    assert code == 1
    assert json.loads(out) == {
        "report": "onething-ledger-verification",
        "cases": 57,
        "verified": False,
        "broken": [
            {"case_id": "II-a-2", "seq": 9, "reason": "hash does not match the event's content (edited)"}
        ],
    }


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "2026-02-30"], "--from: expected a date as YYYY-MM-DD, got '2026-02-30'"),
        (["--from", "20260901"], "--from: expected a date as YYYY-MM-DD"),
        (["--to", "September"], "--to: expected a date as YYYY-MM-DD"),
        (["--from", "2026-10-01", "--to", "2026-09-30"], "--to: 2026-09-30 is before --from 2026-10-01"),
        (["--format", "pdf"], "--format: expected one of table, json, csv, html, got 'pdf'"),
        (["--now", "soon"], "--now: expected an ISO 8601 date or date-time"),
        (
            ["--output", "/nonexistent/folder/audit.html"],
            "--output: folder /nonexistent/folder does not exist",
        ),
    ],
)
def test_bad_input_exits_2_naming_the_option(
    ledger: str, capsys: Capture, argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.startswith("onething audit: ")
    assert message in err
    assert err.count("\n") == 1


def test_a_year_without_a_calendar_fails_the_report(ledger: str, capsys: Capture) -> None:
    """Open cases judged in 2027 need the 2027 notice: the report refuses to guess (exit 1)."""
    code, out, err = run(capsys, "--now", "2027-01-05")
    assert (code, out) == (1, "")
    assert "no State Council holiday notice for 2027" in err


def test_an_unreachable_database_exits_1(capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1:9/none")
    code, out, err = run(capsys, "--format", "json")
    assert (code, out) == (1, "")
    assert err.startswith("onething audit: cannot read the ledger at DATABASE_URL")


# --- the HTML page -----------------------------------------------------------------------------------


class Charts(HTMLParser):
    """Every `<svg data-chart>`: its title, and the data attributes of the marks inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, dict[str, object]] = {}
        self._chart: str | None = None
        self._in_title = False
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        values = {k: v or "" for k, v in attrs}
        if tag == "svg" and "data-chart" in values:
            self._chart = values["data-chart"]
            self.charts[self._chart] = {"svg": values, "title": "", "marks": []}
        elif self._chart is not None:
            if tag == "title" and not self.charts[self._chart]["title"]:
                self._in_title = True
            data = {k: v for k, v in values.items() if k.startswith("data-")}
            if data:
                marks = self.charts[self._chart]["marks"]
                assert isinstance(marks, list)
                marks.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._chart = None
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title and self._chart is not None:
            self.charts[self._chart]["title"] = data


def html_report(capsys: Capture, target: Path) -> str:
    code, _, _ = run(capsys, "--format", "html", "--output", str(target), "--now", NOW)
    assert code == 0
    return target.read_text(encoding="utf-8")


def assert_charts(page: str) -> None:
    parser = Charts()
    parser.feed(page)
    charts = parser.charts
    assert set(charts) == {"task-durations", "on-time-by-week", "cards-by-department"}
    assert charts["task-durations"]["title"].startswith("各环节办理用时分布")  # type: ignore[union-attr]
    assert charts["task-durations"]["svg"]["data-bottleneck"] == "review:province:湖北"  # type: ignore[index]
    boxes = {m["data-task-kind"]: m for m in charts["task-durations"]["marks"]}  # type: ignore[union-attr]
    assert boxes["review:province:湖北"] == {
        "data-task-kind": "review:province:湖北",
        "data-count": "10",
        "data-min": "2",
        "data-q1": "5",
        "data-median": "5",
        "data-q3": "7",
        "data-p90": "7",
        "data-max": "14",
    }
    assert len(boxes) == 5
    weeks = {m["data-week"]: m for m in charts["on-time-by-week"]["marks"]}  # type: ignore[union-attr]
    assert list(weeks) == ["2026-W10", "2026-W11", "2026-W38", "2026-W39", "2026-W40"]
    assert weeks["2026-W39"] == {
        "data-week": "2026-W39",
        "data-rate": "0.4286",
        "data-decided": "7",
        "data-on-time": "3",
    }
    marks = charts["cards-by-department"]["marks"]
    departments = {m["data-department"]: m["data-total"] for m in marks if "data-department" in m}  # type: ignore[union-attr]
    assert departments == {"highway": "23", "province:湖北": "8", "road_transport": "13", "urban_road": "6"}
    segments = [(m["data-card"], m["data-count"]) for m in marks if "data-card" in m]  # type: ignore[union-attr]
    assert segments[:4] == [("催办", "1"), ("黄牌", "5"), ("红牌", "10"), ("超法定时限", "7")]  # highway


def test_html_is_one_self_contained_file(ledger: str, capsys: Capture, tmp_path: Path) -> None:
    page = html_report(capsys, tmp_path / "audit.html")
    assert page.startswith("<!DOCTYPE html>")
    lowered = page.lower()
    for outside in ("<script", "src=", "href=", "@import", "url(", "<link"):
        assert outside not in lowered, outside
    # the only URL is the SVG namespace, which names and fetches nothing
    assert set(re.findall(r"https?://[^\"' <]+", page)) == {"http://www.w3.org/2000/svg"}
    assert_charts(page)


@pytest.mark.browser
def test_html_opens_in_headless_chromium(ledger: str, capsys: Capture, tmp_path: Path) -> None:
    chromium = shutil.which(str(CHROMIUM)) or shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed")
    target = tmp_path / "audit.html"
    html_report(capsys, target)
    dumped = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--dump-dom",
            target.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "效能监察报告" in dumped
    assert_charts(dumped)  # the DOM Chromium built, not our text
