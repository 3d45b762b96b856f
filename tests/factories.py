"""Submissions for tests and the demo, against the sample registry (samples/registry.sample.json).

The agent's name, ID number and phone are fictitious; the ID number has a valid GB 11643 check digit
so that it passes validation, which is what a leak test needs to look for.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from cli.demo import dated_from
from domain.calendar import SHANGHAI
from domain.open_business_case import OpenBusinessSubmission
from domain.oversize_case import OversizeSubmission

SUBMISSIONS = Path(__file__).resolve().parents[1] / "samples" / "submissions"

CARRIER_A = "91430100MA4L00001J"  # grade A, 大件运输 in scope
CARRIER_B = "91430200MA4L00002T"  # grade B, hydraulic modular trailer
CARRIER_NO_SCOPE = "91430300MA4L000033"  # 普通货运 only


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((SUBMISSIONS / name).read_text()))


# Class I, on a main corridor, grade A carrier: approved by rules.
CLASS_I = {**sample("01-class-i-auto.json"), "submission_id": "T-CLASS-I"}
# Class II: hydraulic modular trailer, a provincial trunk road off the main corridors (so the highway
# authority reviews by hand) and a city segment (so the urban-road authority and police take part).
CLASS_II_URBAN = {**sample("02-class-ii-urban.json"), "submission_id": "T-CLASS-II"}
# Class III with outline drawing and escort plan.
CLASS_III = {**sample("03-class-iii.json"), "submission_id": "T-CLASS-III"}
# What a class III case opens at once (并联审批): the highway review, its on-site check (勘验) and the
# police countersign, sorted by id.
CLASS_III_TASKS = ["countersign:police", "inspection:highway", "review:highway"]
# And a class II case on a city route: the highway and urban-road reviews and the police countersign.
CLASS_II_URBAN_TASKS = ["countersign:police", "review:highway", "review:urban_road"]
AGENT = CLASS_I["agent"]
# A transport plan (运输计划) that qualifies CLASS_I for a multi-trip permit (多次往返).
MULTI_TRIP_PLAN: dict[str, Any] = {
    "hours": "每日22:00至次日6:00",
    "loading": "低平板半挂车，绑扎固定",
    "goods": "变压器",
    "escort": False,
    "same_loading_every_trip": True,
    "reinforcement_needed": False,
}


# 开办运输企业: three trucks over 4,500 kg and one light truck (湘AH1004, 4,495 kg), two drivers.
BUSINESS = {**sample("06-business-three-trucks.json"), "submission_id": "T-BUSINESS"}
BUSINESS_HEAVY = ["湘AH1001", "湘AH1002", "湘AH1003"]
BUSINESS_LIGHT = "湘AH1004"
# Its declared scope includes 道路危险货物运输.
DANGEROUS_GOODS = {**sample("08-business-dangerous-goods.json"), "submission_id": "T-DANGEROUS"}
BUSINESS_DEREGISTERED = "91430400MA4L004042"  # 营业执照 注销


def business(base: dict[str, Any], **changes: Any) -> OpenBusinessSubmission:
    """A validated 开办运输企业 submission from `base` with top-level fields replaced."""
    data = copy.deepcopy(base)
    data.update(changes)
    return OpenBusinessSubmission.model_validate(data)


def from_today(base: dict[str, Any]) -> dict[str, Any]:
    """The sample with its travel window moved to start today (Shanghai), its span kept: for tests on
    a server that runs at the wall-clock date, where the sample's own window (dated for the pinned
    time-skipping server, tests/conftest.py PINNED_START) may have begun already."""
    return dated_from(datetime.now(SHANGHAI).date(), base)


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
