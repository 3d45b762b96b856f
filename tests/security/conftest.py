"""Security tests: the portal in process (the fixtures of tests/portal), live cases to aim at, the tally."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest_asyncio

from tests.factories import CLASS_I, CLASS_III, CLASS_III_TASKS
from tests.portal import conftest as portal_fixtures
from tests.portal.conftest import Portal, application

# The fixtures of tests/portal, shared: the portal in process with a worker, and a clean environment.
portal = portal_fixtures.portal
_no_portal_env = portal_fixtures._no_portal_env


@dataclass
class Live:
    """Two class III cases waiting for the highway review, so that requests also reach real workflows.

    `review[0]` is for reads and officers' opinions, `review[1]` for its applicant's supplements and
    withdrawal (which may close it).
    """

    review: list[str]


@pytest_asyncio.fixture
async def live(portal: Portal) -> AsyncIterator[Live]:
    cases = [await portal.submit(application(CLASS_III)) for _ in range(2)]
    for case in cases:
        await portal.wait_for(case["case_id"], case["applicant_token"], open_tasks=CLASS_III_TASKS)
    yield Live(review=[c["case_id"] for c in cases])


@pytest_asyncio.fixture
async def licence_id(portal: Portal) -> str:
    """The e-licence of an approved class I case."""
    case = await portal.submit(application(CLASS_I))
    status = await portal.wait_for(case["case_id"], case["applicant_token"], outcome="approved")
    licence: str = status["licence_ids"][0]
    return licence
