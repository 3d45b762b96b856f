"""What the sandbox no longer checks at run time, checked on the source: the code a workflow runs.

The worker passes the workflow modules through the sandbox like the helpers and the domain they
import (worker.workflow_runner): nothing in them is imported anew per case, so nothing there may
read the clock, draw randomness, do I/O or keep state between runs. Every module under workflows/
(but the client, which no workflow imports) and domain/ is read here:
- no import of a module that reads the clock, draws randomness or does I/O;
- no call of `.now()`, `.utcnow()` or `.today()` but `workflow.now()`, and no `open()`;
- in workflows/, no `global`, and no mutable value (list, dict, set) at module or class level.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from worker import WORKFLOWS, workflow_runner

REPO = Path(__file__).resolve().parents[2]
NOT_WORKFLOW_CODE = {REPO / "workflows" / "client.py"}

FORBIDDEN_MODULES = frozenset(
    {
        "time",
        "random",
        "secrets",
        "uuid",
        "os",
        "sys",
        "socket",
        "subprocess",
        "threading",
        "multiprocessing",
        "pathlib",
        "io",
        "shutil",
        "tempfile",
        "urllib",
        "http",
        "httpx",
        "sqlalchemy",
        "structlog",
        "logging",
        "store",
        "services",
        "bootstrap",
        "settings",
    }
)
CLOCK_CALLS = frozenset({"now", "utcnow", "today"})
MUTABLE = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)
MUTABLE_CALLS = frozenset({"list", "dict", "set", "defaultdict", "deque", "Counter", "OrderedDict"})


def workflow_code() -> list[Path]:
    paths = sorted((REPO / "workflows").rglob("*.py")) + sorted((REPO / "domain").rglob("*.py"))
    return [path for path in paths if path not in NOT_WORKFLOW_CODE]


def _is_mutable(value: ast.expr | None) -> bool:
    if isinstance(value, MUTABLE):
        return True
    if isinstance(value, ast.Call):
        func = value.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        return name in MUTABLE_CALLS
    return False


def _state(body: list[ast.stmt], where: str) -> list[str]:
    problems = []
    for node in body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and _is_mutable(node.value):
            problems.append(f"line {node.lineno}: a mutable value at {where} level")
    return problems


def problems_of(source: str, *, workflow_module: bool) -> list[str]:
    """What in `source` the sandbox would have stopped or that would leak from one run to the next."""
    tree = ast.parse(source)
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FORBIDDEN_MODULES:
                    problems.append(f"line {node.lineno}: imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in FORBIDDEN_MODULES:
                problems.append(f"line {node.lineno}: imports from {node.module}")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in CLOCK_CALLS:
                if not (isinstance(func.value, ast.Name) and func.value.id == "workflow"):
                    problems.append(f"line {node.lineno}: reads the clock ({func.attr}())")
            elif isinstance(func, ast.Name) and func.id == "open":
                problems.append(f"line {node.lineno}: opens a file")
        elif isinstance(node, ast.Global) and workflow_module:
            problems.append(f"line {node.lineno}: global {', '.join(node.names)}")
        elif isinstance(node, ast.ClassDef) and workflow_module:
            problems += _state(node.body, f"class {node.name}")
    if workflow_module:
        problems += _state(tree.body, "module")
    return problems


@pytest.mark.parametrize("path", workflow_code(), ids=lambda path: str(path.relative_to(REPO)))
def test_workflow_code_reads_no_clock_draws_no_randomness_does_no_io(path: Path):
    in_workflows = path.is_relative_to(REPO / "workflows")
    assert problems_of(path.read_text(encoding="utf-8"), workflow_module=in_workflows) == []


def test_the_rules_catch_what_the_sandbox_caught():
    source = """
import time
import uuid as ids
from datetime import datetime
from store.ledger import append_events
from datetime import time as clock_time
TASKS = {}
class Case:
    seen = []
    def run(self):
        global TASKS
        open("x")
        return datetime.now(), workflow.now(), ids.uuid4(), time.time()
"""
    assert problems_of(source, workflow_module=True) == [
        "line 2: imports time",
        "line 3: imports uuid",
        "line 5: imports from store.ledger",
        "line 9: a mutable value at class Case level",
        "line 11: global TASKS",
        "line 12: opens a file",
        "line 13: reads the clock (now())",
        "line 7: a mutable value at module level",
    ]


def test_the_workers_sandbox_passes_the_workflow_modules_through():
    """A case is not imported anew and its class not defined again for every run (issue 18)."""
    modules = {cls.__module__ for cls in WORKFLOWS}
    assert modules <= workflow_runner(WORKFLOWS).restrictions.passthrough_modules
    assert modules.isdisjoint(workflow_runner().restrictions.passthrough_modules)
