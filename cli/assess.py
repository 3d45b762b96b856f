"""`onething assess FILE`: is a loaded vehicle over limit, and which oversize permit class (大件运输) is it?

    onething assess request.json        # or `-` to read the request from stdin
    onething assess samples/submissions/02-class-ii-urban.json
    {"over_limit": true, "permit_class": "II", "statutory_working_days": 5, ...,
     "limits": {"statutory": {...}, "promised": {...}}}

FILE holds one `domain.oversize.OversizeRequest` as JSON, or a whole 大件运输 submission (the portal's
document, with its `request`); the answer is the `Assessment`, every reason naming its article of
交通运输部令2016年第62号, and the case's two limits, each named: the statutory one (法定时限, Art. 15)
and the promised one (承诺时限). For a whole submission it adds what the portal would refuse today
(`refused_today`: the travel window, a multi-trip permit's conditions), each naming its field.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cli.errors import BadInput, describe_validation_error
from domain.calendar import local_date
from domain.oversize import OversizeRequest, PermitClass, assess
from domain.oversize_case import OversizeSubmission, admission_problems, oversize_limits

STDIN = "-"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "assess",
        help="over-limit check, permit class and statutory deadline of an oversize transport request",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("file", metavar="FILE", help="request JSON (OversizeRequest); - for stdin")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    request, submission = _parse(_read(args.file), args.file)
    assessment = assess(request)
    answer: dict[str, Any] = assessment.model_dump(mode="json")
    answer["limits"] = _limits(assessment.permit_class, request.cross_province)
    if submission is not None:
        today = local_date(datetime.now(UTC))
        answer["refused_today"] = [p.model_dump() for p in admission_problems(submission, today)]
    print(json.dumps(answer, ensure_ascii=False, indent=2))
    return 0


def _limits(cls: PermitClass | None, cross_province: bool) -> dict[str, Any] | None:
    """The statutory and the promised limit, each with its name and source; None without a class."""
    if cls is None:
        return None
    limits = oversize_limits(cls, cross_province)
    return {
        "statutory": {
            "name": "法定时限",
            "working_days": limits.statutory,
            "counted_from": "受理",
            "source": f"第62号令第十五条（{cls.chinese}{'跨省' if cross_province else '省内'}）",
        },
        "promised": {
            "name": "承诺时限",
            "working_days": limits.promised,
            "counted_from": "收件",
            "source": "湖南省大件运输一件事办事指南（不超过法定时限）",
        },
    }


def _read(name: str) -> str:
    try:
        if name == STDIN:
            # Bytes, decoded here: the locale of a pipe must not decide how Chinese cargo names are read.
            buffer = getattr(sys.stdin, "buffer", None)
            return buffer.read().decode("utf-8") if buffer is not None else sys.stdin.read()
        return Path(name).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise BadInput(f"{name}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise BadInput(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise BadInput(f"{name}: cannot read ({exc.strerror})") from exc


def _parse(text: str, name: str) -> tuple[OversizeRequest, OversizeSubmission | None]:
    """The request, and the whole submission when FILE is one (a document with a `request`)."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    try:
        if isinstance(data, dict) and "request" in data:
            submission = OversizeSubmission.model_validate(data)
            return submission.request, submission
        return OversizeRequest.model_validate(data), None
    except ValidationError as exc:
        raise BadInput(describe_validation_error(exc)) from exc
