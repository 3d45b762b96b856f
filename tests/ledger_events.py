"""One valid typed event per ledger step, for tests of the ledger itself (store, activity, rebuild):
the events the workflows write have their own tests; these only need to be well formed."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.case import Step
from domain.events import (
    Accepted,
    CardRaised,
    CardWithdrawn,
    ClockResumed,
    ClockStopped,
    Closed,
    Decided,
    DuesRecounted,
    Issued,
    NotAccepted,
    Rated,
    Received,
    RectificationOpened,
    RectificationReplied,
    ReturnVisited,
    SupervisionEvent,
    SupervisionEventIn,
    SupplementRequested,
    TaskAnswered,
    TaskAssigned,
    TaskClaimed,
    TaskTransferred,
    TaskUrged,
    Withdrawn,
    to_row,
)

DUE = datetime(2026, 3, 10, 15, 59, 59, tzinfo=UTC)
HIGHWAY = "highway"


def sample_event(step: str, department: str = HIGHWAY) -> SupervisionEvent:
    """A well-formed event of `step` (a `Step` value) by `department`."""
    d, task = department, "review:highway"
    samples: dict[str, SupervisionEvent] = {
        Step.RECEIVED: Received(department=d),
        Step.ACCEPTED: Accepted(
            department=d,
            actor_role="system",
            planned_at=DUE,
            limit_working_days=3,
            permit_class="II",
            statutory_due=DUE,
            statutory_working_days=5,
            promised_working_days=3,
        ),
        Step.NOT_ACCEPTED: NotAccepted(department=d, actor_role="system", reasons=["可分载物品"]),
        Step.SUPPLEMENT: SupplementRequested(department=d, actor_role="system", planned_at=DUE),
        Step.CLOCK_STOP: ClockStopped(department=d, actor_role="officer", reason="专家评审"),
        Step.CLOCK_RESUME: ClockResumed(
            department=d, actor_role="officer", reason="专家评审", stopped_working_days=2
        ),
        Step.ASSIGNED: TaskAssigned(
            department=d, actor_role="system", planned_at=DUE, task_id=task, title="公路管理机构审查"
        ),
        Step.REVIEWED: TaskAnswered(
            step=Step.REVIEWED, department=d, actor_role="officer", outcome="approve", task_id=task
        ),
        Step.COUNTERSIGNED: TaskAnswered(
            step=Step.COUNTERSIGNED,
            department=d,
            actor_role="officer",
            outcome="approve",
            task_id="countersign:police",
        ),
        Step.DECIDED: Decided(department=d, actor_role="system", outcome="准予许可"),
        Step.ISSUED: Issued(department=d, actor_role="system", licence_id="L-1", licence_key="permit"),
        Step.WITHDRAWN: Withdrawn(department=d),
        Step.CLOSED: Closed(department=d, actor_role="system", outcome="approved", planned_at=DUE),
        Step.RATED: Rated(department="applicant", outcome="5"),
        Step.RECTIFICATION: RectificationOpened(department=d, actor_role="system", score=1),
        Step.RECTIFICATION_REPLY: RectificationReplied(department=d, actor_role="officer"),
        Step.RETURN_VISIT: ReturnVisited(department=d, actor_role="officer", outcome="satisfied"),
        Step.RECOUNTED: DuesRecounted(
            department=d, actor_role="system", year=2027, old_due={"promised": DUE}, new_due={"promised": DUE}
        ),
        Step.CARD_WITHDRAWN: CardWithdrawn(
            department=d, actor_role="system", card="red", limit="promised", reason="时限重算"
        ),
        Step.CLAIMED: TaskClaimed(department=d, task_id=task, officer="officer:highway"),
        Step.TRANSFERRED: TaskTransferred(
            department=d,
            task_id=task,
            from_officer="officer:highway",
            to_officer="officer:highway:2",
            reason="休假",
        ),
        Step.URGED: TaskUrged(department=d, planned_at=DUE, task_id=task, supervisor="supervisor"),
    }
    for card in (Step.WARNING, Step.YELLOW_CARD, Step.RED_CARD, Step.STATUTORY_OVERDUE):
        samples[card] = CardRaised(step=card, department=d, planned_at=DUE, scope="case", limit="promised")  # type: ignore[arg-type]
    return samples[Step(step)]


def sample_row(
    step: str,
    *,
    case_id: str,
    key: str,
    actual_at: datetime,
    matter: str = "oversize-transport",
    department: str = HIGHWAY,
) -> SupervisionEventIn:
    """The ledger row of `sample_event(step)`."""
    return to_row(
        sample_event(step, department),
        case_id=case_id,
        matter=matter,
        actual_at=actual_at,
        idempotency_key=key,
    )
