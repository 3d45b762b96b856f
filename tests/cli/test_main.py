"""cli/main.py: the table of commands says what the modules register, and a command imports its own.

`onething --help` lists every command from the table without importing a command module; running a
command imports that command's module only. Tests never assert on time (issue 18's ≤ 0.3 s is a
figure in bench/cli_start.py); they assert on what is imported, which is what the time is made of.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import COMMANDS, build_parser, command_of

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "submissions" / "02-class-ii-urban.json"
# What a quick command must not pay for: the workflow engine, the web stack, the database, the seal.
HEAVY = ("temporalio", "fastapi", "sqlalchemy", "alembic", "seal", "activities", "workflows", "portal")


def registered(module_name: str) -> dict[str, str | None]:
    """{command name: help line} of what `module.register` adds."""
    sub = argparse.ArgumentParser().add_subparsers()
    importlib.import_module(module_name).register(sub)
    return {action.dest: action.help for action in sub._choices_actions}


def test_the_table_is_what_the_modules_register() -> None:
    modules = dict.fromkeys(command.module for command in COMMANDS)
    from_modules = {name: (module, text) for module in modules for name, text in registered(module).items()}
    from_table = {command.name: (command.module, command.help) for command in COMMANDS}
    assert from_table == from_modules


def test_help_lists_every_command_with_its_help_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser(None).parse_args(["--help"])
    listing = "".join(capsys.readouterr().out.split())  # argparse wraps long lines, even at a hyphen
    for command in COMMANDS:
        assert command.name + "".join(command.help.split()) in listing


@pytest.mark.parametrize(
    ("argv", "command"),
    [(["deadline", "--start", "x"], "deadline"), (["-h"], None), ([], None), (["-h", "audit"], "audit")],
)
def test_the_command_on_the_line(argv: list[str], command: str | None) -> None:
    assert command_of(argv) == command


def imported_by(*argv: str) -> tuple[set[str], str]:
    """The top-level packages a fresh interpreter has imported after `onething ARGV`, and its stdout."""
    probe = (
        "import contextlib, io, json, sys\n"
        "from cli.main import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    code = main({list(argv)!r})\n"
        "print(json.dumps({'code': code, 'out': out.getvalue(), 'modules': sorted(sys.modules)}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    doc = json.loads(done.stdout)
    assert doc["code"] == 0, done.stderr
    return {name.split(".")[0] for name in doc["modules"]}, doc["out"]


@pytest.mark.parametrize(
    "argv",
    [("deadline", "--start", "2026-09-28", "--working-days", "5"), ("assess", str(SAMPLE))],
    ids=["deadline", "assess"],
)
def test_a_quick_command_imports_neither_engine_nor_web_nor_database(argv: tuple[str, ...]) -> None:
    modules, out = imported_by(*argv)
    assert json.loads(out)
    assert sorted(modules & set(HEAVY)) == []


def test_help_imports_no_command_module() -> None:
    probe = (
        "import sys\nfrom cli.main import build_parser\nbuild_parser(None)\n"
        "print(sorted(m for m in sys.modules if m.startswith('cli.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "['cli.errors', 'cli.main']"
