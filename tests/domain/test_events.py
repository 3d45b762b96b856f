"""Typed supervision events: every step round-trips through its ledger row, rows written before the
models existed still read, and a row that does not parse is refused naming its step and field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from domain.case import Step
from domain.events import (
    Accepted,
    CardRaised,
    ClockResumed,
    Closed,
    Decided,
    SupplementRequested,
    TaskAnswered,
    UnreadableEvent,
    parse_event,
    read_row,
    to_row,
)
from tests.ledger_events import sample_event

AT = datetime(2026, 9, 24, 1, 0, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))


@pytest.mark.parametrize("step", list(Step))
def test_every_step_round_trips_through_its_row(step: Step) -> None:
    event = sample_event(step)
    row = to_row(event, case_id="c-1", matter="oversize-transport", actual_at=AT, idempotency_key="k")
    assert row.step == step.value
    assert not set(row.detail) & {"department", "actor_role", "planned_at", "outcome", "step"}
    assert read_row(row) == event


def legacy(step: str, detail: dict[str, Any], **columns: Any) -> Any:
    return parse_event(step, detail, **{"department": "highway", "actor_role": "system", **columns})


def test_rows_in_the_format_written_before_the_models_still_read() -> None:
    """Each detail below is exactly what the workflows wrote before domain/events.py (stop 10)."""
    accepted = legacy(
        "受理",
        {
            "permit_class": "III",
            "statutory_due": "2026-10-22T23:59:59.999999+08:00",
            "statutory_working_days": 15,
            "promised_working_days": 7,
        },
        outcome="受理",
        limit_working_days=7,
    )
    assert isinstance(accepted, Accepted)
    assert accepted.statutory_due == datetime(2026, 10, 22, 23, 59, 59, 999999, tzinfo=SHANGHAI)

    card = legacy("黄牌", {"scope": "stage", "limit": "stage:review"})
    assert isinstance(card, CardRaised) and card.stage == "review" and card.task_id is None
    task_card = legacy("催办", {"scope": "task", "limit": "task:review:highway", "task_id": "review:highway"})
    assert isinstance(task_card, CardRaised) and task_card.task_id == "review:highway"

    resumed = legacy(
        "复表",
        {
            "reason": "补正",
            "stopped_working_days": 3,
            "promised_due": "2026-10-15T23:59:59.999999+08:00",
            "statutory_due": None,
            "moved": {"promised": "2026-10-15T23:59:59.999999+08:00"},
        },
        actor_role="applicant",
    )
    assert isinstance(resumed, ClockResumed) and resumed.stopped_working_days == 3
    assert resumed.moved["promised"] == datetime(2026, 10, 15, 23, 59, 59, 999999, tzinfo=SHANGHAI)

    answered = legacy(
        "审核",
        {"task_id": "review:highway", "reason": None, "conditions": ["夜间通行"]},
        actor_role="officer",
        outcome="approve",
    )
    assert isinstance(answered, TaskAnswered) and answered.officer is None

    # 开办运输企业's 决定 named its parts by keys of its own.
    decided = legacy(
        "决定",
        {
            "operating_licence": "准予",
            "certificates": {"湘AH1001": "准予", "湘AH1002": "不予：车况不合格"},
            "no_certificate_needed": ["湘AH1004"],
            "reasons": ["湘AH1004 无需办理道路运输证"],
        },
        outcome="准予许可",
    )
    assert isinstance(decided, Decided)
    assert decided.licences == {
        "operating-licence": "准予",
        "certificate:湘AH1001": "准予",
        "certificate:湘AH1002": "不予：车况不合格",
    }
    assert decided.not_required == ["湘AH1004"]
    assert legacy("决定", {"conditions": ["限速 60 km/h"]}, outcome="准予许可").conditions == ["限速 60 km/h"]

    supplement = legacy("补正", {"missing": [{"field": "materials", "message": "缺少护送方案"}]})
    assert isinstance(supplement, SupplementRequested) and supplement.missing[0].field == "materials"
    closed = legacy(
        "办结",
        {"reasons": [], "licence_ids": ["1.2.156.3005.2.X"], "statutory_due": None},
        outcome="approved",
    )
    assert isinstance(closed, Closed) and closed.licence_ids == ["1.2.156.3005.2.X"]
    for step, detail in [
        ("收件", {}),
        ("不予受理", {"reasons": ["可分载物品"]}),
        ("停表", {"reason": "补正"}),
        ("承办", {"task_id": "review:highway", "title": "公路超限运输许可审核"}),
        ("制证", {"licence_id": "1.2.156.3005.2.X", "licence_key": "permit"}),
        ("撤回", {}),
        ("评价", {"has_comment": False}),
        ("整改", {"score": 1}),
        ("整改答复", {}),
        ("回访", {}),
    ]:
        assert legacy(step, detail).step == step


@pytest.mark.parametrize(
    ("step", "detail", "message"),
    [
        ("黄牌", {"scope": "stage", "stage": "review"}, "黄牌: limit: Field required"),
        ("黄牌", {"scope": "somewhere", "limit": "promised"}, "黄牌: scope: Input should be"),
        ("承办", {"task_id": "review:highway"}, "承办: title: Field required"),
        ("收件", {"unexpected": 1}, "收件: unexpected: Extra inputs are not permitted"),
        ("盖章", {}, "step: '盖章' is not a ledger step"),
    ],
)
def test_a_row_that_does_not_parse_names_its_step_and_field(
    step: str, detail: dict[str, Any], message: str
) -> None:
    with pytest.raises(UnreadableEvent) as raised:
        legacy(step, detail)
    assert str(raised.value).startswith(message)
