"""Every environment variable the product reads is in the README's configuration table, and the table
lists none the product never reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = [
    "activities",
    "bootstrap",
    "cli",
    "domain",
    "portal",
    "reports",
    "seal",
    "services",
    "store",
    "workflows",
]
PRODUCT_FILES = ["worker.py", "settings.py", "codec.py", "logs.py", "secret_files.py"]
# A variable name as the code spells it: a string literal of ONETHING_…, DATABASE_URL or TEMPORAL_….
NAME = re.compile(r"""["'](ONETHING_[A-Z0-9_]+|DATABASE_URL|TEMPORAL_[A-Z_]+)["']""")
# A prefix (ONETHING_PUSH_URL_) stands for a family: the README writes it ONETHING_PUSH_URL_<DESTINATION>.
ROW = re.compile(r"^\| ((?:`[A-Z0-9_<>]+`(?:, )?)+) \|", re.M)


def read_by_code() -> set[str]:
    files = [p for d in PRODUCT for p in (ROOT / d).rglob("*.py")] + [ROOT / f for f in PRODUCT_FILES]
    return {m for path in files for m in NAME.findall(path.read_text(encoding="utf-8"))}


def documented(readme: str) -> set[str]:
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = set()
    for cell in ROW.findall(section):
        for name in re.findall(r"`([A-Z0-9_<>]+)`", cell):
            names.add(name.split("<", 1)[0])  # ONETHING_PUSH_URL_<DESTINATION> → ONETHING_PUSH_URL_
    return names


def test_the_configuration_table_lists_exactly_what_the_code_reads() -> None:
    code, table = read_by_code(), documented((ROOT / "README.md").read_text(encoding="utf-8"))
    assert code - table == set(), "read by the code but not in README's configuration table"
    assert table - code == set(), "in README's configuration table but read nowhere"


def test_the_check_sees_an_undocumented_variable() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "ONETHING_DATA_DIR" in documented(readme)
    without = readme.replace("| `ONETHING_DATA_DIR` |", "| data dir |")
    assert "ONETHING_DATA_DIR" not in documented(without)
