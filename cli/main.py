"""The `onething` command: one entry point for every role.

Each subcommand lives in its own module under cli/ and registers itself here. Contract shared by
all of them: results as JSON on stdout, errors on stderr naming the field, exit code 2 for bad
input (argparse's own convention), 1 for a failure of the system.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cli import (
    assess,
    audit,
    case_actions,
    deadline,
    holidays,
    ledger,
    portal_client,
    registry,
    secrets,
    serve,
    up,
)
from cli.errors import BadInput
from settings import SettingsError

COMMANDS = (
    up,
    serve,
    portal_client,
    case_actions,
    assess,
    deadline,
    holidays,
    audit,
    ledger,
    registry,
    secrets,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onething", description="高效办成一件事 case engine")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except (BadInput, SettingsError) as exc:
        print(f"onething {args.command}: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
