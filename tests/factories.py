"""Submissions for tests and the demo, against the sample registry (samples/registry.sample.json).

The agent's name, ID number and phone are fictitious; the ID number has a valid GB 11643 check digit
so that it passes validation, which is what a leak test needs to look for.
"""

from __future__ import annotations

import copy
from typing import Any

from domain.oversize_case import OversizeSubmission

AGENT = {"name": "测试经办人甲", "id_number": "11010519491231002X", "phone": "13800138000"}

CARRIER_A = "91430100MA4L00001J"  # grade A, 大件运输 in scope
CARRIER_B = "91430200MA4L00002T"  # grade B, hydraulic modular trailer
CARRIER_NO_SCOPE = "91430300MA4L000033"  # 普通货运 only

CLASS_I: dict[str, Any] = {
    "matter": "oversize-transport",
    "submission_id": "T-CLASS-I",
    "carrier_code": CARRIER_A,
    "agent": AGENT,
    "tractor_plate": "湘AD1234",
    "trailer_plate": "湘A1234挂",
    "driver_qualification": "430000198001010011",
    "request": {
        "vehicle": {"axles": 6, "combination": True, "single_drive_axle": False, "trailer": "flatbed"},
        "loaded": {
            "height_m": 4.1,
            "width_m": 2.9,
            "length_m": 19.0,
            "total_mass_kg": 48000,
            "axle_loads_kg": [9000, 9000, 9000],
        },
        "cargo": {"name": "变压器", "divisible": False},
        "cross_province": False,
    },
    "route": [{"road": "G4", "from": "长沙", "to": "株洲", "kind": "expressway", "province": "湖南"}],
    "travel_from": "2026-12-01",
    "travel_to": "2026-12-20",
    "materials": [],
}

# Class II: hydraulic modular trailer, a provincial trunk road off the main corridors (so the highway
# authority reviews by hand) and a city segment (so the urban-road authority and police take part).
CLASS_II_URBAN: dict[str, Any] = {
    **CLASS_I,
    "submission_id": "T-CLASS-II",
    "carrier_code": CARRIER_B,
    "tractor_plate": "湘BD2345",
    "trailer_plate": "湘B2345挂",
    "driver_qualification": "430000198502020022",
    "request": {
        "vehicle": {
            "axles": 11,
            "combination": True,
            "single_drive_axle": False,
            "trailer": "hydraulic_modular",
        },
        "loaded": {
            "height_m": 4.4,
            "width_m": 3.5,
            "length_m": 25.0,
            "total_mass_kg": 90000,
            "axle_loads_kg": [9000] * 8,
        },
        "cargo": {"name": "风电机舱", "divisible": False},
        "cross_province": False,
    },
    "route": [
        {"road": "G60", "from": "湘潭", "to": "株洲", "kind": "expressway", "province": "湖南"},
        {"road": "S207", "from": "株洲", "to": "醴陵", "kind": "trunk", "province": "湖南"},
        {"road": "建设路", "from": "醴陵北", "to": "醴陵工业园", "kind": "urban", "province": "湖南"},
    ],
}

CLASS_III: dict[str, Any] = {
    **CLASS_I,
    "submission_id": "T-CLASS-III",
    "tractor_plate": "湘AD5678",
    "trailer_plate": "湘A5678挂",
    "request": {
        "vehicle": {"axles": 7, "combination": True, "single_drive_axle": False, "trailer": "flatbed"},
        "loaded": {
            "height_m": 4.8,
            "width_m": 3.9,
            "length_m": 26.0,
            "total_mass_kg": 60000,
            "axle_loads_kg": [9500, 9500, 9500, 9500],
        },
        "cargo": {"name": "桥式起重机主梁", "divisible": False},
        "cross_province": False,
    },
    "materials": ["车货外廓尺寸图", "护送方案"],
}


def submission(base: dict[str, Any], **changes: Any) -> OversizeSubmission:
    """A validated submission from `base` with top-level fields replaced."""
    data = copy.deepcopy(base)
    data.update(changes)
    return OversizeSubmission.model_validate(data)


def with_request(base: dict[str, Any], **request_changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(base)
    for path, value in request_changes.items():
        target = data["request"]
        *parents, leaf = path.split("__")
        for part in parents:
            target = target[part]
        target[leaf] = value
    return data
