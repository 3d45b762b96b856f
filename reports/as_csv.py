"""The report as CSV: one row per matter × permit class, then one subtotal row per matter (permit_class
"*") and the grand total (matter "*"); the columns are `CSV_COLUMNS`. Rates are fractions with four
decimals, empty when their denominator is 0."""

from __future__ import annotations

import csv
import io
from typing import Final

from domain.audit.facts import CARD_KINDS
from domain.audit.report import (
    KPI_NAMES,
    AuditReport,
    GroupFigures,
    Rate,
)
from reports.sections import blank, report_rows

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
    "activation_rate": "激活率: licences their holder fetched ÷ licences (target 0.80)",
}


_CARD_COLUMNS: Final = dict(
    zip(CARD_KINDS, ("cards_warning", "cards_yellow", "cards_red", "cards_statutory"), strict=True)
)


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
    return {column: blank(values.get(column)) for column in CSV_COLUMNS}


def render_csv(report: AuditReport) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in report_rows(report):
        writer.writerow(csv_row(row))
    return out.getvalue()
