"""What the text table and the HTML page both show: the report's sections, each a title and rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.audit.facts import CARD_KINDS, RATING_VALUES
from domain.audit.report import (
    ALL,
    KPI_NAMES,
    AuditReport,
    GroupFigures,
    Rate,
    TargetRate,
)
from domain.calendar import SHANGHAI


def blank(value: object) -> str:
    return "" if value is None else str(value)


def report_rows(report: AuditReport) -> list[GroupFigures]:
    """Groups, then each matter's subtotal, then the grand total."""
    return [*report.groups, *report.matters, report.total]


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


def class_label(value: str | None) -> str:
    return "—" if value is None else value


def sections(report: AuditReport) -> list[Section]:
    rows = report_rows(report)
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
                        class_label(r.permit_class),
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
            [(_kind(r), [r.matter, class_label(r.permit_class), *r.by_outcome.values()]) for r in rows],
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
                        class_label(o.permit_class),
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
                        class_label(r.permit_class),
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
                        class_label(r.permit_class),
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


def percent(rate: Rate) -> str:
    return "—" if rate.rate is None else f"{rate.rate * 100:.1f}% ({rate.count}/{rate.of})"


def missed(rate: Rate) -> bool:
    return isinstance(rate, TargetRate) and rate.meets_target is False


def period_line(report: AuditReport) -> str:
    period = report.period
    start, end = blank(period.received_from) or "…", blank(period.received_to) or "…"
    return f"收件 received {start} – {end} (Asia/Shanghai); 截至 as of {_shanghai(period.now)}"


def unreadable_line(report: AuditReport) -> str | None:
    """A warning when stored events did not parse and were left out (`--verify-ledger` names them)."""
    if not report.unreadable_events:
        return None
    return (
        f"注意 {report.unreadable_events} 条监察记录无法解析，未计入: {report.unreadable_events} stored "
        "events do not parse and are left out of every figure; `onething audit --verify-ledger` names them"
    )
