"""The report as a text table for a terminal (wide characters counted as two columns)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from domain.audit.report import (
    KPI_NAMES,
    AuditReport,
    Rate,
)
from reports.sections import (
    blank,
    class_label,
    missed,
    percent,
    period_line,
    sections,
    unreadable_line,
)


def _width(text: str) -> int:
    """Columns the text takes in a terminal: CJK characters are two wide."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _text_cell(cell: object) -> str:
    if isinstance(cell, Rate):
        return percent(cell) + (" MISS" if missed(cell) else "")
    return blank(cell)


def _text_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    cells = [list(headers), *[[_text_cell(v) for v in row] for row in rows]]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        padded = (cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row))
        lines.append("  ".join(padded).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def render_table(report: AuditReport) -> str:
    lines = ["onething audit — 效能监察报告 (auditors' report)", period_line(report)]
    if (warning := unreadable_line(report)) is not None:
        lines.append(warning)
    lines += [f"WARNING {note.message}" for note in report.calendar]
    for section in sections(report):
        lines += ["", f"{section.chinese} {section.english}"]
        lines += _text_table(section.headers, [cells for _, cells in section.rows])
        if section.note:
            lines.append(section.note)
    for miss in report.targets_missed:
        name = KPI_NAMES[miss.kpi]
        lines.append(
            f"  {miss.matter}/{class_label(miss.permit_class)} {name} {miss.rate:.1%} < {miss.target:.0%}"
        )
    lines += ["", "口径 definitions"]
    lines += [f"  {name}: {text}" for name, text in report.definitions.items()]
    return "\n".join(lines) + "\n"
