"""`onething assess`: the Assessment as JSON on stdout, or exit 2 with the bad field named on stderr."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cli.main import main

CONTRACT_KEYS = {
    "over_limit",
    "permit_class",
    "statutory_working_days",
    "extra_materials",
    "escort_plan_required",
    "not_accepted",
    "refusals",
    "reasons",
    "limits",
}


def request(**loaded: Any) -> dict[str, Any]:
    return {
        "vehicle": {"axles": 6, "combination": True, "single_drive_axle": False, "trailer": "flatbed"},
        "loaded": {
            "height_m": 4.3,
            "width_m": 2.5,
            "length_m": 17,
            "total_mass_kg": 45_000,
            "axle_loads_kg": [9_000, 9_000, 9_000],
            **loaded,
        },
        "cargo": {"name": "变压器", "divisible": False},
        "cross_province": True,
    }


def run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str | dict[str, Any]
) -> tuple[int, str, str]:
    path = tmp_path / "request.json"
    path.write_text(body if isinstance(body, str) else json.dumps(body, ensure_ascii=False), encoding="utf-8")
    code = main(["assess", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def test_assess_prints_the_assessment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(tmp_path, capsys, request())
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert set(result) == CONTRACT_KEYS
    assert result["over_limit"] is True
    assert result["permit_class"] == "II"
    assert result["statutory_working_days"] == 10
    assert result["not_accepted"] == [] and result["refusals"] == []
    assert "车货总高度 4.30 m 超过 4.00 m（第62号令第三条）" in out  # ensure_ascii=False


def test_not_over_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(tmp_path, capsys, request(height_m=3.8))
    result = json.loads(out)
    assert code == 0
    assert result["over_limit"] is False and result["permit_class"] is None
    assert result["statutory_working_days"] is None


def test_stdin_through_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(request(height_m=4.6))))
    assert main(["assess", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["permit_class"] == "III"


def test_installed_command_reads_stdin() -> None:
    command = Path(sys.executable).parent / "onething"
    done = subprocess.run(
        [str(command), "assess", "-"],
        input=json.dumps(request(), ensure_ascii=False).encode("utf-8"),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode("utf-8")
    result = json.loads(done.stdout.decode("utf-8"))
    assert set(result) == CONTRACT_KEYS and result["permit_class"] == "II"


def test_installed_command_exit_2_on_bad_stdin() -> None:
    command = Path(sys.executable).parent / "onething"
    done = subprocess.run(
        [str(command), "assess", "-"], input=b"{", capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 2 and done.stdout == b""
    assert b"invalid JSON" in done.stderr


def _without_height() -> dict[str, Any]:
    data = request()
    del data["loaded"]["height_m"]
    return data


def _combination_of_two_axles() -> dict[str, Any]:
    data = request()
    data["vehicle"]["axles"] = 2
    return data


BAD = [
    # (request body, words stderr must contain)
    ('{"vehicle": {"axles": 6,}', ["invalid JSON", "line 1", "column 25"]),
    ('{\n  "vehicle":\n}', ["invalid JSON", "line 3", "column 1"]),
    ("", ["invalid JSON", "line 1"]),
    (_without_height(), ["loaded.height_m", "Field required"]),
    (request(width_m=-2.5), ["loaded.width_m", "greater than 0"]),
    (request(height_m=40), ["loaded.height_m", "less than or equal to 10"]),
    (request(height_m="4.2"), ["loaded.height_m", "valid number"]),
    (request(height_m=True), ["loaded.height_m"]),
    (_combination_of_two_axles(), ["vehicle.axles", "combination"]),
    (request(axle_loads_kg=[]), ["loaded", "axle_loads_kg"]),
    ("[]", ["valid dictionary"]),
]


@pytest.mark.parametrize(("body", "words"), BAD)
def test_bad_input_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str | dict[str, Any], words: list[str]
) -> None:
    code, out, err = run(tmp_path, capsys, body)
    assert code == 2
    assert out == ""
    assert err.startswith("onething assess: ")
    for word in words:
        assert word in err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.json"
    assert main(["assess", str(missing)]) == 2
    assert f"{missing}: no such file" in capsys.readouterr().err


def test_not_utf8_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "gbk.json"
    path.write_bytes(json.dumps(request(), ensure_ascii=False).encode("gbk"))
    assert main(["assess", str(path)]) == 2
    assert "not UTF-8" in capsys.readouterr().err


SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "submissions"


@pytest.mark.parametrize(
    ("sample", "cls", "statutory", "promised"),
    [
        ("01-class-i-auto.json", "I", 2, 2),
        ("02-class-ii-urban.json", "II", 5, 5),
        ("03-class-iii.json", "III", 15, 7),
    ],
)
def test_a_whole_submission_prints_both_limits_named(
    capsys: pytest.CaptureFixture[str], sample: str, cls: str, statutory: int, promised: int
) -> None:
    """A portal document is read as one (the samples were rejected before), with both limits named."""
    assert main(["assess", str(SAMPLES / sample)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == CONTRACT_KEYS | {"refused_today"}
    assert result["permit_class"] == cls
    limits = result["limits"]
    assert (limits["statutory"]["name"], limits["statutory"]["working_days"]) == ("法定时限", statutory)
    assert (limits["promised"]["name"], limits["promised"]["working_days"]) == ("承诺时限", promised)
    assert "第十五条" in limits["statutory"]["source"]


def test_a_submission_says_what_the_portal_would_refuse_today(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads((SAMPLES / "01-class-i-auto.json").read_text(encoding="utf-8"))
    document.update(travel_from="2020-01-01", travel_to="2020-01-05")
    code, out, err = run(tmp_path, capsys, document)
    assert (code, err) == (0, "")
    assert [p["field"] for p in json.loads(out)["refused_today"]] == ["travel_from"]


def test_a_bad_submission_names_its_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads((SAMPLES / "01-class-i-auto.json").read_text(encoding="utf-8"))
    document["tractor_plate"] = "not a plate"
    code, out, err = run(tmp_path, capsys, document)
    assert code == 2 and out == ""
    assert "tractor_plate" in err
