"""Oversize permit rules against 交通运输部令2016年第62号: every boundary of Art. 3 and 15, at and over."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from domain.oversize import (
    LIMITS,
    Article,
    Assessment,
    CarrierStanding,
    OversizeRequest,
    PermitClass,
    Vehicle,
    assess,
    escort_plan_required,
    extra_materials,
    mass_limit_kg,
    not_accepted_reasons,
    over_limit_reasons,
    permit_class,
    refusal_reasons,
    statutory_working_days,
)

# Within every Art. 3 limit for a 6-axle combination: the baseline each test changes one thing of.
BASE: dict[str, Any] = {
    "vehicle": {"axles": 6, "combination": True, "single_drive_axle": False, "trailer": "other"},
    "loaded": {
        "height_m": 3.5,
        "width_m": 2.5,
        "length_m": 16.0,
        "total_mass_kg": 40_000,
        "axle_loads_kg": [],
    },
    "cargo": {"name": "变压器", "divisible": False},
    "cross_province": False,
}


def make(
    *, vehicle: dict[str, Any] | None = None, cargo: dict[str, Any] | None = None, **changes: Any
) -> dict[str, Any]:
    """BASE with `loaded` fields, `vehicle`/`cargo` fields or `cross_province` replaced."""
    data: dict[str, Any] = {
        "vehicle": {**BASE["vehicle"], **(vehicle or {})},
        "loaded": dict(BASE["loaded"]),
        "cargo": {**BASE["cargo"], **(cargo or {})},
        "cross_province": changes.pop("cross_province", False),
    }
    data["loaded"].update(changes)
    return data


def req(**kwargs: Any) -> OversizeRequest:
    return OversizeRequest.model_validate(make(**kwargs))


# --- Art. 3 ---------------------------------------------------------------------------------------------


def test_baseline_is_not_over_limit() -> None:
    r = req()
    assert over_limit_reasons(r) == []
    assert permit_class(r) is None


@pytest.mark.parametrize(
    ("field", "at_limit", "just_over"),
    [("height_m", 4.0, 4.01), ("width_m", 2.55, 2.56), ("length_m", 18.1, 18.11)],
)
def test_art3_dimension_boundaries(field: str, at_limit: float, just_over: float) -> None:
    assert over_limit_reasons(req(**{field: at_limit})) == []
    reasons = over_limit_reasons(req(**{field: just_over}))
    assert len(reasons) == 1
    assert "超过" in reasons[0] and "第62号令第三条" in reasons[0]


def test_reason_format() -> None:
    assert over_limit_reasons(req(height_m=4.3)) == ["车货总高度 4.30 m 超过 4.00 m（第62号令第三条）"]


MASS_LIMITS = [
    # (axles, combination, single drive axle, Art. 3 limit)
    (2, False, False, 18_000),
    (3, False, False, 25_000),
    (4, False, False, 31_000),
    # Not in Art. 3: the 4-axle truck limit, conservatively.
    (5, False, False, 31_000),
    (6, False, False, 31_000),
    (7, False, False, 31_000),
    (12, False, True, 31_000),
    (3, True, False, 27_000),
    (4, True, False, 36_000),
    (5, True, False, 43_000),
    (5, True, True, 43_000),  # the single-drive-axle reduction is for six axles and more only
    (6, True, False, 49_000),
    (7, True, False, 49_000),
    (20, True, False, 49_000),
    (6, True, True, 46_000),
    (7, True, True, 46_000),
    (2, False, True, 18_000),  # a truck's drive axle does not matter
]


@pytest.mark.parametrize(("axles", "combination", "single_drive", "limit"), MASS_LIMITS)
def test_art3_mass_limit_by_axles(axles: int, combination: bool, single_drive: bool, limit: int) -> None:
    vehicle = {"axles": axles, "combination": combination, "single_drive_axle": single_drive}
    assert mass_limit_kg(Vehicle.model_validate({**BASE["vehicle"], **vehicle}))[0] == limit
    assert over_limit_reasons(req(vehicle=vehicle, total_mass_kg=limit)) == []
    reasons = over_limit_reasons(req(vehicle=vehicle, total_mass_kg=limit + 1))
    assert len(reasons) == 1 and "车货总质量" in reasons[0] and "第三条" in reasons[0]


@pytest.mark.parametrize("axles", [5, 6, 9])
def test_truck_beyond_art3_table_says_it_is_conservative(axles: int) -> None:
    limit, reason = mass_limit_kg(
        Vehicle(axles=axles, combination=False, single_drive_axle=False, trailer="other")
    )
    assert limit == 31_000
    assert f"第三条未列{axles}轴货车" in reason and "保守适用四轴货车限值" in reason


def test_single_drive_axle_46_vs_49_tonnes() -> None:
    at_46001 = {"total_mass_kg": 46_001}
    assert over_limit_reasons(req(vehicle={"single_drive_axle": True}, **at_46001))
    assert not over_limit_reasons(req(vehicle={"single_drive_axle": False}, **at_46001))


def test_every_criterion_is_reported() -> None:
    r = req(height_m=4.1, width_m=2.6, length_m=19, total_mass_kg=50_000)
    assert len(over_limit_reasons(r)) == 4


# --- Art. 15 --------------------------------------------------------------------------------------------

CLASS_BOUNDARIES = [
    # (loaded changes, expected class); the height 4.1 m puts the class-I and mass rows over Art. 3.
    ({"height_m": 4.2}, PermitClass.I),
    ({"height_m": 4.21}, PermitClass.II),
    ({"height_m": 4.1, "width_m": 3.0}, PermitClass.I),
    ({"height_m": 4.1, "width_m": 3.01}, PermitClass.II),
    ({"height_m": 4.1, "length_m": 20}, PermitClass.I),
    ({"height_m": 4.1, "length_m": 20.01}, PermitClass.II),
    ({"height_m": 4.5}, PermitClass.II),
    ({"height_m": 4.51}, PermitClass.III),
    ({"width_m": 3.75}, PermitClass.II),
    ({"width_m": 3.76}, PermitClass.III),
    ({"length_m": 28}, PermitClass.II),
    ({"length_m": 28.01}, PermitClass.III),
    ({"total_mass_kg": 100_000}, PermitClass.II),
    ({"total_mass_kg": 100_001}, PermitClass.III),
    # Class I needs the total mass within Art. 3 (49 t for this 6-axle combination).
    ({"height_m": 4.1, "total_mass_kg": 49_000}, PermitClass.I),
    ({"height_m": 4.1, "total_mass_kg": 49_001}, PermitClass.II),
    ({"total_mass_kg": 49_001}, PermitClass.II),
    # Dimensions of class I, mass over Art. 3 but not over 100 t: class II.
    ({"height_m": 4.2, "width_m": 3.0, "length_m": 20, "total_mass_kg": 100_000}, PermitClass.II),
]


@pytest.mark.parametrize(("changes", "expected"), CLASS_BOUNDARIES)
def test_art15_class_boundaries(changes: dict[str, float], expected: PermitClass) -> None:
    r = req(**changes)
    assert permit_class(r) is expected
    a = assess(r)
    assert a.over_limit and a.permit_class is expected
    assert a.reasons[-1].endswith(f"{expected.chinese}（第62号令第十五条）")


def test_class_reasons_say_why() -> None:
    a = assess(req(height_m=4.3))
    assert a.reasons == [
        "车货总高度 4.30 m 超过 4.00 m（第62号令第三条）",
        "车货总高度 4.30 m 超过 4.20 m，不属一类（第62号令第十五条）",
        "车货总高度 4.30 m 未超过 4.50 m、车货总宽度 2.50 m 未超过 3.75 m、"
        "车货总长度 16.00 m 未超过 28.00 m、车货总质量 40,000 kg 未超过 100,000 kg：二类（第62号令第十五条）",
    ]
    heavy = assess(req(height_m=4.1, total_mass_kg=49_001))
    assert "车货总质量 49,001 kg 超过第三条限值 49,000 kg，不属一类（第62号令第十五条）" in heavy.reasons


STATUTORY_DAYS = [
    (PermitClass.I, False, 2),
    (PermitClass.I, True, 5),
    (PermitClass.II, False, 5),
    (PermitClass.II, True, 10),
    (PermitClass.III, False, 15),
    (PermitClass.III, True, 20),
]
REQUEST_OF_CLASS = {
    PermitClass.I: {"height_m": 4.1},
    PermitClass.II: {"height_m": 4.3},
    PermitClass.III: {"height_m": 4.6},
}


@pytest.mark.parametrize(("cls", "cross_province", "days"), STATUTORY_DAYS)
def test_statutory_working_days(cls: PermitClass, cross_province: bool, days: int) -> None:
    assert statutory_working_days(cls, cross_province) == days
    a = assess(req(cross_province=cross_province, **REQUEST_OF_CLASS[cls]))
    assert a.permit_class is cls and a.statutory_working_days == days


def test_not_over_limit_has_no_class_and_no_deadline() -> None:
    a = assess(req(cross_province=True))
    assert a.over_limit is False
    assert a.permit_class is None and a.statutory_working_days is None
    assert a.extra_materials == [] and a.escort_plan_required is False
    assert a.reasons == ["未超过第三条任一限值，无需超限运输许可（第62号令第三条）"]


# --- Art. 11 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [None, PermitClass.I, PermitClass.II])
def test_no_extra_materials_below_class_iii(cls: PermitClass | None) -> None:
    assert extra_materials(cls) == []
    assert escort_plan_required(cls) is False


def test_class_iii_needs_outline_drawing_and_escort_plan() -> None:
    materials = extra_materials(PermitClass.III)
    assert any("车货外廓尺寸图" in m for m in materials) and any("护送方案" in m for m in materials)
    assert all("第九条" in m for m in materials)
    assert escort_plan_required(PermitClass.III)
    a = assess(req(width_m=3.8))
    assert a.extra_materials == materials and a.escort_plan_required


# --- Art. 17: refusals ----------------------------------------------------------------------------------

REFUSALS = [
    # (trailer, axle loads, refused?, words in the reason)
    ("flatbed", [10_000, 10_000], False, ""),
    ("flatbed", [10_000, 10_001], True, "平均轴荷"),
    ("flatbed", [13_000, 7_000], False, ""),
    ("flatbed", [13_001, 6_999], True, "最大轴荷 13,001 kg 超过 13,000 kg"),
    ("hydraulic_modular", [18_000] * 4, False, ""),
    ("hydraulic_modular", [18_000, 18_001], True, "每轴线平均轴荷"),
    ("hydraulic_modular", [20_000, 16_000], False, ""),
    ("hydraulic_modular", [20_001, 15_999], True, "每轴线最大轴荷 20,001 kg 超过 20,000 kg"),
    # A hydraulic trailer is judged by its own (higher) limits, and "other" by neither.
    ("hydraulic_modular", [13_001, 13_001], False, ""),
    ("other", [50_000, 50_000], False, ""),
]


@pytest.mark.parametrize(("trailer", "loads", "refused", "words"), REFUSALS)
def test_art17_refusal_boundaries(trailer: str, loads: list[float], refused: bool, words: str) -> None:
    r = req(vehicle={"trailer": trailer}, axle_loads_kg=loads)
    reasons = refusal_reasons(r)
    assert bool(reasons) is refused
    if refused:
        assert len(reasons) == 1 and words in reasons[0] and "第62号令第十七条" in reasons[0]
    assert assess(r).refusals == reasons


def test_both_refusal_criteria_reported() -> None:
    assert len(refusal_reasons(req(vehicle={"trailer": "flatbed"}, axle_loads_kg=[14_000, 11_000]))) == 2


# --- Art. 12: not accepted ------------------------------------------------------------------------------

ON = date(2026, 3, 2)
LICENSED = CarrierStanding(licence_scopes=frozenset({"道路普通货物运输", "大型物件运输（四类）"}))


def test_divisible_cargo_not_accepted() -> None:
    reasons = not_accepted_reasons(req(cargo={"divisible": True, "name": "钢材"}))
    assert reasons == ["货物「钢材」属于可分载物品（第62号令第十一条）"]
    assert assess(req(cargo={"divisible": True, "name": "钢材"})).not_accepted == reasons
    assert not_accepted_reasons(req()) == []


@pytest.mark.parametrize(
    ("scopes", "accepted"),
    [
        ({"道路普通货物运输"}, False),
        (set(), False),
        ({"大件运输"}, True),
        ({"道路普通货物运输", "大型物件运输（四类）"}, True),
    ],
)
def test_licence_scope_must_cover_oversize_transport(scopes: set[str], accepted: bool) -> None:
    carrier = CarrierStanding(licence_scopes=frozenset(scopes))
    reasons = not_accepted_reasons(req(), carrier, ON)
    assert (reasons == []) is accepted
    if not accepted:
        assert "不包括大件运输" in reasons[0]


@pytest.mark.parametrize(
    ("barred_until", "accepted"),
    [
        (ON + timedelta(days=1), False),  # the bar still runs on the day of application
        (ON + timedelta(days=365), False),
        (ON, True),  # `barred_until` is the first day the carrier may apply again
        (ON - timedelta(days=1), True),
        (None, True),
    ],
)
def test_barred_carrier(barred_until: date | None, accepted: bool) -> None:
    carrier = LICENSED.model_copy(update={"barred_until": barred_until})
    reasons = not_accepted_reasons(req(), carrier, ON)
    assert (reasons == []) is accepted
    if not accepted:
        assert "限制申请" in reasons[0] and "第十一条" in reasons[0]
    assert assess(req(), carrier, ON).not_accepted == reasons


def test_bar_needs_the_day_of_application() -> None:
    with pytest.raises(ValueError, match="`on` is required"):
        not_accepted_reasons(req(), LICENSED.model_copy(update={"barred_until": ON}))


def test_every_not_accepted_reason_is_reported() -> None:
    carrier = CarrierStanding(licence_scopes=frozenset(), barred_until=ON + timedelta(days=1))
    assert len(not_accepted_reasons(req(cargo={"divisible": True}), carrier, ON)) == 3


# --- input validation -----------------------------------------------------------------------------------

BAD_INPUTS = [
    # (change, location of the error)
    ({"height_m": 40}, ("loaded", "height_m")),  # 40 m typed for 4.0 m
    ({"height_m": 0}, ("loaded", "height_m")),
    ({"height_m": -4.0}, ("loaded", "height_m")),
    ({"height_m": "4.2"}, ("loaded", "height_m")),
    ({"height_m": True}, ("loaded", "height_m")),
    ({"height_m": float("nan")}, ("loaded", "height_m")),
    ({"width_m": 15.01}, ("loaded", "width_m")),
    ({"width_m": -2.5}, ("loaded", "width_m")),
    ({"length_m": 100.01}, ("loaded", "length_m")),
    ({"total_mass_kg": 2_000_001}, ("loaded", "total_mass_kg")),
    ({"total_mass_kg": "40000"}, ("loaded", "total_mass_kg")),
    ({"axle_loads_kg": [100_001]}, ("loaded", "axle_loads_kg", 0)),
    ({"axle_loads_kg": [10_000, 0]}, ("loaded", "axle_loads_kg", 1)),
    ({"axle_loads_kg": [1_000] * 201}, ("loaded", "axle_loads_kg")),
    ({"tonnes": 40}, ("loaded", "tonnes")),
    ({"vehicle": {"axles": 1}}, ("vehicle", "axles")),
    ({"vehicle": {"axles": 21}}, ("vehicle", "axles")),
    ({"vehicle": {"axles": 6.0}}, ("vehicle", "axles")),
    ({"vehicle": {"axles": 2, "combination": True}}, ("vehicle", "axles")),
    ({"vehicle": {"combination": "yes"}}, ("vehicle", "combination")),
    ({"vehicle": {"trailer": "lowboy"}}, ("vehicle", "trailer")),
    ({"vehicle": {"trailer": "flatbed"}}, ("loaded",)),  # no axle loads to judge Art. 17 by
    ({"cargo": {"name": ""}}, ("cargo", "name")),
    ({"cargo": {"name": "   "}}, ("cargo", "name")),
    ({"cargo": {"name": "件" * 201}}, ("cargo", "name")),
    ({"cargo": {"divisible": 0}}, ("cargo", "divisible")),
    ({"cross_province": "false"}, ("cross_province",)),
]


@pytest.mark.parametrize(("change", "loc"), BAD_INPUTS)
def test_implausible_input_is_rejected_naming_the_field(change: dict[str, Any], loc: tuple[Any, ...]) -> None:
    with pytest.raises(ValidationError) as info:
        OversizeRequest.model_validate(make(**change))
    assert [e["loc"] for e in info.value.errors()] == [loc]


def test_combination_error_names_axles() -> None:
    with pytest.raises(ValidationError, match="has at least 3 axles"):
        req(vehicle={"axles": 2, "combination": True})


@pytest.mark.parametrize(
    "change",
    [
        {"height_m": 10, "width_m": 15, "length_m": 100, "total_mass_kg": 2_000_000},
        {"height_m": 4, "total_mass_kg": 40_000.5},  # ints and floats both are numbers
        {"vehicle": {"axles": 3, "combination": True}},
        {"vehicle": {"axles": 20}},
        {"vehicle": {"trailer": "flatbed"}, "axle_loads_kg": [100_000] * 200},
        {"cargo": {"name": "件" * 200}},
    ],
)
def test_plausible_extremes_are_accepted(change: dict[str, Any]) -> None:
    OversizeRequest.model_validate(make(**change))


def test_missing_field_is_named() -> None:
    data = make()
    del data["loaded"]["height_m"]
    with pytest.raises(ValidationError) as info:
        OversizeRequest.model_validate(data)
    assert info.value.errors()[0]["loc"] == ("loaded", "height_m")


# --- the contract ---------------------------------------------------------------------------------------


def test_assessment_fields_are_the_contract() -> None:
    assert set(Assessment.model_fields) == {
        "over_limit",
        "permit_class",
        "statutory_working_days",
        "extra_materials",
        "escort_plan_required",
        "not_accepted",
        "refusals",
        "reasons",
    }
    dumped = assess(req(height_m=4.6)).model_dump(mode="json")
    assert dumped["permit_class"] == "III" and dumped["statutory_working_days"] == 15


def test_permit_class_values() -> None:
    assert [c.value for c in PermitClass] == ["I", "II", "III"]


def test_every_row_of_the_table_names_an_article() -> None:
    assert {row.article for row in LIMITS.values()} <= set(Article)
    assert {row.article for row in LIMITS.values()} == {
        Article.OVER_LIMIT,
        Article.PERMIT_CLASS,
        Article.CROSS_PROVINCE,
        Article.REFUSAL,
    }


# --- Art. 15(一): class I also needs the axle loads within Art. 17 --------------------------------------

CLASS_I_AXLES = [
    # A flatbed within class I's envelope and Art. 3's mass; only the axle loads vary.
    ([10_000, 10_000, 10_000], PermitClass.I),  # mean at 10,000: within
    ([9_000, 13_000, 8_000], PermitClass.I),  # max at 13,000, mean 10,000: within
    ([9_000, 13_000.5, 8_000], PermitClass.II),  # max just over 13,000
    ([10_000.5, 10_000, 10_000], PermitClass.II),  # mean just over 10,000
]


@pytest.mark.parametrize(("loads", "expected"), CLASS_I_AXLES)
def test_class_i_needs_axle_loads_within_art17(loads: list[float], expected: PermitClass) -> None:
    r = req(height_m=4.1, total_mass_kg=45_000, axle_loads_kg=loads, vehicle={"trailer": "flatbed"})
    assert permit_class(r) is expected
    a = assess(r)
    assert a.permit_class is expected
    if expected is PermitClass.II:
        # Refused under Art. 17 either way; the class and its deadline are II's, and the reason says why.
        assert a.refusals and a.statutory_working_days == 5
        assert any("第十七条" in reason and "不属一类" in reason for reason in a.reasons)
    else:
        assert not a.refusals and a.statutory_working_days == 2


def test_the_earlier_reading_kept_class_i_for_heavy_axles() -> None:
    """Cases started before the rule replay with it off: the same request was class I then."""
    r = req(
        height_m=4.1,
        total_mass_kg=45_000,
        axle_loads_kg=[9_000, 13_500, 8_000],
        vehicle={"trailer": "flatbed"},
    )
    assert permit_class(r, axle_loads_in_class_i=False) is PermitClass.I
    assert assess(r, axle_loads_in_class_i=False).permit_class is PermitClass.I
    assert permit_class(r) is PermitClass.II


@pytest.mark.parametrize(
    ("cls", "days"),
    [(PermitClass.I, 3), (PermitClass.II, 5), (PermitClass.III, 15)],
)
def test_an_en_route_province_has_the_days_of_art16_for_the_class(cls: PermitClass, days: int) -> None:
    from domain.oversize import en_route_working_days
    from domain.oversize_case import oversize_limits

    assert en_route_working_days(cls) == days
    limits = oversize_limits(cls, cross_province=True)
    assert limits.province_task == days <= limits.statutory
    assert oversize_limits(cls, True, en_route_by_class=False).province_task == 3  # the earlier default
