"""A worker for the floor workflow (bench/floor_workflow.py), with the case worker's settings.

    python -m bench.floor_worker ADDRESS TASK_QUEUE

Same client (pydantic data converter), same sandbox runner, same workflow cache size; only the
workflow differs. Runs until SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from bench.floor_workflow import FLOOR_ACTIVITIES, BenchFloor
from worker import workflow_runner

MAX_CACHED_WORKFLOWS = 20_000  # as worker.run_worker


async def serve(address: str, task_queue: str) -> None:
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[BenchFloor],
        activities=list(FLOOR_ACTIVITIES),
        workflow_runner=workflow_runner(),
        max_cached_workflows=MAX_CACHED_WORKFLOWS,
    )
    async with worker:
        print("floor worker started", file=sys.stderr, flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
