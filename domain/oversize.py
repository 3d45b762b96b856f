"""Oversize transport permit rules (大件运输许可), as 交通运输部令2016年第62号 writes them.

《超限运输车辆行驶公路管理规定》: when a loaded vehicle is over limit (Art. 3), which permit class it
falls in and how many working days the authority has to decide (Art. 15), the extra materials of the
largest class (Art. 9), when an application is not accepted (Art. 11), what an en-route province has
(Art. 16) and when it is refused (Art. 17).

Pure: no I/O, no clock (a date comes in as an argument), because workflows import it inside Temporal's
sandbox and must replay identically. Every number of the regulation is a row of `LIMITS`; the
plausibility bounds of the input models are not regulation and are named as such.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

REGULATION: Final = "第62号令"


class Article(StrEnum):
    """Articles of 交通运输部令2016年第62号 that this module encodes."""

    OVER_LIMIT = "第三条"  # 超限运输车辆的认定标准
    MATERIALS = "第九条"  # 申请材料; beyond the class II envelope also 轮廓图 and 护送方案
    MULTI_TRIP = "第十条"  # 多次通行固定路线: validity up to 6 months with a transport plan
    NOT_ACCEPTED = "第十一条"  # 不予受理 (two published guides cite it so; the code cited 第十二条)
    PERMIT_CLASS = "第十五条"  # 一类/二类/三类 and the decision deadlines
    CROSS_PROVINCE = "第十六条"  # 跨省: forwarding within 2 working days, the en-route provinces' limits
    REFUSAL = "第十七条"  # 不予许可 on axle loads


def cite(article: Article) -> str:
    """The citation appended to every human-readable reason: `（第62号令第三条）`."""
    return f"（{REGULATION}{article}）"


class PermitClass(StrEnum):
    """Permit class of Art. 15: 一类大件 (I), 二类大件 (II), 三类大件 (III)."""

    I = "I"  # noqa: E741 - the regulation's own name for the class
    II = "II"
    III = "III"

    @property
    def chinese(self) -> str:
        return {"I": "一类", "II": "二类", "III": "三类"}[self.value]


class Quantity(StrEnum):
    """What a limit bounds, named as the regulation names it."""

    HEIGHT_M = "车货总高度"
    WIDTH_M = "车货总宽度"
    LENGTH_M = "车货总长度"
    TOTAL_MASS_KG = "车货总质量"
    MEAN_AXLE_LOAD_KG = "平均轴荷"
    MAX_AXLE_LOAD_KG = "最大轴荷"
    WORKING_DAYS = "许可决定期限"


class Rule(StrEnum):
    """The key of each row of `LIMITS`."""

    HEIGHT = "height"
    WIDTH = "width"
    LENGTH = "length"
    MASS_TRUCK_2 = "mass.truck.2"
    MASS_TRUCK_3 = "mass.truck.3"
    MASS_COMBINATION_3 = "mass.combination.3"
    MASS_TRUCK_4 = "mass.truck.4"
    MASS_COMBINATION_4 = "mass.combination.4"
    MASS_COMBINATION_5 = "mass.combination.5"
    MASS_COMBINATION_6 = "mass.combination.6+"
    MASS_COMBINATION_6_SINGLE_DRIVE = "mass.combination.6+.single_drive_axle"
    CLASS_I_HEIGHT = "class_I.height"
    CLASS_I_WIDTH = "class_I.width"
    CLASS_I_LENGTH = "class_I.length"
    CLASS_II_HEIGHT = "class_II.height"
    CLASS_II_WIDTH = "class_II.width"
    CLASS_II_LENGTH = "class_II.length"
    CLASS_II_MASS = "class_II.mass"
    DAYS_I = "days.I"
    DAYS_I_CROSS_PROVINCE = "days.I.cross_province"
    DAYS_II = "days.II"
    DAYS_II_CROSS_PROVINCE = "days.II.cross_province"
    DAYS_III = "days.III"
    DAYS_III_CROSS_PROVINCE = "days.III.cross_province"
    DAYS_FORWARDING = "days.cross_province.forwarding"
    DAYS_EN_ROUTE_II = "days.II.en_route_province"
    DAYS_EN_ROUTE_III = "days.III.en_route_province"
    FLATBED_MEAN_AXLE = "flatbed.mean_axle_load"
    FLATBED_MAX_AXLE = "flatbed.max_axle_load"
    HYDRAULIC_MEAN_AXLE_LINE = "hydraulic_modular.mean_axle_line_load"
    HYDRAULIC_MAX_AXLE_LINE = "hydraulic_modular.max_axle_line_load"


@dataclass(frozen=True)
class Limit:
    """One number of the regulation, what it bounds and the article that sets it.

    `axles`, `combination` and `single_drive_axle` say which vehicles a total-mass row of Art. 3 applies
    to; they are None on every other row (None on `single_drive_axle` means "either").
    """

    quantity: Quantity
    value: float
    article: Article
    applies_to: str
    axles: int | None = None
    combination: bool | None = None
    single_drive_axle: bool | None = None


_A3, _A15, _A17 = Article.OVER_LIMIT, Article.PERMIT_CLASS, Article.REFUSAL
_Q = Quantity

# The one table of the regulation's numbers. "超过" is strictly greater, "未超过" is less or equal.
LIMITS: Final = MappingProxyType(
    {
        # Art. 3: over limit when any one criterion is exceeded.
        Rule.HEIGHT: Limit(_Q.HEIGHT_M, 4.0, _A3, "从地面算起"),
        Rule.WIDTH: Limit(_Q.WIDTH_M, 2.55, _A3, ""),
        Rule.LENGTH: Limit(_Q.LENGTH_M, 18.1, _A3, ""),
        Rule.MASS_TRUCK_2: Limit(_Q.TOTAL_MASS_KG, 18_000, _A3, "二轴货车", axles=2, combination=False),
        Rule.MASS_TRUCK_3: Limit(_Q.TOTAL_MASS_KG, 25_000, _A3, "三轴货车", axles=3, combination=False),
        Rule.MASS_COMBINATION_3: Limit(
            _Q.TOTAL_MASS_KG, 27_000, _A3, "三轴汽车列车", axles=3, combination=True
        ),
        # The highest truck row: Art. 3 lists no rigid truck with five or more axles, and `mass_limit_kg`
        # applies this row to them (the conservative choice: the lowest limit a heavier truck could get).
        Rule.MASS_TRUCK_4: Limit(_Q.TOTAL_MASS_KG, 31_000, _A3, "四轴货车", axles=4, combination=False),
        Rule.MASS_COMBINATION_4: Limit(
            _Q.TOTAL_MASS_KG, 36_000, _A3, "四轴汽车列车", axles=4, combination=True
        ),
        Rule.MASS_COMBINATION_5: Limit(
            _Q.TOTAL_MASS_KG, 43_000, _A3, "五轴汽车列车", axles=5, combination=True
        ),
        Rule.MASS_COMBINATION_6: Limit(
            _Q.TOTAL_MASS_KG,
            49_000,
            _A3,
            "六轴及六轴以上汽车列车",
            axles=6,
            combination=True,
            single_drive_axle=False,
        ),
        Rule.MASS_COMBINATION_6_SINGLE_DRIVE: Limit(
            _Q.TOTAL_MASS_KG,
            46_000,
            _A3,
            "六轴及六轴以上汽车列车（牵引车驱动轴为单轴）",
            axles=6,
            combination=True,
            single_drive_axle=True,
        ),
        # Art. 15: class envelopes. Class I also needs the total mass within the Art. 3 row above.
        # Art. 11 uses the class II numbers as its threshold for 轮廓图 and 护送方案.
        Rule.CLASS_I_HEIGHT: Limit(_Q.HEIGHT_M, 4.2, _A15, "一类"),
        Rule.CLASS_I_WIDTH: Limit(_Q.WIDTH_M, 3.0, _A15, "一类"),
        Rule.CLASS_I_LENGTH: Limit(_Q.LENGTH_M, 20, _A15, "一类"),
        Rule.CLASS_II_HEIGHT: Limit(_Q.HEIGHT_M, 4.5, _A15, "二类"),
        Rule.CLASS_II_WIDTH: Limit(_Q.WIDTH_M, 3.75, _A15, "二类"),
        Rule.CLASS_II_LENGTH: Limit(_Q.LENGTH_M, 28, _A15, "二类"),
        Rule.CLASS_II_MASS: Limit(_Q.TOTAL_MASS_KG, 100_000, _A15, "二类"),
        # Art. 15: working days to decide, within the province / 跨省统一受理.
        Rule.DAYS_I: Limit(_Q.WORKING_DAYS, 2, _A15, "一类"),
        Rule.DAYS_I_CROSS_PROVINCE: Limit(_Q.WORKING_DAYS, 5, _A15, "一类跨省"),
        Rule.DAYS_II: Limit(_Q.WORKING_DAYS, 5, _A15, "二类"),
        Rule.DAYS_II_CROSS_PROVINCE: Limit(_Q.WORKING_DAYS, 10, _A15, "二类跨省"),
        Rule.DAYS_III: Limit(_Q.WORKING_DAYS, 15, _A15, "三类"),
        Rule.DAYS_III_CROSS_PROVINCE: Limit(_Q.WORKING_DAYS, 20, _A15, "三类跨省"),
        # Art. 16: the origin forwards the materials to every province on the route within 2 working
        # days; each en-route province decides a class II case within 5, a class III within 15 working
        # days of receiving them. Class I has no number of its own there: the whole 5 of Art. 15 bind.
        Rule.DAYS_FORWARDING: Limit(_Q.WORKING_DAYS, 2, Article.CROSS_PROVINCE, "起运地转送途经省份"),
        Rule.DAYS_EN_ROUTE_II: Limit(_Q.WORKING_DAYS, 5, Article.CROSS_PROVINCE, "二类途经省份"),
        Rule.DAYS_EN_ROUTE_III: Limit(_Q.WORKING_DAYS, 15, Article.CROSS_PROVINCE, "三类途经省份"),
        # Art. 17: refused (不予许可) above these axle loads.
        Rule.FLATBED_MEAN_AXLE: Limit(_Q.MEAN_AXLE_LOAD_KG, 10_000, _A17, "普通平板车单轴"),
        Rule.FLATBED_MAX_AXLE: Limit(_Q.MAX_AXLE_LOAD_KG, 13_000, _A17, "普通平板车单轴"),
        Rule.HYDRAULIC_MEAN_AXLE_LINE: Limit(_Q.MEAN_AXLE_LOAD_KG, 18_000, _A17, "液压平板车每轴线"),
        Rule.HYDRAULIC_MAX_AXLE_LINE: Limit(_Q.MAX_AXLE_LOAD_KG, 20_000, _A17, "液压平板车每轴线"),
    }
)
assert set(LIMITS) == set(Rule), "every rule has exactly one row"

_CLASS_ENVELOPE: Final = MappingProxyType(
    {
        PermitClass.I: (Rule.CLASS_I_HEIGHT, Rule.CLASS_I_WIDTH, Rule.CLASS_I_LENGTH),
        PermitClass.II: (Rule.CLASS_II_HEIGHT, Rule.CLASS_II_WIDTH, Rule.CLASS_II_LENGTH, Rule.CLASS_II_MASS),
    }
)
_WORKING_DAYS: Final = MappingProxyType(
    {
        (PermitClass.I, False): Rule.DAYS_I,
        (PermitClass.I, True): Rule.DAYS_I_CROSS_PROVINCE,
        (PermitClass.II, False): Rule.DAYS_II,
        (PermitClass.II, True): Rule.DAYS_II_CROSS_PROVINCE,
        (PermitClass.III, False): Rule.DAYS_III,
        (PermitClass.III, True): Rule.DAYS_III_CROSS_PROVINCE,
    }
)

# Plausibility bounds: NOT regulation. They only catch typos such as 40 m for 4.0 m or kg typed as t,
# so a mistyped application is rejected with the field named instead of being classed III.
MAX_PLAUSIBLE_HEIGHT_M: Final = 10.0
MAX_PLAUSIBLE_WIDTH_M: Final = 15.0
MAX_PLAUSIBLE_LENGTH_M: Final = 100.0
MAX_PLAUSIBLE_TOTAL_MASS_KG: Final = 2_000_000.0
MAX_PLAUSIBLE_AXLE_LOAD_KG: Final = 100_000.0
MAX_PLAUSIBLE_AXLE_LOADS: Final = 200
MIN_PLAUSIBLE_AXLES: Final = 2
MAX_PLAUSIBLE_AXLES: Final = 20
MAX_CARGO_NAME_CHARS: Final = 200
# Not a plausibility bound: an 汽车列车 is a tractor plus a trailer, so it has at least three axles, and
# Art. 3's combination rows start there.
MIN_COMBINATION_AXLES: Final = min(
    row.axles for row in LIMITS.values() if row.combination is True and row.axles is not None
)

# The operating-licence scope that admits an application (Art. 12): 大件运输 is the regulation's word,
# 大型物件运输 the name of the scope on 道路运输经营许可证.
OVERSIZE_LICENCE_SCOPES: Final = ("大件运输", "大型物件运输")
OUTLINE_DRAWING: Final = "车货外廓尺寸图"
ESCORT_PLAN: Final = "护送方案"


Trailer = Literal["flatbed", "hydraulic_modular", "other"]


class Vehicle(BaseModel):
    """The vehicle as declared: axle count, truck or 汽车列车 (combination), tractor drive axles, trailer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Declared before `axles` so that the axles validator can see it and the error names vehicle.axles.
    combination: StrictBool
    axles: StrictInt = Field(ge=MIN_PLAUSIBLE_AXLES, le=MAX_PLAUSIBLE_AXLES)
    single_drive_axle: StrictBool
    trailer: Trailer

    @field_validator("axles")
    @classmethod
    def _combination_has_enough_axles(cls, axles: int, info: ValidationInfo) -> int:
        if info.data.get("combination") is True and axles < MIN_COMBINATION_AXLES:
            raise ValueError(
                f"a combination (汽车列车) has at least {MIN_COMBINATION_AXLES} axles, got {axles}"
            )
        return axles


class Loaded(BaseModel):
    """Loaded overall dimensions and masses (载货时车货总体外廓尺寸、总质量、轴荷)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # strict: "4.2" or true in the JSON is an error naming the field, never a silent conversion.
    height_m: float = Field(strict=True, gt=0, le=MAX_PLAUSIBLE_HEIGHT_M, allow_inf_nan=False)
    width_m: float = Field(strict=True, gt=0, le=MAX_PLAUSIBLE_WIDTH_M, allow_inf_nan=False)
    length_m: float = Field(strict=True, gt=0, le=MAX_PLAUSIBLE_LENGTH_M, allow_inf_nan=False)
    total_mass_kg: float = Field(strict=True, gt=0, le=MAX_PLAUSIBLE_TOTAL_MASS_KG, allow_inf_nan=False)
    # The trailer's axles, or axle lines (一线两轴8轮胎) of a hydraulic modular trailer.
    axle_loads_kg: tuple[
        Annotated[float, Field(strict=True, gt=0, le=MAX_PLAUSIBLE_AXLE_LOAD_KG, allow_inf_nan=False)], ...
    ] = Field(max_length=MAX_PLAUSIBLE_AXLE_LOADS)


class Cargo(BaseModel):
    """The cargo; divisible cargo (可分载物品) is not accepted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[
        str,
        StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=MAX_CARGO_NAME_CHARS),
    ]
    divisible: StrictBool


class OversizeRequest(BaseModel):
    """An application for an oversize transport permit (超限运输车辆行驶公路许可申请)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vehicle: Vehicle
    loaded: Loaded
    cargo: Cargo
    cross_province: StrictBool

    @field_validator("loaded")
    @classmethod
    def _axle_loads_for_refusal_check(cls, loaded: Loaded, info: ValidationInfo) -> Loaded:
        # Art. 17 judges flatbed and hydraulic trailers by their axle loads: it cannot run without them.
        vehicle = info.data.get("vehicle")
        if isinstance(vehicle, Vehicle) and vehicle.trailer != "other" and not loaded.axle_loads_kg:
            raise ValueError(
                f"axle_loads_kg may be empty only when vehicle.trailer is 'other', not {vehicle.trailer!r}"
            )
        return loaded


class CarrierStanding(BaseModel):
    """What the registries say about the carrier (承运人): licence scopes and any bar on applying.

    `barred_until` is the day the bar (依法限制申请) ends: from that day on the carrier may apply again.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    licence_scopes: frozenset[str]
    barred_until: date | None = None


class Assessment(BaseModel):
    """The answer to an `OversizeRequest`; every reason names its article."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    over_limit: bool
    permit_class: PermitClass | None
    statutory_working_days: int | None
    extra_materials: list[str]
    escort_plan_required: bool
    not_accepted: list[str]
    refusals: list[str]
    reasons: list[str]


# --- formatting: one style for every number in a reason -----------------------------------------------


def _metres(value: float) -> str:
    # Centimetres as the regulation writes them (4.00, 2.55); millimetres only when they decide the case.
    text = f"{value:.3f}"
    return text[:-1] if text.endswith("0") else text


def _kilograms(value: float) -> str:
    return f"{value:,.1f}".removesuffix(".0")


def _show(quantity: Quantity, value: float) -> str:
    if quantity in (Quantity.HEIGHT_M, Quantity.WIDTH_M, Quantity.LENGTH_M):
        return f"{_metres(value)} m"
    if quantity is Quantity.WORKING_DAYS:
        return f"{value:.0f} 个工作日"
    return f"{_kilograms(value)} kg"


def _measured(req: OversizeRequest, quantity: Quantity) -> float:
    loaded = req.loaded
    match quantity:
        case Quantity.HEIGHT_M:
            return loaded.height_m
        case Quantity.WIDTH_M:
            return loaded.width_m
        case Quantity.LENGTH_M:
            return loaded.length_m
        case Quantity.TOTAL_MASS_KG:
            return loaded.total_mass_kg
        case Quantity.MEAN_AXLE_LOAD_KG:
            return math.fsum(loaded.axle_loads_kg) / len(loaded.axle_loads_kg)
        case Quantity.MAX_AXLE_LOAD_KG:
            return max(loaded.axle_loads_kg)
    raise ValueError(f"{quantity} is not measured on the vehicle")


def _exceeds(req: OversizeRequest, rule: Rule) -> bool:
    return _measured(req, LIMITS[rule].quantity) > LIMITS[rule].value


def _comparison(req: OversizeRequest, rule: Rule) -> str:
    """`车货总高度 4.30 m 超过 4.20 m` or `… 未超过 …`."""
    row = LIMITS[rule]
    verb = "超过" if _exceeds(req, rule) else "未超过"
    measured = _show(row.quantity, _measured(req, row.quantity))
    return f"{row.quantity} {measured} {verb} {_show(row.quantity, row.value)}"


# --- Art. 3: over limit ---------------------------------------------------------------------------------


_DIMENSION_RULES: Final = (Rule.HEIGHT, Rule.WIDTH, Rule.LENGTH)


def _mass_rule(vehicle: Vehicle) -> Rule:
    # The row for the vehicle's kind with the most axles not above the vehicle's count: a 7-axle
    # combination takes the "six and more" row, a 5-axle truck the 4-axle truck row.
    candidates = [
        rule
        for rule, row in LIMITS.items()
        if row.axles is not None
        and row.axles <= vehicle.axles
        and row.combination is vehicle.combination
        and row.single_drive_axle in (None, vehicle.single_drive_axle)
    ]
    # Unreachable for a validated Vehicle; kept so a change to the table fails loudly.
    if not candidates:
        raise ValueError(f"no Art. 3 mass row for {vehicle!r}")
    return max(candidates, key=lambda rule: LIMITS[rule].axles or 0)


def mass_limit_kg(vehicle: Vehicle) -> tuple[float, str]:
    """Art. 3 total-mass limit for the vehicle, and the reason naming its row and article."""
    row = LIMITS[_mass_rule(vehicle)]
    reason = f"{row.applies_to}限值"
    if not vehicle.combination and row.axles is not None and vehicle.axles > row.axles:
        reason = f"{Article.OVER_LIMIT}未列{vehicle.axles}轴货车，保守适用{row.applies_to}限值"
    return row.value, reason + cite(row.article)


def over_limit_reasons(req: OversizeRequest) -> list[str]:
    """Every Art. 3 criterion the loaded vehicle exceeds; empty when it is not over limit (未超限)."""
    reasons = [
        f"{_comparison(req, rule)}{cite(LIMITS[rule].article)}"
        for rule in _DIMENSION_RULES
        if _exceeds(req, rule)
    ]
    limit, why = mass_limit_kg(req.vehicle)
    if req.loaded.total_mass_kg > limit:
        mass = _show(Quantity.TOTAL_MASS_KG, req.loaded.total_mass_kg)
        reasons.append(f"{Quantity.TOTAL_MASS_KG} {mass} 超过 {_show(Quantity.TOTAL_MASS_KG, limit)}：{why}")
    return reasons


# --- Art. 15: permit class and deadline -----------------------------------------------------------------


def _fits(req: OversizeRequest, cls: PermitClass, axle_loads_in_class_i: bool = True) -> bool:
    within_envelope = not any(_exceeds(req, rule) for rule in _CLASS_ENVELOPE[cls])
    if cls is PermitClass.I:
        # Art. 15(一): total mass within Art. 3 and axle loads within Art. 17 as well.
        axles_within = not axle_loads_in_class_i or not refusal_reasons(req)
        return within_envelope and axles_within and req.loaded.total_mass_kg <= mass_limit_kg(req.vehicle)[0]
    return within_envelope


def permit_class(req: OversizeRequest, *, axle_loads_in_class_i: bool = True) -> PermitClass | None:
    """The Art. 15 class of an over-limit vehicle; None when it is not over limit (no permit needed).

    Class I also needs every axle load within Art. 17 (Art. 15(一)). `axle_loads_in_class_i=False`
    is the earlier reading, kept only for cases that started under it (workflow patch).
    """
    if not over_limit_reasons(req):
        return None
    if _fits(req, PermitClass.I, axle_loads_in_class_i):
        return PermitClass.I
    if _fits(req, PermitClass.II):
        return PermitClass.II
    return PermitClass.III


def _class_reasons(req: OversizeRequest, cls: PermitClass, axle_loads_in_class_i: bool = True) -> list[str]:
    """Why the vehicle is in `cls`: what it stays within, and what put it out of the class below."""
    art = cite(Article.PERMIT_CLASS)
    limit, _ = mass_limit_kg(req.vehicle)
    mass = f"{Quantity.TOTAL_MASS_KG} {_show(Quantity.TOTAL_MASS_KG, req.loaded.total_mass_kg)}"
    art3_limit = f"{Article.OVER_LIMIT}限值 {_show(Quantity.TOTAL_MASS_KG, limit)}"
    if cls is PermitClass.I:
        within = "、".join(_comparison(req, rule) for rule in _CLASS_ENVELOPE[PermitClass.I])
        axles = (
            f"，轴荷未超过{Article.REFUSAL}标准"
            if axle_loads_in_class_i and _REFUSAL_RULES.get(req.vehicle.trailer)
            else ""
        )
        return [f"{within}，且{mass} 未超过{art3_limit}{axles}：{cls.chinese}{art}"]
    below = PermitClass.I if cls is PermitClass.II else PermitClass.II
    reasons = [
        f"{_comparison(req, rule)}，不属{below.chinese}{art}"
        for rule in _CLASS_ENVELOPE[below]
        if _exceeds(req, rule)
    ]
    if below is PermitClass.I and req.loaded.total_mass_kg > limit:
        reasons.append(f"{mass} 超过{art3_limit}，不属{below.chinese}{art}")
    if below is PermitClass.I and axle_loads_in_class_i:
        reasons += [
            f"{LIMITS[rule].applies_to}{_comparison(req, rule)}{cite(LIMITS[rule].article)}，"
            f"不属{below.chinese}{art}"
            for rule in _REFUSAL_RULES.get(req.vehicle.trailer, ())
            if _exceeds(req, rule)
        ]
    if cls is PermitClass.II:
        within = "、".join(_comparison(req, rule) for rule in _CLASS_ENVELOPE[PermitClass.II])
        reasons.append(f"{within}：{cls.chinese}{art}")
    else:
        reasons.append(f"超出{below.chinese}范围：{cls.chinese}{art}")
    return reasons


def en_route_working_days(cls: PermitClass) -> int:
    """Working days an en-route province has to decide on the forwarded materials (Art. 16): 5 for
    class II, 15 for class III; class I, which Art. 16 gives no number, what Art. 15's cross-province 5
    leave after the origin's 2 days of forwarding."""
    if cls is PermitClass.II:
        return int(LIMITS[Rule.DAYS_EN_ROUTE_II].value)
    if cls is PermitClass.III:
        return int(LIMITS[Rule.DAYS_EN_ROUTE_III].value)
    return statutory_working_days(cls, True) - int(LIMITS[Rule.DAYS_FORWARDING].value)


def statutory_working_days(cls: PermitClass, cross_province: bool) -> int:
    """Working days the authority has to decide (Art. 15); cross-province means 统一受理 by the origin."""
    return int(LIMITS[_WORKING_DAYS[(cls, cross_province)]].value)


def extra_material_names(cls: PermitClass | None) -> list[str]:
    """The names of the materials beyond the common ones (Art. 11), as an applicant lists them."""
    return [OUTLINE_DRAWING, ESCORT_PLAN] if cls is PermitClass.III else []


def extra_materials(cls: PermitClass | None) -> list[str]:
    """Materials beyond the common ones (Art. 11): class III adds the outline drawing and escort plan."""
    return [f"{name}{cite(Article.MATERIALS)}" for name in extra_material_names(cls)]


def escort_plan_required(cls: PermitClass | None) -> bool:
    """Whether an escort plan (护送方案) must be submitted (Art. 11); not following it is Art. 44."""
    return cls is PermitClass.III


# --- Art. 12 and 17: not accepted, refused --------------------------------------------------------------


def not_accepted_reasons(
    req: OversizeRequest, carrier: CarrierStanding | None = None, on: date | None = None
) -> list[str]:
    """Why the application is not accepted (不予受理, Art. 12); empty when it may be accepted.

    The carrier checks run only when `carrier` is given, and then `on` (the day of the application) is
    required: the bar is still running (未满限制期限) when `barred_until` is after `on`.
    """
    art = cite(Article.NOT_ACCEPTED)
    reasons = []
    if req.cargo.divisible:
        reasons.append(f"货物「{req.cargo.name}」属于可分载物品{art}")
    if carrier is None:
        return reasons
    if not any(word in scope for scope in carrier.licence_scopes for word in OVERSIZE_LICENCE_SCOPES):
        reasons.append(f"道路运输经营许可证记载的经营范围不包括大件运输{art}")
    if carrier.barred_until is not None:
        if on is None:
            raise ValueError("`on` is required to judge a carrier's bar (barred_until is set)")
        if carrier.barred_until > on:
            reasons.append(f"承运人被依法限制申请，限制期限至 {carrier.barred_until.isoformat()} 未满{art}")
    return reasons


_REFUSAL_RULES: Final = MappingProxyType(
    {
        "flatbed": (Rule.FLATBED_MEAN_AXLE, Rule.FLATBED_MAX_AXLE),
        "hydraulic_modular": (Rule.HYDRAULIC_MEAN_AXLE_LINE, Rule.HYDRAULIC_MAX_AXLE_LINE),
    }
)


def refusal_reasons(req: OversizeRequest) -> list[str]:
    """Why the permit is refused (不予许可, Art. 17) on the trailer's axle loads; empty when it is not."""
    return [
        f"{LIMITS[rule].applies_to}{_comparison(req, rule)}{cite(LIMITS[rule].article)}"
        for rule in _REFUSAL_RULES.get(req.vehicle.trailer, ())
        if _exceeds(req, rule)
    ]


# --- the whole answer -----------------------------------------------------------------------------------


def assess(
    req: OversizeRequest,
    carrier: CarrierStanding | None = None,
    on: date | None = None,
    *,
    axle_loads_in_class_i: bool = True,
) -> Assessment:
    """Over limit, class, deadline, materials, and every reason not to accept or to refuse."""
    over = over_limit_reasons(req)
    cls = permit_class(req, axle_loads_in_class_i=axle_loads_in_class_i)
    if cls is None:
        reasons = [f"未超过{Article.OVER_LIMIT}任一限值，无需超限运输许可{cite(Article.OVER_LIMIT)}"]
    else:
        reasons = over + _class_reasons(req, cls, axle_loads_in_class_i)
    return Assessment(
        over_limit=bool(over),
        permit_class=cls,
        statutory_working_days=None if cls is None else statutory_working_days(cls, req.cross_province),
        extra_materials=extra_materials(cls),
        escort_plan_required=escort_plan_required(cls),
        not_accepted=not_accepted_reasons(req, carrier, on),
        refusals=refusal_reasons(req),
        reasons=reasons,
    )
