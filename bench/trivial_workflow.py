"""The trivial workflow of the throughput limit: start → complete, no activity, no timer.

Alone in its module, with no import-time side effects; its worker runs it unsandboxed, as the case
workflows are run (worker.workflow_runner).
"""

from __future__ import annotations

from temporalio import workflow


@workflow.defn(name="BenchTrivial")
class BenchTrivial:
    @workflow.run
    async def run(self, n: int) -> int:
        return n
