"""The result of `--verify-ledger` (every hash chain walked, every event parsed), in the report's formats."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from reports.as_html import PAGE_CSS, esc, html_table
from reports.sections import Section
from store.ledger import BrokenChain


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
        table = html_table(
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
            f"<title>监察台账校验 ledger verification</title><style>{PAGE_CSS}</style></head><body>"
            f"<h1>监察台账校验<small>Ledger verification</small></h1><p>{esc(summary)}</p>"
            f"{table if broken else ''}</body></html>\n"
        )
    return "\n".join([summary, *(f"{b.case_id}: seq {b.seq}: {b.reason}" for b in broken)]) + "\n"
