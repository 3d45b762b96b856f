"""The auditors' report over the 57-case fixture ledger, on SQLite and PostgreSQL, against figures
worked out by hand (fixture_ledger.py gives each case's dates and counts).

Nearest rank: the p-th percentile of n sorted values is the value at rank ⌈p·n/100⌉.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from cli.audit_render import CSV_COLUMNS, render_csv, report_document
from domain.calendar import SHANGHAI
from domain.events import Received
from domain.notices import official_calendar
from store.audit_queries import build_report, load_ledger_records, verify_ledger
from store.ledger import append_events
from store.schema import LedgerEventRow
from tests.audit.fixture_ledger import BUSINESS, NOW, OVERSIZE, CaseLog
from tests.store.conftest import Db

CAL = official_calendar()
D = date.fromisoformat


async def report(db: Db, **period: date) -> dict[str, Any]:
    return report_document(await build_report(db.sessions, CAL, now=NOW, **period))


def group(doc: dict[str, Any], matter: str, permit_class: str | None) -> dict[str, Any]:
    rows = [*doc["groups"], *doc["matters"], doc["total"]]
    found = [r for r in rows if r["matter"] == matter and r["permit_class"] == permit_class]
    assert len(found) == 1, (matter, permit_class)
    return found[0]


def rate(count: int, of: int, value: float | None) -> dict[str, Any]:
    return {"count": count, "of": of, "rate": value}


def test_the_hand_counts_agree_with_the_official_calendar() -> None:
    """The working-day counts the fixture's comments rely on, across the weekend, 中秋, 国庆 and
    both 调休 days (Sun 09-20, Sat 10-10)."""
    wd = CAL.working_days_between
    assert wd(D("2026-03-06"), D("2026-03-10")) == 2  # I-d: 补正 over the weekend
    assert wd(D("2026-03-05"), D("2026-03-11")) == 4
    assert wd(D("2026-09-28"), D("2026-10-10")) == 5  # II-a: 29, 30, 8, 9, 10
    assert wd(D("2026-09-28"), D("2026-10-12")) == 6
    assert wd(D("2026-10-10"), D("2026-10-12")) == 1
    assert wd(D("2026-09-16"), D("2026-09-23")) == 6  # II-e: 17, 18, 20, 21, 22, 23
    assert wd(D("2026-09-14"), D("2026-09-28")) == 10
    assert CAL.add_working_days(D("2026-09-14"), 5) == D("2026-09-20")
    assert CAL.add_working_days(D("2026-09-20"), 6) == D("2026-09-29")
    assert wd(D("2026-03-02"), D("2026-03-24")) == 16  # III-c
    assert wd(D("2026-03-11"), D("2026-03-24")) == 9
    assert CAL.add_working_days(D("2026-03-02"), 15) == D("2026-03-23")
    assert CAL.add_working_days(D("2026-03-09"), 15) == D("2026-03-30")
    assert CAL.add_working_days(D("2026-09-14"), 20) == D("2026-10-16")  # B-a statutory
    assert CAL.add_working_days(D("2026-09-21"), 20) == D("2026-10-26")  # B-b statutory
    assert wd(D("2026-09-21"), D("2026-10-08")) == 7
    assert wd(D("2026-10-10"), D("2026-10-16")) == 5  # II-g overdue at NOW
    assert wd(D("2026-03-04"), D("2026-03-09")) == 3  # III-g: the 复表 without a count


async def test_volumes_outcomes_and_on_time_rates(audit_db: Db) -> None:
    doc = await report(audit_db)
    assert [(g["matter"], g["permit_class"]) for g in doc["groups"]] == [
        (BUSINESS, None),
        (OVERSIZE, "I"),
        (OVERSIZE, "II"),
        (OVERSIZE, "III"),
        (OVERSIZE, None),  # never accepted: I-e ×2 (不予受理), II-f (补正逾期)
    ]
    total = doc["total"]
    assert (total["matter"], total["permit_class"]) == ("*", "*")
    assert (total["received"], total["completed"], total["open"], total["decided"]) == (57, 52, 5, 45)
    assert total["by_outcome"] == {
        "approved": 41,
        "refused": 4,
        "not_accepted": 3,
        "withdrawn": 3,
        "supplement_expired": 1,
    }
    expected = {
        # (matter, class): received, completed, decided, on time promised, on time statutory
        # I: late only I-c; II: II-b ×3 late on both; III: III-b ×3 late on the promise only, III-c on
        # both; business: B-b ×4 late on the promise only.
        (OVERSIZE, "I"): (14, 12, 11, rate(10, 11, 0.9091), rate(10, 11, 0.9091)),
        (OVERSIZE, "II"): (13, 12, 12, rate(9, 12, 0.75), rate(9, 12, 0.75)),
        (OVERSIZE, "III"): (12, 11, 10, rate(6, 10, 0.6), rate(9, 10, 0.9)),
        (OVERSIZE, None): (3, 3, 0, rate(0, 0, None), rate(0, 0, None)),
        (BUSINESS, None): (15, 14, 12, rate(8, 12, 0.6667), rate(12, 12, 1.0)),
        (OVERSIZE, "*"): (42, 38, 33, rate(25, 33, 0.7576), rate(28, 33, 0.8485)),
        (BUSINESS, "*"): (15, 14, 12, rate(8, 12, 0.6667), rate(12, 12, 1.0)),
        ("*", "*"): (57, 52, 45, rate(33, 45, 0.7333), rate(40, 45, 0.8889)),
    }
    for (matter, permit_class), figures in expected.items():
        g = group(doc, matter, permit_class)
        got = (g["received"], g["completed"], g["decided"], g["on_time_promised"], g["on_time_statutory"])
        assert got == figures, (matter, permit_class)


async def test_elapsed_working_days_and_acceleration(audit_db: Db) -> None:
    doc = await report(audit_db)
    expected = {
        # I: [1×6, 2×4, 4] (I-d: 4 − 2 stopped = 2), n 11: p50 rank 6 → 1, p90 rank 10 → 2.
        #    acceleration [0.5, 1×4, 2×6]: rank 6 → 2.0.
        (OVERSIZE, "I"): ({"cases": 11, "median": 1, "p90": 2}, {"cases": 11, "median": 2.0}),
        # II: [2, 4, 5×7, 6×3] (II-e: 10 − 6 stopped = 4), n 12: rank 6 → 5, rank 11 → 6.
        #     acceleration [5/6 ×3, 1×7, 1.25, 2.5]: rank 6 → 1.0.
        (OVERSIZE, "II"): ({"cases": 12, "median": 5, "p90": 6}, {"cases": 12, "median": 1.0}),
        # III: [2, 6×5, 9×3, 16] (III-g: 9 − 3 counted from the dates), n 10: rank 5 → 6, rank 9 → 9.
        #      acceleration [15/16, 15/9 ×3, 2.5×5, 7.5]: rank 5 → 2.5.
        (OVERSIZE, "III"): ({"cases": 10, "median": 6, "p90": 9}, {"cases": 10, "median": 2.5}),
        (OVERSIZE, None): ({"cases": 0, "median": None, "p90": None}, {"cases": 0, "median": None}),
        # business: [1×2, 4×6, 7×4], n 12: rank 6 → 4, rank 11 → 7; acceleration [20/7 ×4, 5×6, 20×2] → 5.
        (BUSINESS, None): ({"cases": 12, "median": 4, "p90": 7}, {"cases": 12, "median": 5.0}),
        # oversize: 1×6, 2×6, 4×2, 5×7, 6×8, 9×3, 16, n 33: rank 17 → 5, rank 30 → 9.
        #   acceleration: 0.5, 5/6 ×3, 15/16, 1×11 (ranks 6-16), 1.25 (rank 17).
        (OVERSIZE, "*"): ({"cases": 33, "median": 5, "p90": 9}, {"cases": 33, "median": 1.25}),
        # all: 1×8, 2×6, 4×8, 5×7, 6×8, 7×4, 9×3, 16, n 45: rank 23 → 5, rank 41 → 7.
        #   acceleration ranks 21-26 are 2.0: rank 23 → 2.0.
        ("*", "*"): ({"cases": 45, "median": 5, "p90": 7}, {"cases": 45, "median": 2.0}),
    }
    for (matter, permit_class), (elapsed, acceleration) in expected.items():
        g = group(doc, matter, permit_class)
        assert (g["elapsed_working_days"], g["acceleration"]) == (elapsed, acceleration), (
            matter,
            permit_class,
        )


async def test_cards_by_department_scope_and_task(audit_db: Db) -> None:
    doc = await report(audit_db)

    def kinds(warning: int, yellow: int, red: int, statutory: int) -> dict[str, int]:
        return {"催办": warning, "黄牌": yellow, "红牌": red, "超法定时限": statutory}

    assert doc["cards"] == {
        "by_department": {
            # 催办 I-c; 黄牌 I-c, I-g, III-b stage ×3; 红牌 I-c, I-g, II-b ×3, II-g, III-b ×3, III-c;
            # 超法定时限 I-c, I-g, II-b ×3, II-g, III-c.
            "highway": kinds(1, 5, 10, 7),
            "province:湖北": kinds(4, 4, 0, 0),  # III-b ×3, III-c
            "road_transport": kinds(4, 4, 5, 0),  # B-b ×4, and B-f's 红牌
            "urban_road": kinds(3, 3, 0, 0),  # II-b ×3
        },
        "by_scope": {"case": kinds(0, 0, 15, 7), "stage": kinds(0, 3, 0, 0), "task": kinds(12, 13, 0, 0)},
        "by_task_kind": {
            "review:highway": kinds(1, 2, 0, 0),
            "review:province:湖北": kinds(4, 4, 0, 0),
            "review:road_transport": kinds(4, 4, 0, 0),  # B-b's certificate reviews
            "review:urban_road": kinds(3, 3, 0, 0),
        },
        "by_stage": {"review": kinds(0, 3, 0, 0)},
    }
    assert group(doc, OVERSIZE, "III")["cards"] == kinds(4, 7, 4, 1)
    assert doc["total"]["cards"] == kinds(12, 16, 15, 7)


async def test_task_durations_and_the_bottleneck(audit_db: Db) -> None:
    doc = await report(audit_db)

    def box(kind: str, count: int, *five_and_p90: int) -> dict[str, Any]:
        names = ("task_kind", "count", "min", "q1", "median", "q3", "p90", "max")
        return dict(zip(names, (kind, count, *five_and_p90), strict=True))

    assert doc["task_durations"] == [
        # police: 1×13, 2×7 → q1 rank 5, median rank 10, q3 rank 15, p90 rank 18.
        box("countersign:police", 20, 1, 1, 1, 2, 2, 2),
        # 1×12, 2×11, 3×8, 4 (I-c), 6 (III-g), 9 (II-e, across its 专家评审 stop): ranks 9, 17, 26, 31.
        box("review:highway", 34, 1, 1, 2, 3, 3, 9),
        # 2 (III-d), 3 (III-g), 5×4, 7×3, 14 (III-c): ranks 3, 5, 8, 9.
        box("review:province:湖北", 10, 2, 5, 5, 7, 7, 14),
        # licence reviews 1×2 (B-c), 2×10; certificate reviews 2×6 (B-a), 5×4 (B-b): 1×2, 2×16, 5×4,
        # n 22: ranks 6, 11, 17, 20.
        box("review:road_transport", 22, 1, 2, 2, 2, 5, 5),
        # 1×3, 2×4, 3×5, 4×10: ranks 6, 11, 17, 20.
        box("review:urban_road", 22, 1, 2, 3, 4, 4, 4),
    ]
    assert doc["bottleneck"] == box("review:province:湖北", 10, 2, 5, 5, 7, 7, 14)


async def test_on_time_by_iso_week_of_receipt(audit_db: Db) -> None:
    doc = await report(audit_db)
    assert doc["on_time_by_week"] == [
        {"week": "2026-W10", "decided": 13, "on_time_promised": 11, "rate": 0.8462},
        {"week": "2026-W11", "decided": 8, "on_time_promised": 5, "rate": 0.625},
        {"week": "2026-W38", "decided": 9, "on_time_promised": 9, "rate": 1.0},
        {"week": "2026-W39", "decided": 7, "on_time_promised": 3, "rate": 0.4286},
        {"week": "2026-W40", "decided": 8, "on_time_promised": 5, "rate": 0.625},
    ]


async def test_overdue_cases(audit_db: Db) -> None:
    doc = await report(audit_db)
    got = [(o["case_id"], o["status"], o["working_days_overdue"]) for o in doc["overdue"]]
    assert got == [
        ("III-c-1", "closed", 9),
        ("II-g-1", "open", 5),
        *[(f"B-b-{n}", "closed", 2) for n in range(1, 5)],
        ("B-f-1", "open", 2),
        ("I-c-1", "closed", 2),
        ("I-g-1", "open", 2),
        *[(f"III-b-{n}", "closed", 2) for n in range(1, 4)],
        *[(f"II-b-{n}", "closed", 1) for n in range(1, 4)],
    ]  # not III-e: its due has passed, but its clock is stopped (加固改造)
    first = doc["overdue"][0]
    assert first["due"] == "2026-03-11T15:59:59.999999Z"  # 23:59:59.999999 in Shanghai
    assert first["closed_at"] == "2026-03-24T09:30:00Z"
    assert doc["overdue"][1]["closed_at"] is None


async def test_ratings_and_rectification(audit_db: Db) -> None:
    doc = await report(audit_db)
    assert doc["total"]["ratings"] == {
        "count": 11,
        "distribution": {"1": 2, "2": 2, "3": 1, "4": 2, "5": 4},
        "mean": 3.36,  # 37 / 11
        "bad": 4,
        "bad_rated_cases": 4,
        "bad_rated_cases_visited": 3,  # not III-b-1
        "rectifications_opened": 4,
        "rectifications_replied": 3,
        "rectifications_replied_on_time": 2,  # II-b-1 replied a day after its due
        "return_visits": 3,
    }
    oversize_i = group(doc, OVERSIZE, "I")["ratings"]
    assert (oversize_i["count"], oversize_i["mean"], oversize_i["bad"]) == (5, 3.6, 1)


async def test_licence_kpis_come_from_the_licence_repository(audit_db: Db) -> None:
    doc = await report(audit_db)

    def kpi(count: int, of: int, value: float | None, target: float) -> dict[str, Any]:
        meets = None if value is None else value >= target
        return {"count": count, "of": of, "rate": value, "target": target, "meets_target": meets}

    # All: 41 approved cases, 38 with a licence (not II-c ×2, II-e); 39 licences (B-a-1 has two);
    # 归集 not delivered for III-c-1, III-g-1, B-b-4; unqualified: II-b-3 (tampered signature),
    # B-b-3 (five-digit jurisdiction code); never fetched: I-a-6, I-b-3, III-b-2, III-b-3, III-c-1,
    # III-g-1, B-b-4.
    assert doc["total"]["licences"] == {
        "licences": 39,
        "approved_cases": 41,
        "issuance_rate": kpi(38, 41, 0.9268, 0.8),
        "collection_rate": kpi(36, 39, 0.9231, 0.9),
        "quality_rate": kpi(37, 39, 0.9487, 0.9),
        "activation_rate": kpi(32, 39, 0.8205, 0.8),
    }
    business = group(doc, BUSINESS, None)["licences"]
    assert business["issuance_rate"] == kpi(10, 10, 1.0, 0.8)  # 11 licences for 10 cases: still 100 %
    assert doc["targets_missed"] == [
        {"matter": OVERSIZE, "permit_class": "II", "kpi": "issuance_rate", "rate": 0.7273, "target": 0.8},
        {"matter": OVERSIZE, "permit_class": "II", "kpi": "quality_rate", "rate": 0.875, "target": 0.9},
        {"matter": OVERSIZE, "permit_class": "III", "kpi": "collection_rate", "rate": 0.7778, "target": 0.9},
        {"matter": OVERSIZE, "permit_class": "III", "kpi": "activation_rate", "rate": 0.5556, "target": 0.8},
        {"matter": OVERSIZE, "permit_class": "*", "kpi": "activation_rate", "rate": 0.7857, "target": 0.8},
    ]
    assert group(doc, OVERSIZE, None)["licences"]["quality_rate"] == kpi(0, 0, None, 0.9)
    assert doc["licences_outside_report"] == 1  # GHOST-1: a licence whose case the ledger lacks


async def test_csv_has_one_row_per_matter_and_class_then_subtotals(audit_db: Db) -> None:
    text = render_csv(await build_report(audit_db.sessions, CAL, now=NOW))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [(r["matter"], r["permit_class"]) for r in rows] == [
        (BUSINESS, ""),
        (OVERSIZE, "I"),
        (OVERSIZE, "II"),
        (OVERSIZE, "III"),
        (OVERSIZE, ""),
        (BUSINESS, "*"),
        (OVERSIZE, "*"),
        ("*", "*"),
    ]
    lines = text.splitlines()
    assert lines[0] == (
        "matter,permit_class,received,completed,open,decided,approved,refused,not_accepted,withdrawn,"
        "supplement_expired,on_time_promised,on_time_promised_rate,on_time_statutory,"
        "on_time_statutory_rate,elapsed_median,elapsed_p90,acceleration_median,cards_warning,cards_yellow,"
        "cards_red,cards_statutory,ratings,rating_mean,bad_ratings,licences,issuance_rate,collection_rate,"
        "quality_rate,activation_rate"
    )
    assert lines[3] == (
        "oversize-transport,II,13,12,1,12,11,1,0,0,0,9,0.7500,9,0.7500,5,6,1.0,3,3,4,4,2,3.5,1,8,"
        "0.7273,1.0000,0.8750,1.0000"
    )
    assert lines[5] == "oversize-transport,,3,3,0,0,0,0,2,0,1,0,,0,,,,,0,0,0,0,0,,0,0,,,,"
    assert lines[8] == (
        "*,*,57,52,5,45,41,4,3,3,1,33,0.7333,40,0.8889,5,7,2.0,12,16,15,7,11,3.36,4,39,"
        "0.9268,0.9231,0.9487,0.8205"
    )


async def test_a_period_selects_cases_by_their_receipt(audit_db: Db) -> None:
    september = await report(audit_db, received_from=D("2026-09-01"), received_to=D("2026-09-30"))
    # II: all 13 classed + II-f; III-e; business but B-f (received 10-08).
    assert september["total"]["received"] == 29
    assert group(september, OVERSIZE, "II")["received"] == 13
    assert group(september, OVERSIZE, "III")["received"] == 1
    assert group(september, BUSINESS, None)["received"] == 14
    assert september["period"] == {
        "received_from": "2026-09-01",
        "received_to": "2026-09-30",
        "now": "2026-10-16T04:00:00Z",
    }
    assert september["licences_outside_report"] == 0  # only the period's cases' licences are read
    assert september["total"]["licences"]["licences"] == 8 + 11  # II and business
    march = await report(audit_db, received_to=D("2026-03-31"))
    assert march["total"]["received"] == (14 - 2) + (12 - 1) + 2  # I but I-g, I-h; III but III-e; I-e ×2
    assert [w["week"] for w in march["on_time_by_week"]] == ["2026-W10", "2026-W11"]


async def test_the_period_is_counted_in_shanghai_dates(db: Db) -> None:
    late_at = datetime(2026, 9, 30, 23, 30, tzinfo=SHANGHAI)
    late = CaseLog("EDGE-late", OVERSIZE).add(Received(department="highway"), late_at)
    early_at = datetime(2026, 10, 1, 0, 10, tzinfo=SHANGHAI)
    early = CaseLog("EDGE-early", OVERSIZE).add(Received(department="highway"), early_at)
    await append_events(db.sessions, [*late.events, *early.events])
    async with db.sessions() as session:
        september = await load_ledger_records(session, D("2026-09-30"), D("2026-09-30"))
        october = await load_ledger_records(session, D("2026-10-01"), None)
    assert [r.case_id for r in september] == ["EDGE-late"]
    assert september[0].actual_at == late_at  # 15:30 UTC on 09-30
    assert [r.case_id for r in october] == ["EDGE-early"]  # 16:10 UTC on 09-30, but 10-01 in Shanghai


async def test_verify_ledger_names_the_case_whose_event_was_edited(audit_db: Db) -> None:
    assert await verify_ledger(audit_db.sessions) == (57, [])
    async with audit_db.sessions.begin() as session:
        await session.execute(
            sa.update(LedgerEventRow)
            .where(LedgerEventRow.case_id == "I-a-3", LedgerEventRow.step == "决定")
            .values(outcome="不予许可")
        )
    cases, broken = await verify_ledger(audit_db.sessions)
    assert cases == 57
    assert [(b.case_id, b.seq, b.reason) for b in broken] == [
        ("I-a-3", 5, "hash does not match the event's content (edited)")  # 收件, 受理, 承办, 审核, 决定
    ]


async def test_an_empty_ledger_gives_an_empty_report(db: Db) -> None:
    doc = await report(db)
    assert doc["groups"] == [] and doc["matters"] == [] and doc["overdue"] == []
    assert doc["total"]["received"] == 0
    assert doc["total"]["on_time_promised"] == rate(0, 0, None)
    assert doc["bottleneck"] is None
    assert doc["targets_missed"] == []
