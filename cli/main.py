"""The `onething` command: one entry point for every role.

Each subcommand lives in its own module under cli/ and is listed in `COMMANDS` below: its name, the
module that registers it and its help line. Only the module of the command being run is imported, so
`onething deadline` does not pay for Temporal, FastAPI, SQLAlchemy and the seal (issue 18: it took
1.6 s to print one date, almost all of it imports); `onething --help` lists every command from the
table alone. tests/cli/test_main.py keeps the table and the modules' own registrations in step.

Contract shared by all of them: results as JSON on stdout, errors on stderr naming the field, exit
code 2 for bad input (argparse's own convention), 1 for a failure of the system.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from cli.errors import BadInput
from settings import SettingsError


@dataclass(frozen=True)
class Command:
    """One `onething` subcommand: `module.register(sub)` adds its parser (and those of its siblings)."""

    name: str
    module: str
    help: str


COMMANDS: tuple[Command, ...] = (
    Command("up", "cli.up", "start the embedded stack: Temporal dev server + UI, worker, portal"),
    Command("worker", "cli.up", "run a worker (and outbox relay) against TEMPORAL_ADDRESS"),
    Command("portal", "cli.serve", "serve the portal HTTP API"),
    Command("submit", "cli.portal_client", "submit an application to the portal"),
    Command("status", "cli.portal_client", "show a case's status"),
    Command("decide", "cli.portal_client", "answer a department's open task in a case"),
    Command(
        "stop-clock", "cli.case_actions", "停表: stop the case clock for an open task of your department"
    ),
    Command(
        "resume-clock", "cli.case_actions", "复表: restart the clock; every due moves by the stopped days"
    ),
    Command("rate", "cli.case_actions", "好差评: the applicant rates the service after 办结 (1..5)"),
    Command("supplement", "cli.case_actions", "补正: the applicant answers the 补正 notice of the case"),
    Command(
        "withdraw", "cli.case_actions", "撤回: the applicant withdraws the application before the decision"
    ),
    Command("reply-rating", "cli.case_actions", "整改答复: the responsible department answers a bad rating"),
    Command("return-visit", "cli.case_actions", "回访 after the 整改 (a supervisor)"),
    Command("claim", "cli.case_actions", "签收: take an open task of your department"),
    Command("transfer", "cli.case_actions", "转办: hand a task to another officer of your department"),
    Command("urge", "cli.case_actions", "督办: a supervisor urges an open task (ledger event, notice)"),
    Command("tasks", "cli.case_actions", "the inbox (待办/已办): open or answered tasks, sorted by due"),
    Command("verify", "cli.case_actions", "verify an e-licence: seal, validity, revocation"),
    Command(
        "bar-carrier",
        "cli.case_actions",
        "限制申请: bar a carrier whose credit commitment (信用承诺) in a case was found false",
    ),
    Command(
        "licence",
        "cli.case_actions",
        "fetch an e-licence; with the applicant token of its case, the holder's fetch (激活)",
    ),
    Command(
        "assess",
        "cli.assess",
        "over-limit check, permit class and statutory deadline of an oversize transport request",
    ),
    Command("deadline", "cli.deadline", "due date after N working days (start day not counted)"),
    Command(
        "calendar",
        "cli.holidays",
        "holiday notices (节假日安排): add one, show the calendar the system counts on",
    ),
    Command("audit", "cli.audit", "the auditors' report from the supervision ledger (or --verify-ledger)"),
    Command("ledger", "cli.ledger", "the supervision ledger (行政效能电子监察)"),
    Command("registry", "cli.registry", "registry data from the data-sharing platform (数据共享平台)"),
    Command("secrets", "cli.secrets", "print a fresh set of cluster secrets (env file)"),
)
BY_NAME = {command.name: command for command in COMMANDS}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with `command`'s module registered; every other command is its help line only."""
    parser = argparse.ArgumentParser(prog="onething", description="高效办成一件事 case engine")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = BY_NAME.get(command) if command is not None else None
    if chosen is not None:
        importlib.import_module(chosen.module).register(sub)
    for entry in COMMANDS:
        # A stand-in, so --help and argparse's "invalid choice" list every command; it is never run,
        # since the command on the line is the one whose module was registered above.
        if entry.name not in sub.choices:
            sub.add_parser(entry.name, help=entry.help)
    return parser


def command_of(argv: Sequence[str]) -> str | None:
    """The subcommand on the line: the first word that is not an option (the top level takes only -h)."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(command_of(argv))
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except (BadInput, SettingsError) as exc:
        print(f"onething {args.command}: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
