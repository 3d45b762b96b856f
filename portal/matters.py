"""The matters (一件事) the portal accepts: `matter` → its submission schema and how to start its case.

A new matter adds one `Matter` to `MATTERS`: its submission model and, if it has a 补正 round, its
supplement model (pydantic, strict, `extra="forbid"`), and its start function. Every matter's workflow
answers the same messages — query `status`, updates `submit_opinion`, `withdraw`, and `supplement` where
the matter has one — so the case endpoints need nothing else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel
from temporalio.client import Client, WorkflowHandle

from domain.case import CaseStatus
from domain.open_business_case import MATTER as OPEN_TRANSPORT_BUSINESS
from domain.open_business_case import OpenBusinessSubmission
from domain.oversize_case import MATTER as OVERSIZE_TRANSPORT
from domain.oversize_case import OversizeSubmission, OversizeSupplement
from workflows.client import start_case

StartCase = Callable[[Client, Any, str], Awaitable[tuple[WorkflowHandle[Any, CaseStatus], bool]]]
"""(client, validated submission, task queue) → (handle, created); the same submission id → the same case."""

STATUS_QUERY: Final = "status"
OPINION_UPDATE: Final = "submit_opinion"
SUPPLEMENT_UPDATE: Final = "supplement"
WITHDRAW_UPDATE: Final = "withdraw"


@dataclass(frozen=True)
class Matter:
    name: str
    submission: type[BaseModel]
    supplement: type[BaseModel] | None  # None: the matter has no 补正 round
    start: StartCase


MATTERS: Final[dict[str, Matter]] = {
    OVERSIZE_TRANSPORT: Matter(
        name=OVERSIZE_TRANSPORT,
        submission=OversizeSubmission,
        supplement=OversizeSupplement,
        start=start_case,
    ),
    OPEN_TRANSPORT_BUSINESS: Matter(
        name=OPEN_TRANSPORT_BUSINESS,
        submission=OpenBusinessSubmission,
        supplement=None,
        start=start_case,
    ),
}


def matter_of_case(case_id: str) -> Matter | None:
    """The matter a case id belongs to: case ids are `<matter>-<submission id>` (workflows.client)."""
    # Longest name first, in case one matter's name is a prefix of another's.
    for name in sorted(MATTERS, key=len, reverse=True):
        if case_id.startswith(f"{name}-") and len(case_id) > len(name) + 1:
            return MATTERS[name]
    return None
