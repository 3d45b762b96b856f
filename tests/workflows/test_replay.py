"""Replay guard: every saved history must replay against the current workflow code.

A change to a workflow that running cases would replay differently fails here unless it is guarded
with `workflow.patched`. To add histories after such a change: `make pytest PYTEST_ARGS="tests/workflows
--record-histories"` (it rewrites tests/histories/*.json from the current tests), keep the old files of
the previous version, and commit both.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker import WORKFLOWS, workflow_runner

HISTORIES = sorted((Path(__file__).resolve().parents[1] / "histories").glob("*.json"))


def test_there_are_histories_to_replay():
    assert len(HISTORIES) >= 8


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path):
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240 - a small test file
    replayer = Replayer(
        workflows=WORKFLOWS, workflow_runner=workflow_runner(), data_converter=pydantic_data_converter
    )
    await replayer.replay_workflow(history)
