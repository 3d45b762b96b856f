"""Shapes of the oversize rules that hold for every plausible request, not just the table's rows."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.oversize import (
    MAX_PLAUSIBLE_AXLES,
    MAX_PLAUSIBLE_HEIGHT_M,
    MAX_PLAUSIBLE_LENGTH_M,
    MAX_PLAUSIBLE_TOTAL_MASS_KG,
    MAX_PLAUSIBLE_WIDTH_M,
    MIN_COMBINATION_AXLES,
    MIN_PLAUSIBLE_AXLES,
    OversizeRequest,
    PermitClass,
    assess,
    over_limit_reasons,
    permit_class,
)

# None < I < II < III: a bigger load never needs a smaller permit.
RANK = {None: 0, PermitClass.I: 1, PermitClass.II: 2, PermitClass.III: 3}
BOUNDS = {
    "height_m": MAX_PLAUSIBLE_HEIGHT_M,
    "width_m": MAX_PLAUSIBLE_WIDTH_M,
    "length_m": MAX_PLAUSIBLE_LENGTH_M,
    "total_mass_kg": MAX_PLAUSIBLE_TOTAL_MASS_KG,
}


def _positive_up_to(upper: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=0, max_value=upper, exclude_min=True, allow_nan=False)


@st.composite
def vehicles(draw: st.DrawFn) -> dict[str, Any]:
    combination = draw(st.booleans())
    lowest = MIN_COMBINATION_AXLES if combination else MIN_PLAUSIBLE_AXLES
    return {
        "axles": draw(st.integers(lowest, MAX_PLAUSIBLE_AXLES)),
        "combination": combination,
        "single_drive_axle": draw(st.booleans()),
        "trailer": "other",
    }


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    # Values near the regulation's limits are where the classes change: draw them often.
    near_limits = {
        "height_m": st.sampled_from([3.9, 4.0, 4.01, 4.2, 4.21, 4.5, 4.51]),
        "width_m": st.sampled_from([2.5, 2.55, 2.56, 3.0, 3.01, 3.75, 3.76]),
        "length_m": st.sampled_from([18.0, 18.1, 18.11, 20.0, 20.01, 28.0, 28.01]),
        "total_mass_kg": st.sampled_from([18_000, 31_000, 46_000, 49_000, 49_001, 100_000, 100_001]),
    }
    loaded = {
        field: draw(st.one_of(near_limits[field], _positive_up_to(upper))) for field, upper in BOUNDS.items()
    }
    return {
        "vehicle": draw(vehicles()),
        "loaded": {**loaded, "axle_loads_kg": []},
        "cargo": {"name": "设备", "divisible": False},
        "cross_province": draw(st.booleans()),
    }


def grown(data: dict[str, Any], field: str, fraction: float) -> dict[str, Any]:
    """`data` with one loaded value moved `fraction` of the way up to its plausibility bound."""
    value = data["loaded"][field]
    bigger = min(BOUNDS[field], value + (BOUNDS[field] - value) * fraction)
    return {**data, "loaded": {**data["loaded"], field: bigger}}


@given(requests(), st.sampled_from(sorted(BOUNDS)), st.floats(min_value=0, max_value=1))
def test_growing_a_dimension_or_the_mass_never_lowers_the_class(
    data: dict[str, Any], field: str, fraction: float
) -> None:
    before = permit_class(OversizeRequest.model_validate(data))
    after = permit_class(OversizeRequest.model_validate(grown(data, field, fraction)))
    assert RANK[after] >= RANK[before]


@given(requests())
def test_class_is_none_iff_not_over_limit(data: dict[str, Any]) -> None:
    r = OversizeRequest.model_validate(data)
    a = assess(r)
    assert (a.permit_class is None) is (not a.over_limit)
    assert a.over_limit is bool(over_limit_reasons(r))


@given(requests())
def test_assessment_is_consistent(data: dict[str, Any]) -> None:
    a = assess(OversizeRequest.model_validate(data))
    assert (a.statutory_working_days is None) is (a.permit_class is None)
    assert a.escort_plan_required is (a.permit_class is PermitClass.III)
    assert bool(a.extra_materials) is (a.permit_class is PermitClass.III)
    assert a.reasons and all("第62号令" in reason for reason in a.reasons)


@given(requests())
def test_cross_province_never_shortens_the_deadline(data: dict[str, Any]) -> None:
    within = assess(OversizeRequest.model_validate({**data, "cross_province": False}))
    across = assess(OversizeRequest.model_validate({**data, "cross_province": True}))
    assert within.permit_class is across.permit_class
    if within.statutory_working_days is not None:
        assert across.statutory_working_days is not None
        assert across.statutory_working_days > within.statutory_working_days
