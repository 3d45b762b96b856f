"""The report as one JSON document: the report's name and version, then its model."""

from __future__ import annotations

import json
from typing import Any, Final

from domain.audit.report import (
    AuditReport,
)

REPORT_NAME: Final = "onething-audit"


REPORT_VERSION: Final = 1


def report_document(report: AuditReport) -> dict[str, Any]:
    """The JSON document: a name and version first, then the report's fields in a fixed order."""
    return {"report": REPORT_NAME, "version": REPORT_VERSION, **report.model_dump(mode="json")}


def render_json(report: AuditReport) -> str:
    return json.dumps(report_document(report), ensure_ascii=False, indent=2) + "\n"
