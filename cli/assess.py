"""`onething assess FILE`: is a loaded vehicle over limit, and which oversize permit class (大件运输) is it?

    onething assess request.json        # or `-` to read the request from stdin
    {"over_limit": true, "permit_class": "II", "statutory_working_days": 5, ...}

FILE holds one `domain.oversize.OversizeRequest` as JSON; the answer is its `Assessment`, every reason
naming its article of 交通运输部令2016年第62号.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cli.errors import BadInput, describe_validation_error
from domain.oversize import OversizeRequest, assess

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
    request = _parse_request(_read(args.file), args.file)
    print(json.dumps(assess(request).model_dump(mode="json"), ensure_ascii=False, indent=2))
    return 0


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


def _parse_request(text: str, name: str) -> OversizeRequest:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    try:
        return OversizeRequest.model_validate(data)
    except ValidationError as exc:
        raise BadInput(describe_validation_error(exc)) from exc
