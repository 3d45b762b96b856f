"""Replay guard: every saved history must replay against the current workflow code.

A change to a workflow that running cases would replay differently fails here unless it is guarded
with `workflow.patched`. Histories live in one folder per workflow version (tests/histories/<version>/);
after a guarded change, record the new version's beside the old ones, which stay:
`make pytest PYTEST_ARGS="tests/workflows --record-histories=<patch-id>"`, and commit the folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker import WORKFLOWS, workflow_runner

ROOT = Path(__file__).resolve().parents[1] / "histories"
HISTORIES = sorted(ROOT.glob("*/*.json"))


def test_there_are_histories_to_replay():
    assert len(HISTORIES) >= 8


@pytest.mark.parametrize("path", HISTORIES, ids=[f"{p.parent.name}/{p.stem}" for p in HISTORIES])
async def test_history_replays(path: Path):
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240 - a small test file
    replayer = Replayer(
        workflows=WORKFLOWS,
        workflow_runner=workflow_runner(),
        data_converter=pydantic_data_converter,
    )
    await replayer.replay_workflow(history)
