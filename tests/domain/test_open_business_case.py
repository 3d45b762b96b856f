"""开办运输企业一件事 rules: acceptance, the reviews it opens, the decision per truck. Pure, no I/O."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from domain.case import Task
from domain.open_business_case import (
    LIGHT_TRUCK_MAX_TOTAL_MASS_KG,
    OPERATING_LICENCE_TASK,
    Acceptance,
    BusinessFacts,
    DriverFacts,
    OpenBusinessFacts,
    OpenBusinessSubmission,
    OpenBusinessSupplement,
    TruckFacts,
    acceptance,
    acceptance_after_supplement,
    apply_supplement,
    certificate_task_id,
    decide,
    is_light,
    open_business_limits,
    review_tasks,
    valid_until,
)
from tests.factories import BUSINESS, business

ON = date(2026, 9, 24)
CODE = BUSINESS["credit_code"]
PLATES = ["湘AH1001", "湘AH1002", "湘AH1003", "湘AH1004"]
DRIVERS = BUSINESS["drivers"]


def truck(
    plate: str, total: int | None = 18_000, owner: str = CODE, valid: date = date(2028, 1, 1)
) -> TruckFacts:
    return TruckFacts(
        plate=plate, vehicle_type="货车", axles=2, total_mass_kg=total, owner_code=owner, valid_until=valid
    )


def facts(**changes: object) -> OpenBusinessFacts:
    base = OpenBusinessFacts(
        business=BusinessFacts(
            credit_code=CODE,
            name="长沙示例新开货运有限公司",
            registered_address="长沙市",
            business_scope=["道路普通货物运输"],
            established=date(2026, 8, 18),
            status="存续",
            valid_until=None,
        ),
        trucks={p: truck(p, 4_495 if p == "湘AH1004" else 18_000) for p in PLATES},
        drivers={
            d: DriverFacts(
                qualification_number=d, categories=["经营性道路货物运输驾驶员"], valid_until=date(2030, 1, 1)
            )
            for d in DRIVERS
        },
    )
    return base.model_copy(update=changes)


def test_heavy_trucks_qualify_and_the_light_one_needs_no_certificate():
    result = acceptance(business(BUSINESS), facts(), ON)
    assert result.accepted and result.reasons == []
    assert result.qualifying == PLATES[:3] and result.light == ["湘AH1004"]
    specs = review_tasks(result)
    assert [s.task_id for s in specs] == [
        OPERATING_LICENCE_TASK,
        *(f"review:certificate:{p}" for p in PLATES[:3]),
    ]
    assert {(s.department, s.kind) for s in specs} == {("road_transport", "review")}


@pytest.mark.parametrize(
    ("total", "light"),
    [(LIGHT_TRUCK_MAX_TOTAL_MASS_KG, True), (LIGHT_TRUCK_MAX_TOTAL_MASS_KG + 1, False), (None, False)],
)
def test_the_light_truck_line_is_at_most_4500_kg(total: int | None, light: bool):
    assert is_light(truck("湘AH1001", total)) is light


def test_dangerous_goods_in_the_declared_scope_is_not_accepted_naming_it():
    sub = business(BUSINESS, scope=["道路普通货物运输", "道路危险货物运输"])
    result = acceptance(sub, facts(), ON)
    assert not result.accepted
    assert [p.field for p in result.problems] == ["scope"]
    assert "道路危险货物运输" in result.reasons[0] and "另行申请" in result.reasons[0]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"business": None}, "credit_code", "未在市场监管登记中找到营业执照"),
        ({"status": "吊销"}, "credit_code", "登记状态为吊销"),
        ({"valid_until": date(2026, 9, 1)}, "credit_code", "营业期限已届满"),
        ({"business_scope": ["软件开发"]}, "credit_code", "不含道路货物运输"),
    ],
)
def test_the_business_licence_must_allow_road_freight(changes: dict, field: str, words: str):
    if "business" in changes:
        data = facts(business=None)
    else:
        base = facts()
        assert base.business is not None
        data = facts(business=base.business.model_copy(update=changes))
    result = acceptance(business(BUSINESS), data, ON)
    assert not result.accepted
    assert [(p.field, words in p.message) for p in result.problems] == [(field, True)]


def test_every_registry_contradiction_is_named_by_field():
    data = facts(
        trucks={
            "湘AH1001": None,
            "湘AH1002": truck("湘AH1002", owner="91430300MA4L003034"),
            "湘AH1003": truck("湘AH1003", valid=date(2026, 1, 1)),
            "湘AH1004": truck("湘AH1004", 4_495),
        },
        drivers={
            DRIVERS[0]: None,
            DRIVERS[1]: DriverFacts(
                qualification_number=DRIVERS[1], categories=[], valid_until=date(2020, 1, 1)
            ),
        },
    )
    result = acceptance(business(BUSINESS), data, ON)
    assert not result.accepted
    assert [p.field for p in result.problems] == [
        "trucks.0",
        "trucks.1",
        "trucks.2",
        "drivers.0",
        "drivers.1",
        "drivers.1",
    ]


def test_only_light_trucks_need_no_licence_at_all():
    result = acceptance(business(BUSINESS, trucks=["湘AH1004"]), facts(), ON)
    assert not result.accepted
    assert result.light == ["湘AH1004"] and "无需办理道路运输经营许可" in result.reasons[0]


def answered(task_id: str, approve: bool, reason: str | None = None) -> Task:
    return Task(
        task_id=task_id,
        department="road_transport",
        kind="review",
        title=task_id,
        opened_at="2026-09-24T09:00:00+08:00",
        answered=True,
        approve=approve,
        reason=reason,
    )


ACCEPTED = Acceptance(accepted=True, reasons=[], problems=[], qualifying=PLATES[:3], light=["湘AH1004"])


def test_a_refused_certificate_is_listed_and_the_others_are_granted():
    tasks = {
        OPERATING_LICENCE_TASK: answered(OPERATING_LICENCE_TASK, True),
        **{
            certificate_task_id(p): answered(certificate_task_id(p), p != "湘AH1002", "车况不合格")
            for p in PLATES[:3]
        },
    }
    decision = decide(ACCEPTED, tasks)
    assert decision.approved
    assert decision.certificates == ["湘AH1001", "湘AH1003"]
    assert decision.refused == {"湘AH1002": "车况不合格"}
    assert decision.no_certificate_needed == ["湘AH1004"]
    assert decision.ledger_parts()["licences"] == {
        "operating-licence": "准予",
        "certificate:湘AH1001": "准予",
        "certificate:湘AH1003": "准予",
        "certificate:湘AH1002": "不予：车况不合格",
    }
    assert any("湘AH1002" in r for r in decision.reasons) and any("湘AH1004" in r for r in decision.reasons)


def test_a_refused_licence_or_no_granted_certificate_refuses_the_case():
    refused_licence = {OPERATING_LICENCE_TASK: answered(OPERATING_LICENCE_TASK, False, "场所不符")}
    decision = decide(ACCEPTED, refused_licence)
    assert not decision.approved and decision.certificates == []
    assert decision.reasons[0] == "道路运输经营许可不予许可：场所不符"
    none_granted = {
        OPERATING_LICENCE_TASK: answered(OPERATING_LICENCE_TASK, True),
        **{certificate_task_id(p): answered(certificate_task_id(p), False, "不合格") for p in PLATES[:3]},
    }
    decision = decide(ACCEPTED, none_granted)
    assert not decision.approved and "均未核准" in decision.reasons[0]


def test_limits_are_twenty_statutory_and_five_promised_with_reviews_inside():
    limits = open_business_limits()
    assert (limits.statutory, limits.promised) == (20, 5)  # 条例 Art. 24; the 2024 plan's promise
    assert limits.acceptance_stage <= limits.review_task <= limits.promised
    assert limits.certificate_task <= limits.promised
    earlier = open_business_limits(statutory_from_the_regulation=False)
    assert (earlier.statutory, earlier.promised) == (5, 5)  # cases started under the earlier reading


def typed(plate: str, vehicle_type: str, total: int | None) -> TruckFacts:
    return truck(plate, total).model_copy(update={"vehicle_type": vehicle_type})


@pytest.mark.parametrize(
    ("vehicle_type", "total", "scope", "light"),
    [
        ("轻型厢式货车", LIGHT_TRUCK_MAX_TOTAL_MASS_KG, ["道路普通货物运输"], True),  # at the line
        ("轻型厢式货车", LIGHT_TRUCK_MAX_TOTAL_MASS_KG - 5, ["道路普通货物运输"], True),  # inside
        ("轻型厢式货车", LIGHT_TRUCK_MAX_TOTAL_MASS_KG + 1, ["道路普通货物运输"], False),  # just over
        # 4,495 kg refrigerated van: not an ordinary freight vehicle, whatever the scope.
        ("轻型冷藏车", 4_495, ["道路普通货物运输", "货物专用运输（冷藏保鲜设备）"], False),
        ("轻型罐式货车", 4_495, ["道路普通货物运输"], False),
        # An ordinary light van of a business that does no ordinary freight does 专用运输.
        ("轻型厢式货车", 4_495, ["货物专用运输（集装箱）"], False),
        ("轻型厢式货车", None, ["道路普通货物运输"], False),
    ],
)
def test_the_exemption_is_for_ordinary_freight_vehicles_doing_ordinary_freight(
    vehicle_type: str, total: int | None, scope: list[str], light: bool
):
    assert is_light(typed("湘AH1004", vehicle_type, total), scope) is light


def test_a_light_refrigerated_van_needs_its_certificate():
    data = facts(trucks={**facts().trucks, "湘AH1004": typed("湘AH1004", "轻型冷藏车", 4_495)})
    sub = business(BUSINESS, scope=["道路普通货物运输", "货物专用运输（冷藏保鲜设备）"])
    result = acceptance(sub, data, ON)
    assert result.accepted and result.qualifying == PLATES and result.light == []
    earlier = acceptance(sub, data, ON, ordinary_freight_only=False)  # mass alone, as cases before
    assert earlier.light == ["湘AH1004"]


def test_what_the_applicant_can_fix_is_for_supplement_the_rest_is_not():
    expired = DriverFacts(
        qualification_number=DRIVERS[0], categories=["经营性道路货物运输驾驶员"], valid_until=date(2026, 1, 1)
    )
    fixable = acceptance(business(BUSINESS), facts(drivers={**facts().drivers, DRIVERS[0]: expired}), ON)
    assert not fixable.accepted and fixable.fixable
    assert [p.field for p in fixable.problems] == ["drivers.0"]
    both = acceptance(
        business(BUSINESS, scope=["道路普通货物运输", "道路危险货物运输"]),
        facts(drivers={**facts().drivers, DRIVERS[0]: expired}),
        ON,
    )
    assert not both.accepted and not both.fixable  # dangerous goods: no correction of this application
    assert [p.field for p in both.problems] == ["scope", "drivers.0"]
    assert acceptance_after_supplement(fixable)[0].startswith("补正后仍与登记数据不符")
    assert acceptance_after_supplement(both) == both.reasons


def test_a_supplement_replaces_the_trucks_or_drivers_and_is_validated():
    sub = business(BUSINESS)
    fixed = apply_supplement(sub, OpenBusinessSupplement(drivers=["430000199001010022"]))
    assert fixed.drivers == ["430000199001010022"] and fixed.trucks == sub.trucks
    assert OpenBusinessSupplement().is_empty()
    with pytest.raises(ValidationError, match="trucks"):
        OpenBusinessSupplement.model_validate({"trucks": ["湘AH1001", "湘AH1001"]})
    with pytest.raises(ValidationError, match="trucks"):
        OpenBusinessSupplement.model_validate({"trucks": ["not a plate"]})


def test_validity_years_and_leap_days():
    assert valid_until(date(2026, 9, 24), 4) == date(2030, 9, 23)
    assert valid_until(date(2028, 2, 29), 1) == date(2029, 2, 27)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"trucks": ["湘AH1001", "湘A·H1001"]}, "trucks"),
        ({"trucks": ["AH1001"]}, "trucks.0"),
        ({"scope": []}, "scope"),
        ({"scope": ["道路旅客运输"]}, "scope.0"),
        ({"credit_code": CODE[:17] + "0"}, "credit_code"),
        ({"managers": []}, "managers"),
        ({"safety_rules": []}, "safety_rules"),
        ({"drivers": [DRIVERS[0], DRIVERS[0]]}, "drivers"),
    ],
)
def test_the_schema_rejects_bad_submissions(changes: dict, field: str):
    with pytest.raises(ValidationError) as info:
        business(BUSINESS, **changes)
    assert field in {".".join(str(p) for p in e["loc"]) for e in info.value.errors()}


def test_the_summary_and_region_hold_no_personal_data():
    sub = OpenBusinessSubmission.model_validate(BUSINESS)
    assert sub.region == "430100"
    summary = sub.summary()
    for personal in (sub.agent.name, sub.agent.id_number, sub.agent.phone, *(m.name for m in sub.managers)):
        assert personal not in summary
