"""Percentiles and the targets the figures are held against."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest rank, as the audit report counts: the value at rank ⌈p·n/100⌉ of the sorted values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p * len(ordered) / 100))
    return ordered[rank - 1]


def summary(values: Sequence[float], *ps: int) -> dict[str, float]:
    """{"p50": …, "p95": …, "max": …} rounded to the millisecond."""
    result = {f"p{p}": round(percentile(values, p), 3) for p in ps}
    result["max"] = round(max(values), 3) if values else math.nan
    return result


def target(value: float, op: str, bound: float, unit: str = "") -> dict[str, Any]:
    """A figure with its target next to it: {"value", "target", "pass"}."""
    passed = (value <= bound) if op == "<=" else (value >= bound)
    return {
        "value": value,
        "target": f"{'≤' if op == '<=' else '≥'} {bound:g}{unit}",
        "pass": bool(passed) and not math.isnan(value),
    }
