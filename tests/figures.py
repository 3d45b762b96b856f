"""Figures the suite prints after its run (the fault suite's line, the fuzz tally), with xdist too.

Under pytest-xdist the tests run in worker processes and the summary is written by the controller:
each worker hands what it collected over in `workeroutput` at the end of its session, and the
controller adds it to its own (tests/conftest.py wires the hooks). A section holds lines; a counter
(the fuzz tally's requests by test, its 5xx) is summed over the workers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

LINES: defaultdict[str, list[str]] = defaultdict(list)
COUNTS: defaultdict[str, Counter[str]] = defaultdict(Counter)


def line(section: str, text: str) -> None:
    LINES[section].append(text)


def count(section: str, key: str, n: int = 1) -> None:
    COUNTS[section][key] += n


def collected() -> dict[str, Any]:
    return {"lines": dict(LINES), "counts": {s: dict(c) for s, c in COUNTS.items()}}


def merge(other: dict[str, Any]) -> None:
    for section, lines in other.get("lines", {}).items():
        LINES[section].extend(lines)
    for section, counts in other.get("counts", {}).items():
        COUNTS[section].update(counts)
