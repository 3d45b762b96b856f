"""A worker for one of the bench's reference workflows, with the case worker's settings.

    python -m bench.reference_worker trivial|floor ADDRESS TASK_QUEUE

`trivial` runs bench/trivial_workflow.py (the server's limit), `floor` bench/floor_workflow.py (a class
I case's commands with empty bodies). Same client (pydantic data converter), same sandbox runner, same
workflow cache size as `worker.run_worker`; only the workflow differs. Runs until SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from bench.floor_workflow import FLOOR_ACTIVITIES, BenchFloor
from bench.trivial_workflow import BenchTrivial
from worker import workflow_runner

MAX_CACHED_WORKFLOWS = 20_000  # as worker.run_worker

# kind → (workflow, its activities)
KINDS: dict[str, tuple[type, Sequence[Callable[..., Any]]]] = {
    "trivial": (BenchTrivial, ()),
    "floor": (BenchFloor, FLOOR_ACTIVITIES),
}


def started_line(kind: str) -> str:
    """What the worker prints on stderr once it polls: the bench waits for this line."""
    return f"{kind} worker started"


async def serve(kind: str, address: str, task_queue: str) -> None:
    workflow, activities = KINDS[kind]
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[workflow],
        activities=list(activities),
        workflow_runner=workflow_runner(),
        max_cached_workflows=MAX_CACHED_WORKFLOWS,
    )
    async with worker:
        print(started_line(kind), file=sys.stderr, flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2], sys.argv[3]))
