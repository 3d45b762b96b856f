"""The formats an audit report is rendered in, and the one entry point that picks one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from domain.audit.report import (
    AuditReport,
)
from reports.as_csv import render_csv
from reports.as_html import render_html
from reports.as_json import render_json
from reports.as_table import render_table

FORMATS: Final = ("table", "json", "csv", "html")


def render(report: AuditReport, fmt: str) -> str:
    renderers: dict[str, Callable[[AuditReport], str]] = {
        "table": render_table,
        "json": render_json,
        "csv": render_csv,
        "html": render_html,
    }
    return renderers[fmt](report)
