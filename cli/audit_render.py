"""The auditors' report as a table, JSON, CSV or one self-contained HTML page.

Shared by `onething audit` and the portal's /audit. The text table and the HTML page show the same
sections (`sections`). The HTML page has no script and fetches nothing: inline CSS and three inline
SVG charts drawn here. Each chart is an `<svg data-chart="…">` with a `<title>`, and every mark
carries its numbers as data attributes, so a test (or a screen reader) reads the figures without
parsing pixels:

- `task-durations`: a box plot per task kind (`data-task-kind`, `data-min/q1/median/q3/p90/max`);
- `on-time-by-week`: a bar per ISO week of receipt (`data-week`, `data-rate`, `data-decided`);
- `cards-by-department`: stacked bars per department (`data-department`, and per segment
  `data-card`, `data-count`).

CSV: one row per matter × permit class, then one subtotal row per matter (permit_class "*") and the
grand total (matter "*"); the columns are `CSV_COLUMNS`. Rates are fractions with four decimals, empty
when their denominator is 0.
"""

from __future__ import annotations

import csv
import html
import io
import json
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from domain.audit import (
    ALL,
    CARD_KINDS,
    KPI_NAMES,
    RATING_VALUES,
    AuditReport,
    GroupFigures,
    Rate,
    TargetRate,
    TaskDurations,
    WeekOnTime,
)
from domain.calendar import SHANGHAI
from store.ledger import BrokenChain

FORMATS: Final = ("table", "json", "csv", "html")
REPORT_NAME: Final = "onething-audit"
REPORT_VERSION: Final = 1

CSV_COLUMNS: Final[dict[str, str]] = {
    "matter": "事项; * = all matters",
    "permit_class": "I/II/III; empty = none (not accepted, or a matter without classes); * = all",
    "received": "cases received (收件) in the period",
    "completed": "cases closed (办结)",
    "open": "received − completed",
    "decided": "closed approved or refused: the denominator of the on-time rates",
    "approved": "办结 outcome approved",
    "refused": "办结 outcome refused",
    "not_accepted": "办结 outcome not_accepted",
    "withdrawn": "办结 outcome withdrawn",
    "supplement_expired": "办结 outcome supplement_expired",
    "on_time_promised": "decided cases closed by the promised due",
    "on_time_promised_rate": "on_time_promised ÷ decided (with a promised due)",
    "on_time_statutory": "decided cases closed by the statutory due",
    "on_time_statutory_rate": "on_time_statutory ÷ decided (with a statutory due)",
    "elapsed_median": "median working days 收件→办结 minus stopped time, decided cases (nearest rank)",
    "elapsed_p90": "90th percentile of the same (nearest rank)",
    "acceleration_median": "median of statutory working days ÷ max(elapsed, 1)",
    "cards_warning": "催办 events",
    "cards_yellow": "黄牌 events",
    "cards_red": "红牌 events",
    "cards_statutory": "超法定时限 events",
    "ratings": "好差评 ratings",
    "rating_mean": "mean rating (1–5)",
    "bad_ratings": "ratings of 1 or 2",
    "licences": "licences of these cases (licence repository)",
    "issuance_rate": "制证率: approved cases with a licence ÷ approved cases (target 0.80)",
    "collection_rate": "归集率: licences delivered to the licence repository ÷ licences (target 0.90)",
    "quality_rate": "数据合格率: licences whose record and seal check out ÷ licences (target 0.90)",
    "activation_rate": "激活率: licences fetched at least once ÷ licences (target 0.80)",
}

_CARD_COLUMNS: Final = dict(
    zip(CARD_KINDS, ("cards_warning", "cards_yellow", "cards_red", "cards_statutory"), strict=True)
)


def render(report: AuditReport, fmt: str) -> str:
    renderers: dict[str, Callable[[AuditReport], str]] = {
        "table": render_table,
        "json": render_json,
        "csv": render_csv,
        "html": render_html,
    }
    return renderers[fmt](report)


def _blank(value: object) -> str:
    return "" if value is None else str(value)


def _rows(report: AuditReport) -> list[GroupFigures]:
    """Groups, then each matter's subtotal, then the grand total."""
    return [*report.groups, *report.matters, report.total]


# --- JSON ----------------------------------------------------------------------------------------


def report_document(report: AuditReport) -> dict[str, Any]:
    """The JSON document: a name and version first, then the report's fields in a fixed order."""
    return {"report": REPORT_NAME, "version": REPORT_VERSION, **report.model_dump(mode="json")}


def render_json(report: AuditReport) -> str:
    return json.dumps(report_document(report), ensure_ascii=False, indent=2) + "\n"


# --- CSV -----------------------------------------------------------------------------------------


def _fraction(rate: Rate) -> str:
    return "" if rate.rate is None else f"{rate.rate:.4f}"


def csv_row(row: GroupFigures) -> dict[str, str]:
    kpis = row.licences
    values: dict[str, object] = {
        "matter": row.matter,
        "permit_class": row.permit_class,
        "received": row.received,
        "completed": row.completed,
        "open": row.open,
        "decided": row.decided,
        **{outcome: n for outcome, n in row.by_outcome.items() if outcome in CSV_COLUMNS},
        "on_time_promised": row.on_time_promised.count,
        "on_time_promised_rate": _fraction(row.on_time_promised),
        "on_time_statutory": row.on_time_statutory.count,
        "on_time_statutory_rate": _fraction(row.on_time_statutory),
        "elapsed_median": row.elapsed_working_days.median,
        "elapsed_p90": row.elapsed_working_days.p90,
        "acceleration_median": row.acceleration.median,
        **{_CARD_COLUMNS[kind]: n for kind, n in row.cards.items()},
        "ratings": row.ratings.count,
        "rating_mean": row.ratings.mean,
        "bad_ratings": row.ratings.bad,
        "licences": kpis.licences,
        **{kpi: _fraction(getattr(kpis, kpi)) for kpi in KPI_NAMES},
    }
    return {column: _blank(values.get(column)) for column in CSV_COLUMNS}


def render_csv(report: AuditReport) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in _rows(report):
        writer.writerow(csv_row(row))
    return out.getvalue()


# --- sections: what the table and the HTML page both show ------------------------------------------


@dataclass(frozen=True)
class Section:
    """A titled table. A cell is text, a number, None (blank) or a `Rate` (shown as a percentage)."""

    key: str
    chinese: str
    english: str
    headers: list[str]
    rows: list[tuple[str, list[object]]]  # (row kind: "", "subtotal" or "total"; cells)
    note: str = ""


def _kind(row: GroupFigures) -> str:
    return "total" if row.matter == ALL else "subtotal" if row.permit_class == ALL else ""


def _class(value: str | None) -> str:
    return "—" if value is None else value


def sections(report: AuditReport) -> list[Section]:
    rows = _rows(report)
    bottleneck = report.bottleneck
    return [
        Section(
            "cases",
            "办件情况",
            "Cases by matter and permit class",
            [
                "事项 matter",
                "类别 class",
                "收件 received",
                "办结 completed",
                "在办 open",
                "已决定 decided",
                "承诺时限内 on time (promised)",
                "法定时限内 on time (statutory)",
                "用时 elapsed p50",
                "p90",
                "提速 acceleration p50",
            ],
            [
                (
                    _kind(r),
                    [
                        r.matter,
                        _class(r.permit_class),
                        r.received,
                        r.completed,
                        r.open,
                        r.decided,
                        r.on_time_promised,
                        r.on_time_statutory,
                        r.elapsed_working_days.median,
                        r.elapsed_working_days.p90,
                        r.acceleration.median,
                    ],
                )
                for r in rows
            ],
        ),
        Section(
            "outcomes",
            "办结结果",
            "Outcomes",
            ["事项 matter", "类别 class", *report.total.by_outcome],
            [(_kind(r), [r.matter, _class(r.permit_class), *r.by_outcome.values()]) for r in rows],
        ),
        Section(
            "weeks",
            "按周办结率",
            "On time against the promised limit, by ISO week of receipt (decided cases)",
            ["周 week", "已决定 decided", "按时 on time", "比例 rate"],
            [
                ("", [w.week, w.decided, w.on_time_promised, _share(w.on_time_promised, w.decided)])
                for w in report.on_time_by_week
            ],
        ),
        Section(
            "tasks",
            "各环节用时",
            "Working days from 承办 to 审核/会签, per task kind",
            ["任务 task kind", "件数 tasks", "min", "q1", "中位 median", "q3", "p90", "max"],
            [
                ("", [d.task_kind, d.count, d.min, d.q1, d.median, d.q3, d.p90, d.max])
                for d in report.task_durations
            ],
            note="瓶颈环节 bottleneck: "
            + (f"{bottleneck.task_kind} (median {bottleneck.median} working days)" if bottleneck else "—"),
        ),
        Section(
            "cards",
            "监察亮牌",
            "Supervision cards by responsible department",
            ["部门 department", *CARD_KINDS],
            [("", [dept, *counts.values()]) for dept, counts in report.cards.by_department.items()],
        ),
        Section(
            "card_subjects",
            "亮牌对象",
            "Supervision cards by scope: task kind, stage, or the whole case",
            ["范围 scope", "对象 subject", *CARD_KINDS],
            [("", ["task", kind, *counts.values()]) for kind, counts in report.cards.by_task_kind.items()]
            + [("", ["stage", stage, *counts.values()]) for stage, counts in report.cards.by_stage.items()]
            + [
                ("", ["case", "—", *counts.values()])
                for scope, counts in report.cards.by_scope.items()
                if scope == "case"
            ],
        ),
        Section(
            "overdue",
            "超期办件",
            f"Overdue cases ({len(report.overdue)})",
            [
                "办件 case",
                "事项 matter",
                "类别 class",
                "状态 status",
                "承诺期限 due (Asia/Shanghai)",
                "办结 closed",
                "超期工作日 working days overdue",
            ],
            [
                (
                    "",
                    [
                        o.case_id,
                        o.matter,
                        _class(o.permit_class),
                        o.status,
                        _shanghai(o.due),
                        _shanghai(o.closed_at) if o.closed_at else None,
                        o.working_days_overdue,
                    ],
                )
                for o in report.overdue
            ],
        ),
        Section(
            "ratings",
            "好差评",
            "Ratings, rectification (整改) and return visits (回访)",
            [
                "事项 matter",
                "类别 class",
                "评价 ratings",
                "均分 mean",
                *(f"{k}★" for k in RATING_VALUES),
                "差评 bad",
                "整改 opened",
                "答复 replied",
                "按期 on time",
                "回访 visits",
            ],
            [
                (
                    _kind(r),
                    [
                        r.matter,
                        _class(r.permit_class),
                        r.ratings.count,
                        r.ratings.mean,
                        *r.ratings.distribution.values(),
                        r.ratings.bad,
                        r.ratings.rectifications_opened,
                        r.ratings.rectifications_replied,
                        r.ratings.rectifications_replied_on_time,
                        r.ratings.return_visits,
                    ],
                )
                for r in rows
            ],
        ),
        Section(
            "licences",
            "电子证照",
            "E-licence KPIs, from the licence repository (not the ledger), against Hunan 2025 targets",
            [
                "事项 matter",
                "类别 class",
                "证照 licences",
                *(f"{name} {kpi}" for kpi, name in KPI_NAMES.items()),
            ],
            [
                (
                    _kind(r),
                    [
                        r.matter,
                        _class(r.permit_class),
                        r.licences.licences,
                        *(getattr(r.licences, kpi) for kpi in KPI_NAMES),
                    ],
                )
                for r in rows
            ],
            note=f"未达标 targets missed: {len(report.targets_missed)}",
        ),
    ]


def _shanghai(instant: datetime) -> str:
    return instant.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _share(count: int, of: int) -> Rate:
    return Rate(count=count, of=of, rate=round(count / of, 4) if of else None)


def _percent(rate: Rate) -> str:
    return "—" if rate.rate is None else f"{rate.rate * 100:.1f}% ({rate.count}/{rate.of})"


def _missed(rate: Rate) -> bool:
    return isinstance(rate, TargetRate) and rate.meets_target is False


# --- table ---------------------------------------------------------------------------------------


def _width(text: str) -> int:
    """Columns the text takes in a terminal: CJK characters are two wide."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _text_cell(cell: object) -> str:
    if isinstance(cell, Rate):
        return _percent(cell) + (" MISS" if _missed(cell) else "")
    return _blank(cell)


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


def _period_line(report: AuditReport) -> str:
    period = report.period
    start, end = _blank(period.received_from) or "…", _blank(period.received_to) or "…"
    return f"收件 received {start} – {end} (Asia/Shanghai); 截至 as of {_shanghai(period.now)}"


def render_table(report: AuditReport) -> str:
    lines = ["onething audit — 效能监察报告 (auditors' report)", _period_line(report)]
    lines += [f"WARNING {note.message}" for note in report.calendar]
    for section in sections(report):
        lines += ["", f"{section.chinese} {section.english}"]
        lines += _text_table(section.headers, [cells for _, cells in section.rows])
        if section.note:
            lines.append(section.note)
    for miss in report.targets_missed:
        name = KPI_NAMES[miss.kpi]
        lines.append(
            f"  {miss.matter}/{_class(miss.permit_class)} {name} {miss.rate:.1%} < {miss.target:.0%}"
        )
    lines += ["", "口径 definitions"]
    lines += [f"  {name}: {text}" for name, text in report.definitions.items()]
    return "\n".join(lines) + "\n"


# --- HTML ----------------------------------------------------------------------------------------

_E = html.escape

_CSS = """
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
    attributes = "".join(f' data-{k.replace("_", "-")}="{_E(str(v))}"' for k, v in data.items())
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" data-chart="{chart}" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"{attributes}>',
        f"<title>{_E(title)}</title>",
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
        data = f'data-task-kind="{_E(d.task_kind)}" data-count="{d.count}" data-min="{d.min}" '
        data += f'data-q1="{d.q1}" data-median="{d.median}" data-q3="{d.q3}" data-p90="{d.p90}" '
        data += f'data-max="{d.max}"'
        lines += [
            f'<g class="box" {data}>',
            f'<text x="{label_w - 6}" y="{mid + 4}" text-anchor="end">{_E(d.task_kind)} (n={d.count})</text>',
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
        data = f'data-week="{_E(w.week)}" data-rate="{_blank(w.rate)}" data-decided="{w.decided}" '
        data += f'data-on-time="{w.on_time_promised}"'
        lines += [
            f'<g class="week" {data}>',
            f'<rect x="{bar_x}" y="{round(base - bar_h, 1)}" width="{bar_w}" height="{bar_h}" fill="#5b8cc4">'
            f"<title>{_E(w.week)}: {w.on_time_promised}/{w.decided}</title></rect>",
            f'<text x="{centre}" y="{base + 14}" text-anchor="middle">{_E(w.week[5:])}</text>',
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
            f'<g class="department" data-department="{_E(department)}" data-total="{total}">',
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{_E(department)}</text>',
        ]
        for kind, n in counts.items():
            w = round(plot_w * n / top, 1)
            lines.append(
                f'<rect data-card="{_E(kind)}" data-count="{n}" x="{round(x, 1)}" y="{y}" width="{w}" '
                f'height="{row_h - 8}" fill="{_CARD_COLOURS.get(kind, "#999")}">'
                f"<title>{_E(department)} {_E(kind)}: {n}</title></rect>"
            )
            x += w
        lines += [f'<text x="{round(x + 4, 1)}" y="{y + 14}">{total}</text>', "</g>"]
    legend_y = 20 + row_h * len(rows)
    for i, kind in enumerate(CARD_KINDS):
        legend_x = label_w + i * 105
        lines.append(
            f'<rect x="{legend_x}" y="{legend_y}" width="12" height="12" fill="{_CARD_COLOURS[kind]}"/>'
            f'<text x="{legend_x + 16}" y="{legend_y + 10}">{_E(kind)}</text>'
        )
    lines.append("</svg>")
    return "\n".join(lines)


def _html_cell(cell: object) -> str:
    if isinstance(cell, str):
        return f'<td class="text">{_E(cell)}</td>'
    if not isinstance(cell, Rate):
        return f"<td>{_E(_blank(cell))}</td>"
    if not isinstance(cell, TargetRate) or cell.meets_target is None:
        return f"<td>{_E(_percent(cell))}</td>"
    css, mark = ("ok", "") if cell.meets_target else ("miss", " ✗")
    return f'<td class="{css}">{_E(_percent(cell))}{mark}</td>'


def _html_table(section: Section) -> str:
    head = "".join(f"<th>{_E(h)}</th>" for h in section.headers)
    body = "".join(
        f'<tr class="{kind}">' + "".join(_html_cell(c) for c in cells) + "</tr>"
        for kind, cells in section.rows
    )
    note = f"<p>{_E(section.note)}</p>" if section.note else ""
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
        f"<style>{_CSS}</style></head><body>",
        "<h1>“高效办成一件事”效能监察报告<small>Auditors' report from the supervision ledger</small></h1>",
        f"<p>{_E(_period_line(report))}</p>",
        *(f'<p class="miss">{_E(note.message)}</p>' for note in report.calendar),
    ]
    for section in sections(report):
        parts.append(
            f'<section id="{section.key}"><h2>{_E(section.chinese)}<small>{_E(section.english)}</small></h2>'
        )
        if section.key in charts:
            parts.append(f"<figure>{charts[section.key]}</figure>")
        parts += [_html_table(section), "</section>"]
    definitions = "".join(f"<dt>{_E(k)}</dt><dd>{_E(v)}</dd>" for k, v in report.definitions.items())
    parts += [f"<h2>口径说明<small>Definitions</small></h2><dl>{definitions}</dl>", "</body></html>"]
    return "\n".join(parts) + "\n"


# --- ledger verification -------------------------------------------------------------------------


def render_verification(cases: int, broken: Sequence[BrokenChain], fmt: str) -> str:
    """The result of walking every hash chain, in the report's formats."""
    items = [b.model_dump() for b in broken]
    if fmt == "json":
        document = {"report": "onething-ledger-verification", "cases": cases, "verified": not broken}
        return json.dumps({**document, "broken": items}, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=["case_id", "seq", "reason"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(items)
        return out.getvalue()
    summary = (
        f"ledger verified: {cases} cases, every hash chain intact"
        if not broken
        else f"ledger BROKEN: {len(broken)} of {cases} cases"
    )
    if fmt == "html":
        table = _html_table(
            Section(
                "broken",
                "断链办件",
                "Broken chains",
                ["办件 case", "首个异常 first bad seq", "原因 reason"],
                [("", [b.case_id, b.seq, b.reason]) for b in broken],
            )
        )
        return (
            '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>监察台账校验 ledger verification</title><style>{_CSS}</style></head><body>"
            f"<h1>监察台账校验<small>Ledger verification</small></h1><p>{_E(summary)}</p>"
            f"{table if broken else ''}</body></html>\n"
        )
    return "\n".join([summary, *(f"{b.case_id}: seq {b.seq}: {b.reason}" for b in broken)]) + "\n"
