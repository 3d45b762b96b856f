"""A ledger of 57 cases with hand-worked timings, and the licences issued for them.

Every date below was counted by hand on the 2026 State Council calendar; the comments give the count.
Working days are counted with the start day excluded. Days that matter:

    2026-03-07/08, 14/15        weekends (March: Mon 2, 9, 16, 23, 30)
    2026-09-20 (Sun)            调休 working day (国庆节)
    2026-09-25..27              中秋节, off
    2026-10-01..07              国庆节, off
    2026-10-10 (Sat)            调休 working day

Groups (matter × class): oversize I 14 cases, II 13, III 12, unclassified 3 (never accepted);
open-transport-business 15 (no permit class). "Now" for the overdue list is NOW, Friday 2026-10-16
noon. The expected figures are in test_audit_report.py, each derived in a comment there.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bootstrap.issuer import issuer_from_env
from domain.calendar import SHANGHAI, end_of_day
from domain.case import Step
from domain.events import (
    Accepted,
    CardRaised,
    ClockResumed,
    ClockStopped,
    Closed,
    Decided,
    Issued,
    NotAccepted,
    Rated,
    Received,
    RectificationOpened,
    RectificationReplied,
    ReturnVisited,
    Scope,
    SupervisionEvent,
    SupervisionEventIn,
    SupplementRequested,
    TaskAnswered,
    TaskAssigned,
    Withdrawn,
    to_row,
)
from domain.licence import (
    HolderCodeType,
    LicenceCatalogue,
    LicenceStatus,
    canonical_bytes,
    make_licence_identifier,
    serial_for,
)
from seal.sm2 import SealKey, generate_key, sign, verify
from store.ledger import append_events
from store.licences import LicenceIn, record_fetch, save_licence_once
from store.outbox import OutboxMessageIn
from store.schema import OutboxRow
from workflows.matters import MATTERS

OVERSIZE = "oversize-transport"
BUSINESS = "open-transport-business"
NOW = datetime(2026, 10, 16, 12, 0, tzinfo=SHANGHAI)
CERTIFICATE = "review:certificate:湘A12345"  # a 道路运输证 review of 开办运输企业


def at(day: str, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute), SHANGHAI)


def due(day: str) -> datetime:
    """A due date runs to the end of its day."""
    return end_of_day(date.fromisoformat(day))


class CaseLog:
    """The supervision events of one case, in the order the workflow would write them, each built from
    its typed model (domain/events.py) exactly as the workflows build it."""

    def __init__(self, case_id: str, matter: str) -> None:
        self.case_id, self.matter = case_id, matter
        self.home = "highway" if matter == OVERSIZE else "road_transport"
        self.events: list[SupervisionEventIn] = []
        self.licence_ids: list[str] = []

    def add(self, event: SupervisionEvent, when: datetime) -> CaseLog:
        self.events.append(
            to_row(
                event,
                case_id=self.case_id,
                matter=self.matter,
                actual_at=when,
                idempotency_key=f"{self.case_id}:{len(self.events) + 1:03d}:{event.step.value}",
            )
        )
        return self

    # -- the steps, in the ledger vocabulary --------------------------------------------------------

    def received(self, day: str, hour: int = 9, minute: int = 0) -> CaseLog:
        return self.add(Received(department=self.home), at(day, hour, minute))

    def accepted(
        self, day: str, permit_class: str | None, promised: tuple[str, int], statutory: tuple[str, int]
    ) -> CaseLog:
        event = Accepted(
            department=self.home,
            actor_role="system",
            planned_at=due(promised[0]),
            limit_working_days=promised[1],
            permit_class=permit_class,
            statutory_due=due(statutory[0]),
            statutory_working_days=statutory[1],
            promised_working_days=promised[1],
        )
        return self.add(event, at(day, 10))

    def not_accepted(self, day: str) -> CaseLog:
        self.add(NotAccepted(department=self.home, actor_role="system", reasons=["可分载物品"]), at(day, 11))
        closed = Closed(
            department=self.home, actor_role="system", outcome="not_accepted", reasons=["可分载物品"]
        )
        return self.add(closed, at(day, 11, 5))

    def supplement(self, day: str, reply_due: str, reason: str = "补正") -> CaseLog:
        asked = SupplementRequested(
            department=self.home, actor_role="system", planned_at=due(reply_due), limit_working_days=10
        )
        self.add(asked, at(day, 10))
        return self.add(
            ClockStopped(department=self.home, actor_role="system", reason=reason), at(day, 10, 1)
        )

    def stop(self, day: str, reason: str) -> CaseLog:
        return self.add(ClockStopped(department=self.home, actor_role="officer", reason=reason), at(day, 14))

    def resume(
        self,
        day: str,
        reason: str,
        stopped_working_days: int | None = None,
        promised_due: str | None = None,
        statutory_due: str | None = None,
    ) -> CaseLog:
        """复表; what is omitted is not written (the audit then counts the stopped days itself)."""
        event = ClockResumed(
            department=self.home,
            actor_role="applicant",
            reason=reason,
            stopped_working_days=stopped_working_days,
            promised_due=due(promised_due) if promised_due else None,
            statutory_due=due(statutory_due) if statutory_due else None,
        )
        return self.add(event, at(day, 9))

    def assign(self, task_id: str, department: str, day: str, task_due: str, limit: int) -> CaseLog:
        event = TaskAssigned(
            department=department,
            actor_role="system",
            planned_at=due(task_due),
            limit_working_days=limit,
            task_id=task_id,
            title=f"{task_id} 审查",
        )
        return self.add(event, at(day, 10, 30))

    def answer(self, task_id: str, department: str, day: str, approve: bool = True) -> CaseLog:
        event = TaskAnswered(
            step=Step.COUNTERSIGNED if task_id.startswith("countersign") else Step.REVIEWED,
            department=department,
            actor_role="officer",
            outcome="approve" if approve else "refuse",
            task_id=task_id,
            reason=None if approve else "不符合条件",
            officer="测试审核员",
        )
        return self.add(event, at(day, 15))

    def decided(self, day: str, approved: bool = True) -> CaseLog:
        outcome = "准予许可" if approved else "不予许可"
        return self.add(Decided(department=self.home, actor_role="system", outcome=outcome), at(day, 16))

    def issued(self, day: str, *keys: str) -> CaseLog:
        for key in keys:
            licence_id = licence_identifier(self.case_id, key, self.matter)
            self.licence_ids.append(licence_id)
            event = Issued(department=self.home, actor_role="system", licence_id=licence_id, licence_key=key)
            self.add(event, at(day, 16, 10))
        return self

    def closed(
        self, day: str, outcome: str, promised_due: str | None, statutory_due: str | None, hour: int = 16
    ) -> CaseLog:
        event = Closed(
            department=self.home,
            actor_role="system",
            planned_at=due(promised_due) if promised_due else None,
            outcome=outcome,
            statutory_due=due(statutory_due) if statutory_due else None,
            licence_ids=list(self.licence_ids),
        )
        return self.add(event, at(day, hour, 30))

    def lapsed(self, day: str) -> CaseLog:
        """办结 when the 补正 reply limit passed without a reply: the application lapses."""
        event = Closed(department=self.home, actor_role="system", outcome="supplement_expired")
        return self.add(event, at(day, 0, 5))

    def withdrawn(self, day: str, promised_due: str | None) -> CaseLog:
        self.add(Withdrawn(department=self.home), at(day, 11))
        event = Closed(
            department=self.home,
            actor_role="system",
            planned_at=due(promised_due) if promised_due else None,
            outcome="withdrawn",
            reasons=["申请人撤回申请"],
        )
        return self.add(event, at(day, 11, 5))

    def card(
        self,
        kind: str,
        when: datetime,
        department: str,
        limit_due: str,
        scope: Scope,
        *,
        task_id: str | None = None,
        stage: str | None = None,
    ) -> CaseLog:
        """A card as the watchers raise it: its limit named the way workflows/case/supervision.py names it."""
        if scope == "task":
            limit = f"task:{task_id}"
        elif scope == "stage":
            limit = f"stage:{stage}"
        else:
            limit = "statutory" if kind == Step.STATUTORY_OVERDUE else "promised"
        event = CardRaised(
            step=Step(kind),  # type: ignore[arg-type]  # one of the four card steps
            department=department,
            planned_at=due(limit_due),
            scope=scope,
            limit=limit,
            task_id=task_id,
        )
        return self.add(event, when)

    def rated(self, day: str, stars: int) -> CaseLog:
        return self.add(Rated(department="applicant", outcome=str(stars), has_comment=True), at(day, 17))

    def rectification(self, day: str, department: str, reply_due: str, replied: str | None) -> CaseLog:
        opened = RectificationOpened(
            department=department, actor_role="system", planned_at=due(reply_due), limit_working_days=5
        )
        self.add(opened, at(day, 17, 30))
        if replied is not None:
            reply = RectificationReplied(
                department=department, actor_role="officer", planned_at=due(reply_due)
            )
            self.add(reply, at(replied, 11))
        return self

    def visited(self, day: str) -> CaseLog:
        return self.add(
            ReturnVisited(department=self.home, actor_role="officer", outcome="satisfied"), at(day, 14)
        )


# --- oversize-transport, class I: statutory 2, promised 2 -------------------------------------------


def i_a(n: int) -> CaseLog:
    """Mon 03-02 → Tue 03-03: elapsed 1, review 1; dues 03-04. Acceleration 2/1 = 2.0."""
    c = CaseLog(f"I-a-{n}", OVERSIZE).received("2026-03-02")
    c.accepted("2026-03-02", "I", ("2026-03-04", 2), ("2026-03-04", 2))
    c.assign("review:highway", "highway", "2026-03-02", "2026-03-03", 1)
    c.answer("review:highway", "highway", "2026-03-03")
    c.decided("2026-03-03").issued("2026-03-03", "permit")
    c.closed("2026-03-03", "approved", "2026-03-04", "2026-03-04")
    return c.rated("2026-03-04", {1: 5, 2: 5, 3: 4}[n]) if n <= 3 else c


def i_b(n: int) -> CaseLog:
    """Thu 03-05 → Mon 03-09 (Fri 6, Mon 9): elapsed 2, on the due day; review 03-05 → 03-06: 1."""
    c = CaseLog(f"I-b-{n}", OVERSIZE).received("2026-03-05")
    c.accepted("2026-03-05", "I", ("2026-03-09", 2), ("2026-03-09", 2))
    c.assign("review:highway", "highway", "2026-03-05", "2026-03-06", 1)
    c.answer("review:highway", "highway", "2026-03-06")
    c.decided("2026-03-09").issued("2026-03-09", "permit")
    c.closed("2026-03-09", "approved", "2026-03-09", "2026-03-09")
    return c.rated("2026-03-10", 3) if n == 1 else c


def i_c() -> CaseLog:
    """Thu 03-05 → Wed 03-11: elapsed 4 (6, 9, 10, 11), 2 working days late (10, 11); review 4."""
    c = CaseLog("I-c-1", OVERSIZE).received("2026-03-05")
    c.accepted("2026-03-05", "I", ("2026-03-09", 2), ("2026-03-09", 2))
    c.assign("review:highway", "highway", "2026-03-05", "2026-03-06", 1)
    c.card("催办", at("2026-03-05", 17), "highway", "2026-03-06", "task", task_id="review:highway")
    c.card("黄牌", at("2026-03-07", 0, 5), "highway", "2026-03-06", "task", task_id="review:highway")
    c.card("红牌", at("2026-03-10", 0, 5), "highway", "2026-03-09", "case")
    c.card("超法定时限", at("2026-03-10", 0, 5), "highway", "2026-03-09", "case")
    c.answer("review:highway", "highway", "2026-03-11")
    c.decided("2026-03-11").issued("2026-03-11", "permit")
    c.closed("2026-03-11", "approved", "2026-03-09", "2026-03-09")
    c.rated("2026-03-12", 1).rectification("2026-03-12", "highway", "2026-03-19", replied="2026-03-17")
    return c.visited("2026-03-18")


def i_d() -> CaseLog:
    """补正 across a weekend: received Thu 03-05, 停表 Fri 03-06, 复表 Tue 03-10 (stopped 2: Mon 9,
    Tue 10), 受理 03-10; closed Wed 03-11: 4 working days (6, 9, 10, 11) − 2 stopped = elapsed 2."""
    c = CaseLog("I-d-1", OVERSIZE).received("2026-03-05")
    c.supplement("2026-03-06", reply_due="2026-03-20")
    c.resume("2026-03-10", "补正", stopped_working_days=2, promised_due="2026-03-11", statutory_due=None)
    c.accepted("2026-03-10", "I", ("2026-03-11", 2), ("2026-03-12", 2))
    c.assign("review:highway", "highway", "2026-03-10", "2026-03-11", 1)
    c.answer("review:highway", "highway", "2026-03-11")
    c.decided("2026-03-11").issued("2026-03-11", "permit")
    return c.closed("2026-03-11", "approved", "2026-03-11", "2026-03-12")


def i_e(n: int) -> CaseLog:
    """不予受理 on receipt: never classed, so in the unclassified oversize group."""
    return CaseLog(f"I-e-{n}", OVERSIZE).received("2026-03-02").not_accepted("2026-03-02")


def i_f() -> CaseLog:
    """Withdrawn the day after 受理, before its due: not decided, not late."""
    c = CaseLog("I-f-1", OVERSIZE).received("2026-03-02")
    c.accepted("2026-03-02", "I", ("2026-03-04", 2), ("2026-03-04", 2))
    c.assign("review:highway", "highway", "2026-03-02", "2026-03-03", 1)
    return c.withdrawn("2026-03-03", "2026-03-04")


def i_g() -> CaseLog:
    """Open: received Mon 10-12, due Wed 10-14; at NOW (Fri 10-16) 2 working days overdue (15, 16)."""
    c = CaseLog("I-g-1", OVERSIZE).received("2026-10-12")
    c.accepted("2026-10-12", "I", ("2026-10-14", 2), ("2026-10-14", 2))
    c.assign("review:highway", "highway", "2026-10-12", "2026-10-13", 1)
    c.card("黄牌", at("2026-10-14", 0, 5), "highway", "2026-10-13", "task", task_id="review:highway")
    c.card("红牌", at("2026-10-15", 0, 5), "highway", "2026-10-14", "case")
    return c.card("超法定时限", at("2026-10-15", 0, 5), "highway", "2026-10-14", "case")


def i_h() -> CaseLog:
    """Open: received Thu 10-15, due Mon 10-19 (16, 19): not overdue at NOW."""
    c = CaseLog("I-h-1", OVERSIZE).received("2026-10-15")
    c.accepted("2026-10-15", "I", ("2026-10-19", 2), ("2026-10-19", 2))
    return c.assign("review:highway", "highway", "2026-10-15", "2026-10-16", 1)


# --- class II: statutory 5, promised 5; two reviews in parallel, then the police countersign ------


def ii_a(n: int) -> CaseLog:
    """Mon 09-28 → Sat 10-10 (调休): 29, 30, 8, 9, 10 = elapsed 5, on the due day. Reviews: highway
    09-28 → 09-30 = 2; urban_road 09-28 → 10-08 = 3; countersign 10-08 → 10-09 = 1."""
    c = CaseLog(f"II-a-{n}", OVERSIZE).received("2026-09-28")
    c.accepted("2026-09-28", "II", ("2026-10-10", 5), ("2026-10-10", 5))
    c.assign("review:highway", "highway", "2026-09-28", "2026-09-30", 2)
    c.assign("review:urban_road", "urban_road", "2026-09-28", "2026-10-08", 3)
    c.answer("review:highway", "highway", "2026-09-30")
    c.answer("review:urban_road", "urban_road", "2026-10-08")
    c.assign("countersign:police", "police", "2026-10-08", "2026-10-09", 1)
    c.answer("countersign:police", "police", "2026-10-09")
    c.decided("2026-10-10").issued("2026-10-10", "permit")
    c.closed("2026-10-10", "approved", "2026-10-10", "2026-10-10", hour=15)
    return c.rated("2026-10-12", 5) if n == 1 else c


def ii_b(n: int) -> CaseLog:
    """Mon 09-28 → Mon 10-12: elapsed 6, 1 working day late (10-11 is a Sunday). Reviews: highway 2;
    urban_road 09-28 → 10-09 = 4; countersign 10-09 → 10-12 = 2 (10, 12)."""
    c = CaseLog(f"II-b-{n}", OVERSIZE).received("2026-09-28")
    c.accepted("2026-09-28", "II", ("2026-10-10", 5), ("2026-10-10", 5))
    c.assign("review:highway", "highway", "2026-09-28", "2026-09-30", 2)
    c.assign("review:urban_road", "urban_road", "2026-09-28", "2026-10-08", 3)
    c.answer("review:highway", "highway", "2026-09-30")
    c.card("催办", at("2026-09-30", 9), "urban_road", "2026-10-08", "task", task_id="review:urban_road")
    c.card("黄牌", at("2026-10-09", 0, 5), "urban_road", "2026-10-08", "task", task_id="review:urban_road")
    c.answer("review:urban_road", "urban_road", "2026-10-09")
    c.assign("countersign:police", "police", "2026-10-09", "2026-10-10", 1)
    c.card("红牌", at("2026-10-11", 0, 5), "highway", "2026-10-10", "case")
    c.card("超法定时限", at("2026-10-11", 0, 5), "highway", "2026-10-10", "case")
    c.answer("countersign:police", "police", "2026-10-12")
    c.decided("2026-10-12").issued("2026-10-12", "permit")
    c.closed("2026-10-12", "approved", "2026-10-10", "2026-10-10")
    if n == 1:  # a bad rating, its rectification answered a day late, and the return visit
        c.rated("2026-10-12", 2).rectification("2026-10-12", "urban_road", "2026-10-13", replied="2026-10-14")
        c.visited("2026-10-15")
    return c


def ii_c(n: int) -> CaseLog:
    """Thu 09-24 → Fri 10-09: 28, 29, 30, 8, 9 = elapsed 5, on the due day. Reviews: highway 09-24 →
    09-28 = 1 (中秋 25-27); urban_road → 09-29 = 2; countersign 09-29 → 10-08 = 2 (30, 8)."""
    c = CaseLog(f"II-c-{n}", OVERSIZE).received("2026-09-24")
    c.accepted("2026-09-24", "II", ("2026-10-09", 5), ("2026-10-09", 5))
    c.assign("review:highway", "highway", "2026-09-24", "2026-09-29", 2)
    c.assign("review:urban_road", "urban_road", "2026-09-24", "2026-09-29", 2)
    c.answer("review:highway", "highway", "2026-09-28")
    c.answer("review:urban_road", "urban_road", "2026-09-29")
    c.assign("countersign:police", "police", "2026-09-29", "2026-09-30", 1)
    c.answer("countersign:police", "police", "2026-10-08")
    c.decided("2026-10-09")  # no licence issued: counts against 制证率
    return c.closed("2026-10-09", "approved", "2026-10-09", "2026-10-09", hour=10)


def ii_d() -> CaseLog:
    """Refused by the highway review: Mon 09-21 → Wed 09-23, elapsed 2; acceleration 5/2 = 2.5."""
    c = CaseLog("II-d-1", OVERSIZE).received("2026-09-21")
    c.accepted("2026-09-21", "II", ("2026-09-29", 5), ("2026-09-29", 5))
    c.assign("review:highway", "highway", "2026-09-21", "2026-09-23", 2)
    c.assign("review:urban_road", "urban_road", "2026-09-21", "2026-09-23", 2)
    c.answer("review:highway", "highway", "2026-09-23", approve=False)
    c.answer("review:urban_road", "urban_road", "2026-09-23")
    c.decided("2026-09-23", approved=False)
    return c.closed("2026-09-23", "refused", "2026-09-29", "2026-09-29", hour=17)


def ii_e() -> CaseLog:
    """专家评审 stops the clock across the 调休 Sunday: 停表 Wed 09-16, 复表 Wed 09-23, stopped 6
    (17, 18, 20, 21, 22, 23); the dues move from Sun 09-20 by 6 to 09-29. Received Mon 09-14, closed
    Mon 09-28: 10 working days (15-18, 20-24, 28) − 6 = elapsed 4; acceleration 5/4 = 1.25. Reviews:
    urban_road 1, highway 09-14 → 09-24 = 9, countersign 09-24 → 09-28 = 1."""
    c = CaseLog("II-e-1", OVERSIZE).received("2026-09-14")
    c.accepted("2026-09-14", "II", ("2026-09-20", 5), ("2026-09-20", 5))
    c.assign("review:highway", "highway", "2026-09-14", "2026-09-16", 2)
    c.assign("review:urban_road", "urban_road", "2026-09-14", "2026-09-16", 2)
    c.answer("review:urban_road", "urban_road", "2026-09-15")
    c.stop("2026-09-16", "专家评审")
    c.resume(
        "2026-09-23",
        "专家评审",
        stopped_working_days=6,
        promised_due="2026-09-29",
        statutory_due="2026-09-29",
    )
    c.answer("review:highway", "highway", "2026-09-24")
    c.assign("countersign:police", "police", "2026-09-24", "2026-09-28", 1)
    c.answer("countersign:police", "police", "2026-09-28")
    c.decided("2026-09-28")  # no licence issued
    return c.closed("2026-09-28", "approved", "2026-09-29", "2026-09-29")


def ii_f() -> CaseLog:
    """补正 never answered: closes supplement_expired, no promised due (never accepted, unclassified)."""
    c = CaseLog("II-f-1", OVERSIZE).received("2026-09-21")
    c.supplement("2026-09-21", reply_due="2026-10-12")
    return c.lapsed("2026-10-13")


def ii_g() -> CaseLog:
    """Open: received Mon 09-28, due Sat 10-10; at NOW 5 working days overdue (12, 13, 14, 15, 16)."""
    c = CaseLog("II-g-1", OVERSIZE).received("2026-09-28")
    c.accepted("2026-09-28", "II", ("2026-10-10", 5), ("2026-10-10", 5))
    c.assign("review:highway", "highway", "2026-09-28", "2026-09-30", 2)
    c.assign("review:urban_road", "urban_road", "2026-09-28", "2026-10-08", 3)
    c.answer("review:highway", "highway", "2026-09-30")
    c.card("红牌", at("2026-10-11", 0, 5), "highway", "2026-10-10", "case")
    return c.card("超法定时限", at("2026-10-11", 0, 5), "highway", "2026-10-10", "case")


# --- class III: statutory 15, promised 7; + the other province on the route -----------------------

PROVINCE = "province:湖北"
PROVINCE_REVIEW = "review:province:湖北"


def iii_a(n: int) -> CaseLog:
    """Mon 03-09 → Tue 03-17: elapsed 6 (10-13, 16, 17); promised due 03-18 (7), statutory 03-30 (15);
    acceleration 15/6 = 2.5. Reviews: highway 3, urban_road 4, province 03-09 → 03-16 = 5; countersign 1."""
    c = CaseLog(f"III-a-{n}", OVERSIZE).received("2026-03-09")
    c.accepted("2026-03-09", "III", ("2026-03-18", 7), ("2026-03-30", 15))
    c.assign("review:highway", "highway", "2026-03-09", "2026-03-12", 3)
    c.assign("review:urban_road", "urban_road", "2026-03-09", "2026-03-12", 3)
    c.assign(PROVINCE_REVIEW, PROVINCE, "2026-03-09", "2026-03-12", 3)
    c.answer("review:highway", "highway", "2026-03-12")
    c.answer("review:urban_road", "urban_road", "2026-03-13")
    c.answer(PROVINCE_REVIEW, PROVINCE, "2026-03-16")
    c.assign("countersign:police", "police", "2026-03-16", "2026-03-18", 2)
    c.answer("countersign:police", "police", "2026-03-17")
    c.decided("2026-03-17").issued("2026-03-17", "permit")
    return c.closed("2026-03-17", "approved", "2026-03-18", "2026-03-30")


def iii_b(n: int) -> CaseLog:
    """Mon 03-09 → Fri 03-20: elapsed 9, 2 working days late (19, 20), within the statutory 03-30;
    acceleration 15/9. Province review 03-09 → 03-18 = 7; countersign 03-18 → 03-19 = 1."""
    c = CaseLog(f"III-b-{n}", OVERSIZE).received("2026-03-09")
    c.accepted("2026-03-09", "III", ("2026-03-18", 7), ("2026-03-30", 15))
    c.assign("review:highway", "highway", "2026-03-09", "2026-03-12", 3)
    c.assign("review:urban_road", "urban_road", "2026-03-09", "2026-03-12", 3)
    c.assign(PROVINCE_REVIEW, PROVINCE, "2026-03-09", "2026-03-12", 3)
    c.answer("review:highway", "highway", "2026-03-12")
    c.card("催办", at("2026-03-11", 9), PROVINCE, "2026-03-12", "task", task_id=PROVINCE_REVIEW)
    c.answer("review:urban_road", "urban_road", "2026-03-13")
    c.card("黄牌", at("2026-03-13", 0, 5), PROVINCE, "2026-03-12", "task", task_id=PROVINCE_REVIEW)
    c.card("黄牌", at("2026-03-17", 0, 5), "highway", "2026-03-16", "stage", stage="review")
    c.answer(PROVINCE_REVIEW, PROVINCE, "2026-03-18")
    c.assign("countersign:police", "police", "2026-03-18", "2026-03-20", 2)
    c.card("红牌", at("2026-03-19", 0, 5), "highway", "2026-03-18", "case")
    c.answer("countersign:police", "police", "2026-03-19")
    c.decided("2026-03-20").issued("2026-03-20", "permit")
    c.closed("2026-03-20", "approved", "2026-03-18", "2026-03-30")
    if n == 1:  # a bad rating whose rectification is still unanswered
        c.rated("2026-03-23", 1).rectification("2026-03-23", "highway", "2026-03-30", replied=None)
    return c


def iii_c() -> CaseLog:
    """Past both limits: Mon 03-02 → Tue 03-24, elapsed 16 (3-6, 9-13, 16-20, 23, 24); promised due
    03-11 → 9 working days late (12, 13, 16-20, 23, 24); statutory due 03-23; acceleration 15/16.
    Reviews: highway 3, urban_road 2, province 03-02 → 03-20 = 14; countersign 03-20 → 03-24 = 2."""
    c = CaseLog("III-c-1", OVERSIZE).received("2026-03-02")
    c.accepted("2026-03-02", "III", ("2026-03-11", 7), ("2026-03-23", 15))
    c.assign("review:highway", "highway", "2026-03-02", "2026-03-05", 3)
    c.assign("review:urban_road", "urban_road", "2026-03-02", "2026-03-05", 3)
    c.assign(PROVINCE_REVIEW, PROVINCE, "2026-03-02", "2026-03-05", 3)
    c.answer("review:urban_road", "urban_road", "2026-03-04")
    c.card("催办", at("2026-03-04", 9), PROVINCE, "2026-03-05", "task", task_id=PROVINCE_REVIEW)
    c.answer("review:highway", "highway", "2026-03-05")
    c.card("黄牌", at("2026-03-06", 0, 5), PROVINCE, "2026-03-05", "task", task_id=PROVINCE_REVIEW)
    c.card("红牌", at("2026-03-12", 0, 5), "highway", "2026-03-11", "case")
    c.answer(PROVINCE_REVIEW, PROVINCE, "2026-03-20")
    c.assign("countersign:police", "police", "2026-03-20", "2026-03-24", 2)
    c.card("超法定时限", at("2026-03-24", 0, 5), "highway", "2026-03-23", "case")
    c.answer("countersign:police", "police", "2026-03-24")
    c.decided("2026-03-24").issued("2026-03-24", "permit")
    return c.closed("2026-03-24", "approved", "2026-03-11", "2026-03-23", hour=17)


def iii_d() -> CaseLog:
    """Refused by the other province: Mon 03-09 → Wed 03-11, elapsed 2; acceleration 15/2 = 7.5."""
    c = CaseLog("III-d-1", OVERSIZE).received("2026-03-09")
    c.accepted("2026-03-09", "III", ("2026-03-18", 7), ("2026-03-30", 15))
    c.assign("review:highway", "highway", "2026-03-09", "2026-03-12", 3)
    c.assign("review:urban_road", "urban_road", "2026-03-09", "2026-03-12", 3)
    c.assign(PROVINCE_REVIEW, PROVINCE, "2026-03-09", "2026-03-12", 3)
    c.answer("review:urban_road", "urban_road", "2026-03-10")
    c.answer("review:highway", "highway", "2026-03-11")
    c.answer(PROVINCE_REVIEW, PROVINCE, "2026-03-11", approve=False)
    c.decided("2026-03-11", approved=False)
    return c.closed("2026-03-11", "refused", "2026-03-18", "2026-03-30")


def iii_e() -> CaseLog:
    """Open with the clock stopped (加固改造 since 10-09): its due 10-13 has passed, yet not overdue."""
    c = CaseLog("III-e-1", OVERSIZE).received("2026-09-28")
    c.accepted("2026-09-28", "III", ("2026-10-13", 7), ("2026-10-23", 15))
    c.assign("review:highway", "highway", "2026-09-28", "2026-10-08", 3)
    return c.stop("2026-10-09", "加固改造")


def iii_f() -> CaseLog:
    """Withdrawn mid-review, before its due: not decided, not late."""
    c = CaseLog("III-f-1", OVERSIZE).received("2026-03-09")
    c.accepted("2026-03-09", "III", ("2026-03-18", 7), ("2026-03-30", 15))
    c.assign("review:highway", "highway", "2026-03-09", "2026-03-12", 3)
    return c.withdrawn("2026-03-11", "2026-03-18")


def iii_g() -> CaseLog:
    """A 复表 without stopped_working_days (as older workflows wrote it): 停表 Wed 03-04, 复表 Mon 03-09
    → 3 stopped (5, 6, 9), counted from the two dates. Mon 03-02 → Fri 03-13: 9 − 3 = elapsed 6;
    acceleration 15/6 = 2.5. The closing event has no statutory_due: 受理's 03-23 applies.
    Reviews: urban_road 1, province 3, highway 03-02 → 03-10 = 6; countersign 03-10 → 03-12 = 2."""
    c = CaseLog("III-g-1", OVERSIZE).received("2026-03-02")
    c.accepted("2026-03-02", "III", ("2026-03-11", 7), ("2026-03-23", 15))
    c.assign("review:highway", "highway", "2026-03-02", "2026-03-05", 3)
    c.assign("review:urban_road", "urban_road", "2026-03-02", "2026-03-05", 3)
    c.assign(PROVINCE_REVIEW, PROVINCE, "2026-03-02", "2026-03-05", 3)
    c.answer("review:urban_road", "urban_road", "2026-03-03")
    c.stop("2026-03-04", "专家评审")
    c.answer(PROVINCE_REVIEW, PROVINCE, "2026-03-05")
    c.resume("2026-03-09", "专家评审")
    c.answer("review:highway", "highway", "2026-03-10")
    c.assign("countersign:police", "police", "2026-03-10", "2026-03-12", 2)
    c.answer("countersign:police", "police", "2026-03-12")
    c.decided("2026-03-13").issued("2026-03-13", "permit")
    return c.closed("2026-03-13", "approved", "2026-03-16", None)


# --- open-transport-business: statutory 20, promised 5, no permit class -----------------------------


def b_a(n: int) -> CaseLog:
    """Mon 09-14 → Fri 09-18: elapsed 4; promised due Sun 09-20 (调休), statutory 10-16; acceleration
    20/4 = 5.0. review 09-14 → 09-16 = 2, certificate review 09-16 → 09-18 = 2."""
    c = CaseLog(f"B-a-{n}", BUSINESS).received("2026-09-14")
    c.accepted("2026-09-14", None, ("2026-09-20", 5), ("2026-10-16", 20))
    c.assign("review:operating_licence", "road_transport", "2026-09-14", "2026-09-16", 2)
    c.answer("review:operating_licence", "road_transport", "2026-09-16")
    c.assign(CERTIFICATE, "road_transport", "2026-09-16", "2026-09-18", 2)
    c.answer(CERTIFICATE, "road_transport", "2026-09-18")
    c.decided("2026-09-18")
    # The first case issues two licences: 制证率 counts cases, so it stays ≤ 100 %.
    c.issued("2026-09-18", "operating-licence", *(["certificate:湘A12345"] if n == 1 else []))
    c.closed("2026-09-18", "approved", "2026-09-20", "2026-10-16")
    if n in (1, 2):
        c.rated("2026-09-21", 5 if n == 1 else 4)
    return c


def b_b(n: int) -> CaseLog:
    """Mon 09-21 → Thu 10-08: elapsed 7 (22, 23, 24, 28, 29, 30, 8); promised due 09-29 → 2 late
    (30, 8); statutory 10-26; acceleration 20/7. review 2, certificate review 09-23 → 10-08 = 5."""
    c = CaseLog(f"B-b-{n}", BUSINESS).received("2026-09-21")
    c.accepted("2026-09-21", None, ("2026-09-29", 5), ("2026-10-26", 20))
    c.assign("review:operating_licence", "road_transport", "2026-09-21", "2026-09-23", 2)
    c.answer("review:operating_licence", "road_transport", "2026-09-23")
    c.assign(CERTIFICATE, "road_transport", "2026-09-23", "2026-09-28", 2)
    c.card(
        "催办",
        at("2026-09-24", 17),
        "road_transport",
        "2026-09-28",
        "task",
        task_id=CERTIFICATE,
    )
    c.card(
        "黄牌",
        at("2026-09-29", 0, 5),
        "road_transport",
        "2026-09-28",
        "task",
        task_id=CERTIFICATE,
    )
    c.card("红牌", at("2026-09-30", 0, 5), "road_transport", "2026-09-29", "case")
    c.answer(CERTIFICATE, "road_transport", "2026-10-08")
    c.decided("2026-10-08").issued("2026-10-08", "operating-licence")
    c.closed("2026-10-08", "approved", "2026-09-29", "2026-10-26")
    if n == 1:
        c.rated("2026-10-09", 2).rectification(
            "2026-10-09", "road_transport", "2026-10-16", replied="2026-10-12"
        )
        c.visited("2026-10-13")
    return c


def b_c(n: int) -> CaseLog:
    """Refused at review the next day: Mon 09-14 → Tue 09-15, elapsed 1; acceleration 20/1 = 20."""
    c = CaseLog(f"B-c-{n}", BUSINESS).received("2026-09-14")
    c.accepted("2026-09-14", None, ("2026-09-20", 5), ("2026-10-16", 20))
    c.assign("review:operating_licence", "road_transport", "2026-09-14", "2026-09-16", 2)
    c.answer("review:operating_licence", "road_transport", "2026-09-15", approve=False)
    c.decided("2026-09-15", approved=False)
    return c.closed("2026-09-15", "refused", "2026-09-20", "2026-10-16")


def b_d() -> CaseLog:
    return CaseLog("B-d-1", BUSINESS).received("2026-09-21").withdrawn("2026-09-22", None)


def b_e() -> CaseLog:
    return CaseLog("B-e-1", BUSINESS).received("2026-09-21").not_accepted("2026-09-21")


def b_f() -> CaseLog:
    """Open: received Thu 10-08, due Wed 10-14 (9, 10, 12, 13, 14); at NOW 2 overdue (15, 16)."""
    c = CaseLog("B-f-1", BUSINESS).received("2026-10-08")
    c.accepted("2026-10-08", None, ("2026-10-14", 5), ("2026-11-04", 20))
    c.assign("review:operating_licence", "road_transport", "2026-10-08", "2026-10-12", 2)
    return c.card("红牌", at("2026-10-15", 0, 5), "road_transport", "2026-10-14", "case")


def fixture_cases() -> list[CaseLog]:
    return [
        *(i_a(n) for n in range(1, 7)),
        *(i_b(n) for n in range(1, 4)),
        i_c(),
        i_d(),
        *(i_e(n) for n in range(1, 3)),
        i_f(),
        i_g(),
        i_h(),
        *(ii_a(n) for n in range(1, 6)),
        *(ii_b(n) for n in range(1, 4)),
        *(ii_c(n) for n in range(1, 3)),
        ii_d(),
        ii_e(),
        ii_f(),
        ii_g(),
        *(iii_a(n) for n in range(1, 5)),
        *(iii_b(n) for n in range(1, 4)),
        iii_c(),
        iii_d(),
        iii_e(),
        iii_f(),
        iii_g(),
        *(b_a(n) for n in range(1, 7)),
        *(b_b(n) for n in range(1, 5)),
        *(b_c(n) for n in range(1, 3)),
        b_d(),
        b_e(),
        b_f(),
    ]


# --- licences: sealed with a real SM2 key ---------------------------------------------------------

ISSUER = issuer_from_env({}, MATTERS.licence_kinds)
SERIAL_KEY = b"fixture ledger serial key, 32 bytes"  # the fixture's issuer's own
HOLDER = "湖南示例重型物流有限公司"
HOLDER_CODE = "11430000MB0000001B"  # the sample issuer's well-formed code stands in for a carrier's

NOT_DELIVERED = frozenset({("III-c-1", "permit"), ("III-g-1", "permit"), ("B-b-4", "operating-licence")})
NOT_FETCHED = frozenset(
    {("I-a-6", "permit"), ("I-b-3", "permit"), ("B-b-4", "operating-licence")}
    | {(f"III-{x}", "permit") for x in ("b-2", "b-3", "c-1", "g-1")}
)
TAMPERED = ("II-b-3", "permit")  # signature altered after sealing
BAD_RECORD = ("B-b-3", "operating-licence")  # jurisdiction code of five digits: fails check_catalogue
GHOST = ("GHOST-1", "permit")  # a licence whose case is not in the ledger


def licence_identifier(case_id: str, key: str, matter: str) -> str:
    type_code = ISSUER.type_code(matter)
    assert type_code is not None
    return make_licence_identifier(type_code, ISSUER.code, serial_for(case_id, key, SERIAL_KEY), 1)


@dataclass(frozen=True)
class PlannedLicence:
    licence: LicenceIn
    delivered: bool
    fetched: bool
    messages: list[OutboxMessageIn] = field(default_factory=list)


@functools.cache
def seal_key() -> SealKey:
    return generate_key()


@functools.cache
def planned_licences() -> tuple[PlannedLicence, ...]:
    """Built once per test session: the same signed bytes in every database, so verifying them is
    paid once (the report remembers verified signatures)."""
    wanted = [(c.case_id, c.matter, key) for c in fixture_cases() for key in _keys(c)]
    wanted.append((GHOST[0], OVERSIZE, GHOST[1]))
    return tuple(_plan(case_id, matter, key) for case_id, matter, key in wanted)


def _keys(case: CaseLog) -> list[str]:
    return [str(e.detail["licence_key"]) for e in case.events if e.step == "制证"]


def _plan(case_id: str, matter: str, key: str) -> PlannedLicence:
    identifier = licence_identifier(case_id, key, matter)
    type_code = ISSUER.type_code(matter)
    assert type_code is not None
    catalogue = LicenceCatalogue(
        identifier=identifier,
        type_name="超限运输车辆通行证" if matter == OVERSIZE else "道路运输经营许可证",
        type_code=type_code,
        number=f"湘证{serial_for(case_id, key, SERIAL_KEY)[-12:]}",
        name="超限运输车辆通行证" if matter == OVERSIZE else "道路运输经营许可证",
        version=1,
        issue_date=date(2026, 3, 3),
        issuer_name=ISSUER.name,
        issuer_code=ISSUER.code,
        valid_from=date(2026, 3, 3),
        valid_to=date(2027, 3, 2),
        jurisdiction_code="43000" if (case_id, key) == BAD_RECORD else ISSUER.jurisdiction_code,
        holder=HOLDER,
        holder_code=HOLDER_CODE,
        holder_code_type=HolderCodeType.UNIFIED_SOCIAL_CREDIT_CODE,
        related_matter=matter,
        file_url=f"{ISSUER.file_url_base}/{identifier}",
        status=LicenceStatus.VALID,
    )
    signed = canonical_bytes(catalogue)
    signature = sign(seal_key(), signed)
    if (case_id, key) == TAMPERED:
        signature = signature[:-1] + bytes([signature[-1] ^ 0x01])
    licence = LicenceIn(
        licence_id=identifier,
        case_id=case_id,
        licence_key=key,
        matter=matter,
        type_code=type_code,
        number=catalogue.number,
        holder_name=HOLDER,
        holder_code=HOLDER_CODE,
        issued_at=at("2026-03-03", 16, 10),
        valid_from=catalogue.valid_from,
        valid_to=catalogue.valid_to,
        payload=catalogue.model_dump(mode="json"),
        signed_data=signed,
        signature=signature,
        public_key=seal_key().public_key_hex,
        status=LicenceStatus.VALID.value,
    )
    messages = [
        OutboxMessageIn(
            idempotency_key=f"{case_id}:{key}:归集",
            destination="licence_repository",
            case_id=case_id,
            payload={"licence_id": identifier, "catalogue": catalogue.model_dump(mode="json")},
        ),
        OutboxMessageIn(
            idempotency_key=f"{case_id}:{key}:notice",
            destination="notice",
            case_id=case_id,
            payload={"licence_id": identifier},
        ),
    ]
    return PlannedLicence(
        licence=licence,
        delivered=(case_id, key) not in NOT_DELIVERED,
        fetched=(case_id, key) not in NOT_FETCHED,
        messages=messages,
    )


async def load_fixture(
    sessions: async_sessionmaker[AsyncSession], cases: Sequence[CaseLog] | None = None
) -> None:
    """Write the ledger, then the licences with their outbox messages, deliveries and fetches.

    Each licence's seal verdict is stored as `issue_licence` stores it: verified once, when saved.
    """
    cases = fixture_cases() if cases is None else cases
    await append_events(sessions, [event for case in cases for event in case.events])
    delivered_keys: list[str] = []
    async with sessions.begin() as session:
        for planned in planned_licences():
            licence = planned.licence
            await save_licence_once(
                session,
                licence,
                planned.messages,
                now=at("2026-03-03", 16, 10),
                seal_valid=verify(licence.public_key, licence.signed_data, licence.signature),
            )
            # Every notice is delivered; a 归集 only where planned.
            delivered_keys.append(planned.messages[1].idempotency_key)
            if planned.delivered:
                delivered_keys.append(planned.messages[0].idempotency_key)
        await session.execute(
            sa.update(OutboxRow)
            .where(OutboxRow.idempotency_key.in_(delivered_keys))
            .values(delivered_at=at("2026-03-03", 16, 20))
        )
        for planned in planned_licences():
            if planned.fetched:
                # The holder's own fetches: what activates a licence (激活).
                await record_fetch(session, planned.licence.licence_id, at("2026-03-04"), by_holder=True)
                await record_fetch(session, planned.licence.licence_id, at("2026-03-05"), by_holder=True)
