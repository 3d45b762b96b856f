"""Figure: how long `onething deadline` and `onething assess` take to print (issue 18 item 4: ≤ 0.3 s).

Each command is run as the installed `onething` script in a fresh process, `runs` times, on a store
migrated beforehand (so the deadline reads a real `holiday_notices` table); the figure is the median
wall time, with the fastest and slowest run and the import time `python -X importtime` counts for the
command (the sum of every module's own time). Wall times on a shared machine are indicative.

The commands run with bytecode written (PYTHONDONTWRITEBYTECODE unset), as `pip install .` in the
Dockerfile leaves them; without it every run compiles the project's modules again (~50 ms for assess).

    python -m bench.cli_start [--runs 10]      # this figure alone, as JSON
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ONETHING = Path(sys.executable).parent / "onething"
COMMANDS: dict[str, list[str]] = {
    "deadline": ["deadline", "--start", "2026-09-28", "--working-days", "5"],
    "assess": ["assess", str(ROOT / "samples" / "submissions" / "02-class-ii-urban.json")],
}
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|")


def _run(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([str(ONETHING), *argv], env=env, check=True, capture_output=True, timeout=60)
    return time.perf_counter() - started


def _import_seconds(argv: list[str], env: dict[str, str]) -> float:
    """The modules' own import times, summed, as `python -X importtime` reports them for the command."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cli.main", *argv],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    micros = sum(int(m[1]) for line in done.stderr.splitlines() if (m := _IMPORT_LINE.match(line)))
    return round(micros / 1e6, 3)


def cli_start_figures(runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="onething-cli-") as data_dir:
        env = {**os.environ, "ONETHING_DATA_DIR": data_dir}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.pop("DATABASE_URL", None)
        env.pop("ONETHING_CALENDAR_FILES", None)
        subprocess.run([str(ONETHING), "calendar", "show", "2026"], env=env, check=True, capture_output=True)
        figures: dict[str, Any] = {}
        for name, argv in COMMANDS.items():
            _run(argv, env)  # the first run may compile bytecode: not counted
            seconds = [_run(argv, env) for _ in range(runs)]
            figures[name] = {
                "median_s": round(statistics.median(seconds), 3),
                "min_s": round(min(seconds), 3),
                "max_s": round(max(seconds), 3),
                "imports_s": _import_seconds(argv, env),
                "runs": runs,
            }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cli_start", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of each command (default 10)")
    args = parser.parse_args(argv)
    print(json.dumps(cli_start_figures(args.runs), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
