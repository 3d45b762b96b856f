"""The floor of a class I case (issue 18 item 1): its commands, in its order, with bodies that do nothing.

The commands are those of the saved class I history
(tests/histories/due-dates-counted-once-a-day-permits-with-prefill/test_class_i_all_checks_pass_completes_without_a_human-0.json,
19 events), all in its first workflow task: two patch markers (each with its TemporalChangeVersion
upsert), two local activities (the registry look-ups with the permits held and the day's dues; the
seal and issue), the evaluation window's timer started, one upsert (region, matter, class, due,
stage), the ledger's local activity — where the floor completes (the case waits on, which costs
nothing until the timer fires).
Here the local activities return at once, and the values upserted are constants: what
remains is what Temporal, the SDK and the sandbox cost for those commands, the floor our own code's
cost is measured against (`auto_path.ratio_to_floor`).

Alone in its module, with no import-time side effects; its worker runs it unsandboxed, as the case
workflows are run (worker.workflow_runner).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from temporalio import activity, workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

# The case's own keys (workflows/search_attributes.py), spelled here so that the floor's worker loads
# nothing of the case's code.
MATTER = SearchAttributeKey.for_keyword("OnethingMatter")
PERMIT_CLASS = SearchAttributeKey.for_keyword("OnethingPermitClass")
STAGE = SearchAttributeKey.for_keyword("OnethingStage")
DUE = SearchAttributeKey.for_datetime("OnethingDue")
REGION = SearchAttributeKey.for_keyword("OnethingRegion")

DUE_AT = datetime(2026, 10, 9, 16, tzinfo=UTC)
STEP = timedelta(seconds=10)  # a local activity's start-to-close, as the case's ledger steps


@activity.defn(name="bench_floor_step")
async def floor_step(case_id: str) -> str:
    return case_id


FLOOR_ACTIVITIES = (floor_step,)


@workflow.defn(name="BenchFloor")
class BenchFloor:
    """Runs the commands of a class I case with empty bodies; returns its input at the point where the
    case has issued its licence and opened its evaluation window."""

    @workflow.run
    async def run(self, case_id: str) -> str:
        for patch_id in ("floor", "floor-count-once"):  # a marker and an upsert each, as the case's two
            workflow.patched(patch_id)
        for _ in range(2):
            await self._step(case_id)
        window = asyncio.create_task(workflow.sleep(timedelta(days=21)))
        await asyncio.sleep(0)  # the timer's command goes out with the completion
        self._upsert(REGION, MATTER, PERMIT_CLASS, DUE, STAGE)
        await self._step(case_id)
        del window
        return case_id

    async def _step(self, case_id: str) -> None:
        await workflow.execute_local_activity(floor_step, case_id, start_to_close_timeout=STEP)

    @staticmethod
    def _upsert(*keys: SearchAttributeKey[str] | SearchAttributeKey[datetime]) -> None:
        updates: list[SearchAttributeUpdate[Any]] = []
        for key in keys:
            if key is DUE:
                updates.append(DUE.value_set(DUE_AT))
            else:
                updates.append(
                    cast(SearchAttributeKey[str], key).value_set("I" if key is PERMIT_CLASS else "floor")
                )
        workflow.upsert_search_attributes(updates)
