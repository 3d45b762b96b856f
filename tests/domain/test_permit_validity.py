"""The permit's validity (通行期限) and the multi-trip permit (多次往返): every boundary, at and past.

A single-trip permit runs at most `DEFAULT_SINGLE_TRIP_VALIDITY_DAYS` days including both ends (no
public number: a named default), a multi-trip one at most 6 months (DOMAIN.md §1.5); neither starts
before the day it is decided.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from domain.oversize_case import (
    DEFAULT_SINGLE_TRIP_VALIDITY_DAYS,
    admission_problems,
    last_valid_day,
    multi_trip_problems,
    permit_grant,
    permit_validity,
    travel_window_problems,
)
from tests.factories import CLASS_I, MULTI_TRIP_PLAN, submission

PLAN = MULTI_TRIP_PLAN

TODAY = date(2026, 12, 1)  # pinned: the rules are counted from it, not from the machine's clock


def window(start: date, days: int, **changes: Any) -> Any:
    """A submission whose window starts on `start` and runs `days` days including both ends."""
    return submission(
        CLASS_I,
        travel_from=start.isoformat(),
        travel_to=(start + timedelta(days=days - 1)).isoformat(),
        **changes,
    )


def fields(problems: list[Any]) -> list[str]:
    return [p.field for p in problems]


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (TODAY, []),  # at: starts today
        (TODAY + timedelta(days=1), []),  # inside
        (TODAY - timedelta(days=1), ["travel_from"]),  # just outside: yesterday
        (date(2020, 1, 1), ["travel_from"]),
    ],
)
def test_a_permit_starts_no_earlier_than_today(start: date, expected: list[str]) -> None:
    assert fields(travel_window_problems(window(start, 5), TODAY)) == expected


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (1, []),  # a one-day window
        (DEFAULT_SINGLE_TRIP_VALIDITY_DAYS - 1, []),  # just inside
        (DEFAULT_SINGLE_TRIP_VALIDITY_DAYS, []),  # at the default
        (DEFAULT_SINGLE_TRIP_VALIDITY_DAYS + 1, ["travel_to"]),  # just outside
        (366, ["travel_to"]),  # twelve months
    ],
)
def test_a_single_trip_runs_at_most_the_default(days: int, expected: list[str]) -> None:
    problems = travel_window_problems(window(TODAY, days), TODAY)
    assert fields(problems) == expected
    if expected:
        assert f"不超过 {DEFAULT_SINGLE_TRIP_VALIDITY_DAYS} 日" in problems[0].message


def test_an_end_before_the_start_names_travel_to() -> None:
    sub = submission(CLASS_I, travel_from=TODAY.isoformat(), travel_to=TODAY.isoformat())
    object.__setattr__(sub, "travel_to", TODAY - timedelta(days=1))  # the model refuses it on input
    assert fields(travel_window_problems(sub, TODAY)) == ["travel_to"]
    with pytest.raises(ValidationError, match="travel_to is before travel_from"):
        window(TODAY, 0)


@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [
        (date(2026, 12, 1), date(2027, 5, 31), True),  # at: six months less a day
        (date(2026, 12, 1), date(2027, 5, 30), True),  # inside
        (date(2026, 12, 1), date(2027, 6, 1), False),  # just outside
        (date(2026, 12, 31), date(2027, 6, 29), True),  # 31 Dec + 6 months = 30 Jun (no 31 Jun)
        (date(2026, 12, 31), date(2027, 6, 30), False),
        (date(2027, 8, 31), date(2028, 2, 28), True),  # Feb of a leap year has a 29th
        (date(2027, 8, 31), date(2028, 2, 29), False),
    ],
)
def test_a_multi_trip_permit_runs_at_most_six_months(start: date, end: date, ok: bool) -> None:
    sub = submission(
        CLASS_I,
        travel_from=start.isoformat(),
        travel_to=end.isoformat(),
        trips="multiple",
        transport_plan=PLAN,
    )
    assert (last_valid_day(sub) >= end) is ok
    assert (travel_window_problems(sub, start) == []) is ok


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"goods": "钢梁"}, "transport_plan.goods"),
        ({"same_loading_every_trip": False}, "transport_plan.same_loading_every_trip"),
        ({"reinforcement_needed": True}, "transport_plan.reinforcement_needed"),
    ],
)
def test_a_multi_trip_request_is_told_which_condition_fails(change: dict[str, Any], field: str) -> None:
    sub = window(TODAY, 90, trips="multiple", transport_plan={**PLAN, **change})
    problems = multi_trip_problems(sub)
    assert fields(problems) == [field]
    assert fields(admission_problems(sub, TODAY)) == [field]


def test_a_qualifying_multi_trip_request_has_no_problem() -> None:
    sub = window(TODAY, 180, trips="multiple", transport_plan=PLAN)
    assert admission_problems(sub, TODAY) == []


def test_the_plan_goes_with_multiple_trips_only() -> None:
    with pytest.raises(ValidationError, match="transport_plan"):
        window(TODAY, 10, trips="multiple")
    with pytest.raises(ValidationError, match="transport_plan"):
        window(TODAY, 10, transport_plan=PLAN)
    with pytest.raises(ValidationError, match="trips"):
        window(TODAY, 10, trips="many")


@pytest.mark.parametrize(
    ("decided", "expected"),
    [
        (TODAY - timedelta(days=1), (TODAY, TODAY + timedelta(days=9))),  # decided before it starts
        (TODAY, (TODAY, TODAY + timedelta(days=9))),
        (TODAY + timedelta(days=3), (TODAY + timedelta(days=3), TODAY + timedelta(days=9))),  # late
        (TODAY + timedelta(days=9), (TODAY + timedelta(days=9), TODAY + timedelta(days=9))),  # last day
        (TODAY + timedelta(days=10), None),  # the window has passed
    ],
)
def test_the_validity_starts_no_earlier_than_the_decision(decided: date, expected: Any) -> None:
    assert permit_validity(window(TODAY, 10), decided) == expected


def test_the_permit_records_its_kind_and_plan() -> None:
    from domain.oversize import PermitClass
    from domain.oversize_case import CarrierFacts, RegistryFacts

    facts = RegistryFacts(
        tractor=None,
        trailer=None,
        carrier=CarrierFacts(
            credit_code=CLASS_I["carrier_code"],
            name="示例大件运输公司",
            licence_scopes=["大型物件运输"],
            licence_valid_until=TODAY + timedelta(days=900),
            barred_until=None,
        ),
        driver_valid_until=None,
        credit_grade="A",
        serious_dishonesty=False,
        main_corridors=[],
    )
    single = permit_grant("c1", window(TODAY, 10), facts, PermitClass.I, [], (TODAY, TODAY))
    assert single.particulars["trips"] == "单次通行" and "transport_plan" not in single.particulars
    assert (single.valid_from, single.valid_to) == (TODAY, TODAY)
    multi = permit_grant(
        "c2", window(TODAY, 90, trips="multiple", transport_plan=PLAN), facts, PermitClass.I, []
    )
    assert multi.particulars["trips"] == "多次往返"
    assert "通行时段：每日22:00至次日6:00" in multi.particulars["transport_plan"]


# --- 同一车辆重复办证: no second permit for the same vehicle and route -------------------------------


def held(plate: str, start: date, end: date, roads: list[str]) -> Any:
    from domain.licence import VehicleLicence

    return VehicleLicence(
        licence_id="1.2.156.3005.2.DJYSXK01.11430000MB0000001B.00000000000000000001.1.X",
        case_id="oversize-transport-EARLIER",
        plate=plate,
        valid_from=start,
        valid_to=end,
        roads=roads,
    )


@pytest.mark.parametrize(
    ("permit_end", "roads", "plate", "repeated"),
    [
        (TODAY, ["G4"], "湘AD1234", True),  # ends on the first day asked for: overlaps (at)
        (TODAY - timedelta(days=1), ["G4"], "湘AD1234", False),  # ended the day before (just outside)
        (TODAY + timedelta(days=3), ["G60"], "湘AD1234", False),  # another road: no overlap of route
        (TODAY + timedelta(days=3), ["G60", "G4"], "湘A1234挂", True),  # the trailer, a shared road
    ],
)
def test_a_valid_permit_for_the_same_vehicle_and_route_is_named(
    permit_end: date, roads: list[str], plate: str, repeated: bool
) -> None:
    from domain.oversize_case import repeated_permit_reasons

    sub = window(TODAY, 10)  # CLASS_I: 湘AD1234 with trailer 湘A1234挂 on G4
    reasons = repeated_permit_reasons(sub, [held(plate, TODAY - timedelta(days=20), permit_end, roads)])
    assert bool(reasons) is repeated
    if repeated:
        assert "1.2.156.3005.2.DJYSXK01" in reasons[0] and "变更" in reasons[0]
