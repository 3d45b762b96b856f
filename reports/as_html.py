"""The report as one self-contained HTML page: no script, nothing fetched, inline CSS and three inline
SVG charts drawn here. Each chart is an `<svg data-chart="…">` with a `<title>`, and every mark
carries its numbers as data attributes, so a test (or a screen reader) reads the figures without
parsing pixels:

- `task-durations`: a box plot per task kind (`data-task-kind`, `data-min/q1/median/q3/p90/max`);
- `on-time-by-week`: a bar per ISO week of receipt (`data-week`, `data-rate`, `data-decided`);
- `cards-by-department`: stacked bars per department (`data-department`, and per segment
  `data-card`, `data-count`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Final

from domain.audit.facts import CARD_KINDS
from domain.audit.report import (
    AuditReport,
    Rate,
    TargetRate,
    TaskDurations,
    WeekOnTime,
)
from reports.sections import Section, blank, percent, period_line, sections, unreadable_line

esc = html.escape


PAGE_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",system-ui,sans-serif;margin:2rem;color:#1d2733}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem}
h1 small,h2 small{display:block;font-weight:normal;color:#5b6775;font-size:.8em}
table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}
th,td{border:1px solid #ccd3db;padding:.25rem .5rem;text-align:right}
th{background:#eef2f6}td.text,th:first-child{text-align:left}
tr.subtotal td{background:#f6f8fa}tr.total td{font-weight:bold;background:#eef2f6}
.miss{color:#b3261e;font-weight:bold}.ok{color:#1e6b34}
figure{margin:1rem 0}svg{font-size:11px;font-family:inherit}
dl{font-size:.8rem;color:#3b4652}dt{font-weight:bold}dd{margin:0 0 .4rem 1rem}
"""


_CARD_COLOURS: Final = dict(zip(CARD_KINDS, ("#8fb3d9", "#e7b416", "#cc3232", "#6a1b1b"), strict=True))


def _svg_open(chart: str, title: str, width: float, height: float, **data: object) -> list[str]:
    attributes = "".join(f' data-{k.replace("_", "-")}="{esc(str(v))}"' for k, v in data.items())
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" data-chart="{chart}" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"{attributes}>',
        f"<title>{esc(title)}</title>",
    ]


def _no_data(lines: list[str], width: float) -> str:
    lines.append(f'<text x="{width / 2}" y="30" text-anchor="middle">无数据 no data</text></svg>')
    return "\n".join(lines)


def chart_task_durations(durations: Sequence[TaskDurations], bottleneck: str | None) -> str:
    """A horizontal box plot per task kind: whiskers min–max, box q1–q3, median line, p90 tick."""
    label_w, plot_w, row_h = 190, 460, 28
    width, height = label_w + plot_w + 30, 60 + row_h * max(len(durations), 1)
    title = "各环节办理用时分布 Working days per task kind (承办 → 审核/会签)"
    lines = _svg_open("task-durations", title, width, height, bottleneck=bottleneck or "")
    if not durations:
        return _no_data(lines, width)
    top = max(d.max for d in durations) or 1

    def x(v: int) -> float:
        return round(label_w + v * plot_w / top, 1)

    for i, d in enumerate(durations):
        y = 10 + i * row_h
        mid = y + row_h / 2 - 2
        fill = "#f3c8c5" if d.task_kind == bottleneck else "#cfe0f1"
        data = f'data-task-kind="{esc(d.task_kind)}" data-count="{d.count}" data-min="{d.min}" '
        data += f'data-q1="{d.q1}" data-median="{d.median}" data-q3="{d.q3}" data-p90="{d.p90}" '
        data += f'data-max="{d.max}"'
        lines += [
            f'<g class="box" {data}>',
            f'<text x="{label_w - 6}" y="{mid + 4}" text-anchor="end">'
            f"{esc(d.task_kind)} (n={d.count})</text>",
            f'<line x1="{x(d.min)}" y1="{mid}" x2="{x(d.max)}" y2="{mid}" stroke="#445"/>',
            f'<rect x="{x(d.q1)}" y="{y + 4}" width="{max(x(d.q3) - x(d.q1), 2)}" height="{row_h - 12}" '
            f'fill="{fill}" stroke="#445"/>',
            f'<line x1="{x(d.median)}" y1="{y + 4}" x2="{x(d.median)}" y2="{y + row_h - 8}" '
            'stroke="#000" stroke-width="2"/>',
            f'<line x1="{x(d.p90)}" y1="{mid - 6}" x2="{x(d.p90)}" y2="{mid + 6}" stroke="#b3261e"/>',
            "</g>",
        ]
    axis_y = 14 + row_h * len(durations)
    lines.append(f'<line x1="{label_w}" y1="{axis_y}" x2="{label_w + plot_w}" y2="{axis_y}" stroke="#889"/>')
    for tick in sorted({0, top // 2, top}):
        lines.append(f'<text x="{x(tick)}" y="{axis_y + 13}" text-anchor="middle">{tick}</text>')
    lines.append(
        f'<text x="{label_w + plot_w}" y="{axis_y + 28}" text-anchor="end">'
        "工作日 working days · 箱体 q1–q3 · 粗线 median · 红线 p90</text></svg>"
    )
    return "\n".join(lines)


def chart_on_time_by_week(weeks: Sequence[WeekOnTime]) -> str:
    """A bar per ISO week of receipt: the share of decided cases closed by their promised due."""
    bar_w, gap, plot_h, left = 34, 10, 180, 40
    width, height = max(left + max(len(weeks), 1) * (bar_w + gap) + 20, 420), plot_h + 70
    title = "按周承诺时限内办结率 On-time rate (promised limit) by ISO week of receipt"
    lines = _svg_open("on-time-by-week", title, width, height)
    if not weeks:
        return _no_data(lines, width)
    base = 20 + plot_h
    for pct in (0, 50, 100):
        grid_y = base - plot_h * pct / 100
        lines.append(
            f'<line x1="{left}" y1="{grid_y}" x2="{width - 10}" y2="{grid_y}" stroke="#dde"/>'
            f'<text x="{left - 4}" y="{grid_y + 4}" text-anchor="end">{pct}%</text>'
        )
    for i, w in enumerate(weeks):
        rate = w.rate or 0.0
        bar_x, bar_h = left + gap + i * (bar_w + gap), round(plot_h * rate, 1)
        centre = bar_x + bar_w / 2
        data = f'data-week="{esc(w.week)}" data-rate="{blank(w.rate)}" data-decided="{w.decided}" '
        data += f'data-on-time="{w.on_time_promised}"'
        lines += [
            f'<g class="week" {data}>',
            f'<rect x="{bar_x}" y="{round(base - bar_h, 1)}" width="{bar_w}" height="{bar_h}" fill="#5b8cc4">'
            f"<title>{esc(w.week)}: {w.on_time_promised}/{w.decided}</title></rect>",
            f'<text x="{centre}" y="{base + 14}" text-anchor="middle">{esc(w.week[5:])}</text>',
            f'<text x="{centre}" y="{round(base - bar_h - 4, 1)}" text-anchor="middle">{rate:.0%}</text>',
            "</g>",
        ]
    lines.append(
        f'<text x="{left}" y="{height - 8}">收件周 ISO week of receipt · 已决定办件 decided cases</text>'
    )
    lines.append("</svg>")
    return "\n".join(lines)


def chart_cards_by_department(by_department: dict[str, dict[str, int]]) -> str:
    """Stacked horizontal bars per department: 催办, 黄牌, 红牌, 超法定时限."""
    label_w, plot_w, row_h = 150, 420, 26
    rows = list(by_department.items())
    width, height = label_w + plot_w + 60, 50 + row_h * max(len(rows), 1)
    lines = _svg_open("cards-by-department", "各部门监察亮牌 Supervision cards by department", width, height)
    if not rows:
        return _no_data(lines, width)
    top = max(sum(counts.values()) for _, counts in rows) or 1
    for i, (department, counts) in enumerate(rows):
        y, x = 10 + i * row_h, float(label_w)
        total = sum(counts.values())
        lines += [
            f'<g class="department" data-department="{esc(department)}" data-total="{total}">',
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{esc(department)}</text>',
        ]
        for kind, n in counts.items():
            w = round(plot_w * n / top, 1)
            lines.append(
                f'<rect data-card="{esc(kind)}" data-count="{n}" x="{round(x, 1)}" y="{y}" width="{w}" '
                f'height="{row_h - 8}" fill="{_CARD_COLOURS.get(kind, "#999")}">'
                f"<title>{esc(department)} {esc(kind)}: {n}</title></rect>"
            )
            x += w
        lines += [f'<text x="{round(x + 4, 1)}" y="{y + 14}">{total}</text>', "</g>"]
    legend_y = 20 + row_h * len(rows)
    for i, kind in enumerate(CARD_KINDS):
        legend_x = label_w + i * 105
        lines.append(
            f'<rect x="{legend_x}" y="{legend_y}" width="12" height="12" fill="{_CARD_COLOURS[kind]}"/>'
            f'<text x="{legend_x + 16}" y="{legend_y + 10}">{esc(kind)}</text>'
        )
    lines.append("</svg>")
    return "\n".join(lines)


def _html_cell(cell: object) -> str:
    if isinstance(cell, str):
        return f'<td class="text">{esc(cell)}</td>'
    if not isinstance(cell, Rate):
        return f"<td>{esc(blank(cell))}</td>"
    if not isinstance(cell, TargetRate) or cell.meets_target is None:
        return f"<td>{esc(percent(cell))}</td>"
    css, mark = ("ok", "") if cell.meets_target else ("miss", " ✗")
    return f'<td class="{css}">{esc(percent(cell))}{mark}</td>'


def html_table(section: Section) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in section.headers)
    body = "".join(
        f'<tr class="{kind}">' + "".join(_html_cell(c) for c in cells) + "</tr>"
        for kind, cells in section.rows
    )
    note = f"<p>{esc(section.note)}</p>" if section.note else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"


def _charts(report: AuditReport) -> dict[str, str]:
    """The chart drawn above each section that has one."""
    bottleneck = report.bottleneck.task_kind if report.bottleneck else None
    return {
        "weeks": chart_on_time_by_week(report.on_time_by_week),
        "tasks": chart_task_durations(report.task_durations, bottleneck),
        "cards": chart_cards_by_department(report.cards.by_department),
    }


def render_html(report: AuditReport) -> str:
    charts = _charts(report)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>效能监察报告 onething audit</title>",
        f"<style>{PAGE_CSS}</style></head><body>",
        "<h1>“高效办成一件事”效能监察报告<small>Auditors' report from the supervision ledger</small></h1>",
        f"<p>{esc(period_line(report))}</p>",
    ]
    if (warning := unreadable_line(report)) is not None:
        parts.append(f'<p class="warning">{esc(warning)}</p>')
    parts += [f'<p class="miss">{esc(note.message)}</p>' for note in report.calendar]
    for section in sections(report):
        parts.append(
            f'<section id="{section.key}">'
            f"<h2>{esc(section.chinese)}<small>{esc(section.english)}</small></h2>"
        )
        if section.key in charts:
            parts.append(f"<figure>{charts[section.key]}</figure>")
        parts += [html_table(section), "</section>"]
    definitions = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in report.definitions.items())
    parts += [f"<h2>口径说明<small>Definitions</small></h2><dl>{definitions}</dl>", "</body></html>"]
    return "\n".join(parts) + "\n"
