"""`onething ledger rebuild [--apply]`: re-derive the supervision ledger from the Temporal histories.

Reports every event the histories say the ledger should hold that it lacks or holds differently
(JSON on stdout); with --apply, appends the missing ones. Exit 0 when the ledger matches (or was
restored), 1 when differences remain.

`onething ledger rebuild-inbox`: throw the officers' inbox away and fold it again from the ledger
(store/inbox.py); prints `{"tasks": N}`.

`onething ledger rebuild-summaries`: the same for the cases' summaries the audit reads
(store/case_summaries.py); prints `{"cases": N}`. The events `rebuild --apply` restores are appended
like any other, so the inbox and the summaries of those cases move with them.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from bootstrap.deps import build_deps, dispose
from logs import configure_logging
from services.ledger_rebuild import RebuildReport, rebuild_ledger
from settings import Settings
from store.case_summaries import rebuild as rebuild_summaries
from store.inbox import rebuild as rebuild_inbox
from worker import WORKFLOWS, connect
from workflows.matters import MATTERS


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ledger = sub.add_parser("ledger", help="the supervision ledger (行政效能电子监察)")
    actions = ledger.add_subparsers(dest="ledger_command", required=True, metavar="ACTION")
    rebuild = actions.add_parser("rebuild", help="re-derive the ledger from the Temporal histories")
    rebuild.add_argument("--apply", action="store_true", help="append the events the ledger is missing")
    rebuild.add_argument(
        "--query", default="OnethingMatter IS NOT NULL", help="which cases (a Temporal list query)"
    )
    rebuild.set_defaults(handler=_rebuild)
    inbox = actions.add_parser("rebuild-inbox", help="fold the officers' inbox again from the ledger")
    inbox.set_defaults(handler=_rebuild_inbox)
    summaries = actions.add_parser(
        "rebuild-summaries", help="fold the cases' summaries the audit reads again from the ledger"
    )
    summaries.set_defaults(handler=_rebuild_summaries)


def _rebuild_inbox(args: argparse.Namespace) -> int:
    configure_logging()
    tasks = asyncio.run(_run_inbox(Settings.from_env()))
    print(json.dumps({"tasks": tasks}))
    return 0


async def _run_inbox(settings: Settings) -> int:
    deps = await build_deps(settings, licence_kinds=MATTERS.licence_kinds)
    try:
        return await rebuild_inbox(deps.sessions)
    finally:
        await dispose(deps)


def _rebuild_summaries(args: argparse.Namespace) -> int:
    configure_logging()
    cases = asyncio.run(_run_summaries(Settings.from_env()))
    print(json.dumps({"cases": cases}))
    return 0


async def _run_summaries(settings: Settings) -> int:
    deps = await build_deps(settings, licence_kinds=MATTERS.licence_kinds)
    try:
        return await rebuild_summaries(deps.sessions)
    finally:
        await dispose(deps)


def _rebuild(args: argparse.Namespace) -> int:
    configure_logging()
    report = asyncio.run(_run(Settings.from_env(), args.query, args.apply))
    print(report.model_dump_json(indent=2))
    remaining = len(report.differences) - report.restored
    return 0 if remaining == 0 else 1


async def _run(settings: Settings, query: str, apply: bool) -> RebuildReport:
    client = await connect(settings)
    deps = await build_deps(settings, licence_kinds=MATTERS.licence_kinds)
    try:
        return await rebuild_ledger(client, deps.sessions, WORKFLOWS, query=query, apply=apply)
    finally:
        await dispose(deps)
