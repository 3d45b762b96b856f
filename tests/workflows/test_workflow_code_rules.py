"""What a sandbox would check at run time, checked on the source: the code a workflow runs.

The workers run workflows unsandboxed (worker.workflow_runner): nothing stops a workflow at run time
from reading the clock, drawing randomness, doing I/O or keeping state from one run to the next, so
nothing in its code may. Every module under workflows/ (but the client, which no workflow imports)
and domain/ is read here:
- it imports only modules of `WORKFLOW_MODULES`, pure and deterministic (a new one is added here, by
  someone who has read it); `activities` only to name an activity, whose code runs outside;
- no call of `.now()`, `.utcnow()` or `.today()` but `workflow.now()`, and no `open()`;
- in workflows/, no `global`, and no mutable value (list, dict, set) at module or class level.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from temporalio.worker import UnsandboxedWorkflowRunner

from worker import workflow_runner

REPO = Path(__file__).resolve().parents[2]
NOT_WORKFLOW_CODE = {REPO / "workflows" / "client.py"}

WORKFLOW_MODULES = frozenset(
    {
        "__future__",
        "asyncio",  # tasks and waits, which the SDK's event loop runs deterministically
        "collections",
        "dataclasses",
        "datetime",  # the types; the clock is refused below
        "enum",
        "functools",
        "hashlib",
        "hmac",
        "json",
        "math",
        "re",
        "types",
        "typing",
        "unicodedata",
        "lunar_python",  # the lunar calendar's arithmetic (domain/calendar.py)
        "pydantic",
        "pydantic_core",
        "temporalio",
        "activities",
        "domain",
        "workflows",
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
    """What in `source` could differ on replay or would leak from one run to the next."""
    tree = ast.parse(source)
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] not in WORKFLOW_MODULES:
                    problems.append(f"line {node.lineno}: imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] not in WORKFLOW_MODULES:
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


def test_the_rules_catch_what_a_sandbox_would():
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


def test_every_allowed_module_exists():
    """The allow-list names real modules: a typo there would let nothing through, or hide a rename."""
    for name in WORKFLOW_MODULES - {"__future__"}:
        __import__(name)
        assert name in sys.modules


def test_workers_and_the_replayer_run_workflows_unsandboxed():
    """What the rules above check runs as it is: changing the runner is a decision this test shows."""
    assert isinstance(workflow_runner(), UnsandboxedWorkflowRunner)
