"""The 大件运输一件事 case: what the portal submits, what registries say, and the case's own rules.

The permit rules of the regulation live in `domain.oversize`; this module adds what the "one thing"
bundle decides (湘交政务规〔2024〕4号, DOMAIN.md §1.6): which registry facts must agree with the
submission (免提交), when an application is accepted, sent back for 补正 or not accepted, which
departments must answer (one rule table), and when rules may approve for the highway authority
(智能审批). Pure: safe inside workflows.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from domain.case import (
    Agent,
    Material,
    Problem,
    SubmissionId,
    TaskSpec,
    check_credit_code,
    check_plate,
)
from domain.licence import CheckpointPush, LicenceGrant
from domain.limits import (
    DEFAULT_COUNTERSIGN_WORKING_DAYS,
    DEFAULT_PROVINCE_REVIEW_WORKING_DAYS,
    DEFAULT_SUPPLEMENT_REPLY_WORKING_DAYS,
    CaseLimits,
)
from domain.oversize import (
    OVERSIZE_LICENCE_SCOPES,
    Article,
    Assessment,
    CarrierStanding,
    OversizeRequest,
    PermitClass,
    cite,
    extra_material_names,
    statutory_working_days,
)

MATTER: Final = "oversize-transport"
MATTER_NAME: Final = "大件运输一件事"

Place = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Road = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


class RouteSegment(BaseModel):
    """One segment of the declared route, in travel order."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    road: Road
    from_: Place = Field(alias="from")
    to: Place
    kind: Literal["expressway", "trunk", "urban"]
    province: Place


class OversizeSubmission(BaseModel):
    """A portal submission for the 大件运输 permit (DOMAIN.md §1.3, materials per Art. 11)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    matter: Literal["oversize-transport"] = MATTER
    submission_id: SubmissionId
    carrier_code: str  # 统一社会信用代码 of the carrier (承运人)
    agent: Agent
    tractor_plate: str  # the vehicle's plate (牵引车/货车号牌)
    trailer_plate: str | None = None
    driver_qualification: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    request: OversizeRequest
    route: list[RouteSegment] = Field(min_length=1, max_length=50)
    travel_from: date
    travel_to: date
    materials: list[Material] = Field(default_factory=list, max_length=30)

    @field_validator("carrier_code")
    @classmethod
    def _carrier_code(cls, value: str) -> str:
        return check_credit_code(value)

    @field_validator("tractor_plate", "trailer_plate")
    @classmethod
    def _plate(cls, value: str | None) -> str | None:
        return None if value is None else check_plate(value)

    @model_validator(mode="after")
    def _travel_window(self) -> OversizeSubmission:
        if self.travel_to < self.travel_from:
            raise ValueError("travel_to is before travel_from")
        return self

    @property
    def origin_province(self) -> str:
        return self.route[0].province

    @property
    def region(self) -> str:
        """Where the case is indexed (Region search attribute): the origin province."""
        return self.origin_province

    @property
    def provinces(self) -> list[str]:
        """Provinces on the route, in travel order, each once."""
        return list(dict.fromkeys(segment.province for segment in self.route))

    @property
    def has_urban_segment(self) -> bool:
        return any(segment.kind == "urban" for segment in self.route)

    def summary(self) -> str:
        """A UI summary without personal data: matter · class · origin → destination."""
        return f"{self.route[0].from_} → {self.route[-1].to}"


# --- registry facts (数据共享: what the platform already knows, so the applicant need not upload) ----


class VehicleFacts(BaseModel):
    """行驶证 data of one vehicle, with its 道路运输证 where the platform has one."""

    plate: str
    axles: int
    vehicle_type: str
    owner_code: str | None
    certificate_valid_until: date | None  # 道路运输证


class CarrierFacts(BaseModel):
    """The carrier's 道路运输经营许可证 and standing."""

    credit_code: str
    name: str
    licence_scopes: list[str]
    licence_valid_until: date
    barred_until: date | None


class RegistryFacts(BaseModel):
    """Everything pre-fill found; None where the registry has no record."""

    tractor: VehicleFacts | None
    trailer: VehicleFacts | None
    carrier: CarrierFacts | None
    driver_valid_until: date | None
    credit_grade: str | None  # A/B/C/D
    serious_dishonesty: bool
    main_corridors: list[str]  # 大件主通道 (roads on which no bridge assessment is needed)


def carrier_standing(facts: RegistryFacts) -> CarrierStanding | None:
    if facts.carrier is None:
        return None
    return CarrierStanding(
        licence_scopes=frozenset(facts.carrier.licence_scopes), barred_until=facts.carrier.barred_until
    )


def registry_problems(sub: OversizeSubmission, facts: RegistryFacts, on: date) -> list[Problem]:
    """What the registries lack or contradict; each becomes a 补正 item naming the field."""
    problems: list[Problem] = []
    if facts.carrier is None:
        problems.append(Problem(field="carrier_code", message="承运人未在道路运输经营许可登记中找到"))
    elif facts.carrier.licence_valid_until < on:
        problems.append(Problem(field="carrier_code", message="道路运输经营许可证已过有效期"))
    problems += _vehicle_problems("tractor_plate", sub.tractor_plate, facts.tractor, on)
    if sub.trailer_plate is not None:
        problems += _vehicle_problems("trailer_plate", sub.trailer_plate, facts.trailer, on)
    declared_axles = sum(v.axles for v in (facts.tractor, facts.trailer) if v is not None)
    all_found = facts.tractor is not None and (sub.trailer_plate is None or facts.trailer is not None)
    if all_found and declared_axles != sub.request.vehicle.axles:
        problems.append(
            Problem(
                field="request.vehicle.axles",
                message=f"申报轴数 {sub.request.vehicle.axles} 与行驶证记载的 {declared_axles} 轴不符",
            )
        )
    if sub.driver_qualification is not None and (
        facts.driver_valid_until is None or facts.driver_valid_until < on
    ):
        problems.append(Problem(field="driver_qualification", message="驾驶员从业资格证未找到或已过期"))
    if sub.request.cross_province != (len(sub.provinces) > 1):
        problems.append(Problem(field="request.cross_province", message="是否跨省与申报路线经过的省份不一致"))
    return problems


def _vehicle_problems(field: str, plate: str, facts: VehicleFacts | None, on: date) -> list[Problem]:
    if facts is None:
        return [Problem(field=field, message=f"车辆 {plate} 未在行驶证登记中找到")]
    if facts.certificate_valid_until is None or facts.certificate_valid_until < on:
        return [Problem(field=field, message=f"车辆 {plate} 无有效道路运输证")]
    return []


# --- time limits (时限) ------------------------------------------------------------------------------

# Hunan's service guide for 大件运输一件事 (实施编码 1143000000612250052000118006000): promised
# 7 working days, split 受理 3 / 审核 3 / 办结 1 (DOMAIN.md §1.2).
HUNAN_PROMISED_WORKING_DAYS: Final = 7
HUNAN_STAGE_SPLIT: Final = {"acceptance": 3, "review": 3, "closing": 1}


def task_limit(spec: TaskSpec, limits: CaseLimits) -> int:
    """Working days for a review task: another province's review has its own limit (Art. 16)."""
    return limits.province_task if spec.department.startswith("province:") else limits.review_task


def oversize_limits(cls: PermitClass, cross_province: bool) -> CaseLimits:
    """A promise can only be shorter than the law: the promised limit never exceeds the statutory one
    (Art. 15, `domain.oversize.statutory_working_days`)."""
    statutory = statutory_working_days(cls, cross_province)
    promised = min(statutory, HUNAN_PROMISED_WORKING_DAYS)
    return CaseLimits(
        statutory=statutory,
        promised=promised,
        acceptance_stage=min(HUNAN_STAGE_SPLIT["acceptance"], promised),
        review_task=min(HUNAN_STAGE_SPLIT["review"], promised),
        countersign_task=min(DEFAULT_COUNTERSIGN_WORKING_DAYS, promised),
        province_task=min(DEFAULT_PROVINCE_REVIEW_WORKING_DAYS, promised),
        supplement_reply=DEFAULT_SUPPLEMENT_REPLY_WORKING_DAYS,
    )


# --- acceptance (受理) --------------------------------------------------------------------------------


class Verdict(StrEnum):
    ACCEPT = "accept"  # 受理
    SUPPLEMENT = "supplement"  # 补正: name every missing item once (行政许可法 Art. 32)
    NOT_ACCEPT = "not_accept"  # 不予受理


class AcceptanceDecision(BaseModel):
    verdict: Verdict
    reasons: list[str]
    missing: list[Problem]


SUPPLEMENT_ROUNDS: Final = 1
"""补正 is asked once: what is missing is named once (行政许可法 Art. 32); a submission still incomplete
after the applicant's reply is not accepted."""


def acceptance_after_supplement(decision: AcceptanceDecision) -> list[str]:
    """The 不予受理 reasons for a submission still not acceptable after its one 补正 round."""
    if decision.verdict is Verdict.NOT_ACCEPT:
        return decision.reasons
    return ["补正后材料仍不齐全或与登记数据不符：" + "；".join(decision.reasons)]


def acceptance(
    sub: OversizeSubmission, assessment: Assessment, problems: list[Problem]
) -> AcceptanceDecision:
    """受理, 补正 or 不予受理 for a submission whose registry problems are known."""
    if assessment.not_accepted:
        return AcceptanceDecision(verdict=Verdict.NOT_ACCEPT, reasons=assessment.not_accepted, missing=[])
    if not assessment.over_limit:
        return AcceptanceDecision(verdict=Verdict.NOT_ACCEPT, reasons=assessment.reasons, missing=[])
    missing = list(problems) + [
        Problem(field="materials", message=f"缺少申请材料：{name}{cite(Article.MATERIALS)}")
        for name in extra_material_names(assessment.permit_class)
        if name not in sub.materials
    ]
    if missing:
        return AcceptanceDecision(
            verdict=Verdict.SUPPLEMENT, reasons=[p.message for p in missing], missing=missing
        )
    return AcceptanceDecision(verdict=Verdict.ACCEPT, reasons=assessment.reasons, missing=[])


# --- which departments answer (部门流转, one rule table) ---------------------------------------------


class Department(StrEnum):
    HIGHWAY = "highway"  # 公路管理机构 (交通运输): the 超限运输 permit itself
    URBAN_ROAD = "urban_road"  # 城市道路管理部门 (住建): 《城市道路管理条例》Art. 28
    POLICE = "police"  # 公安交管: countersign with route, time windows, escort


def province_department(province: str) -> str:
    """The highway authority of another province on a cross-province route (Art. 16)."""
    return f"province:{province}"


# The rule table: department, kind, when it takes part and why. Defaults from DOMAIN.md §1.6
# (湘交政务规〔2024〕4号: 交通 and 住建 decide in parallel, 公安交管 countersigns). The police countersign
# is asked for class II and III, and for any route through a city; class I on highways only is pushed
# to police checkpoints with the licence instead, which is what "no repeated visits" asks for.
DEPARTMENT_RULES: Final = (
    (Department.HIGHWAY, "review", "always", "公路超限运输许可（第62号令）"),
    (
        Department.URBAN_ROAD,
        "review",
        "route has an urban segment",
        "城市道路占用/通行（《城市道路管理条例》第二十八条）",
    ),
    (
        "province:*",
        "review",
        "cross-province route: every other province on it",
        "途经省份意见（第62号令第十六条）",
    ),
    (
        Department.POLICE,
        "countersign",
        "class II or III, or an urban segment",
        "公安交管会签：通行时段、护送",
    ),
)


def review_tasks(sub: OversizeSubmission) -> list[TaskSpec]:
    """The parallel reviews (并联审核) this case needs, per `DEPARTMENT_RULES`."""
    tasks = [
        TaskSpec(
            task_id="review:highway",
            department=Department.HIGHWAY,
            kind="review",
            title="公路超限运输许可审核",
        )
    ]
    if sub.has_urban_segment:
        tasks.append(
            TaskSpec(
                task_id="review:urban_road",
                department=Department.URBAN_ROAD,
                kind="review",
                title="城市道路通行审核",
            )
        )
    for province in sub.provinces[1:]:
        tasks.append(
            TaskSpec(
                task_id=f"review:{province_department(province)}",
                department=province_department(province),
                kind="review",
                title=f"途经省份（{province}）审核",
            )
        )
    return tasks


def countersign_task(sub: OversizeSubmission, cls: PermitClass) -> TaskSpec | None:
    """The police countersign (会签), when `DEPARTMENT_RULES` asks for it."""
    if cls is PermitClass.I and not sub.has_urban_segment:
        return None
    return TaskSpec(
        task_id="countersign:police", department=Department.POLICE, kind="countersign", title="公安交管会签"
    )


# --- 智能审批: rules answer for the highway authority -----------------------------------------------

AUTO_APPROVAL_CLASSES: Final = (PermitClass.I, PermitClass.II)  # Hunan 2025 plan: class I and II
AUTO_APPROVAL_GRADES: Final = ("A", "B")


def auto_approval(
    sub: OversizeSubmission, assessment: Assessment, facts: RegistryFacts, problems: list[Problem]
) -> tuple[bool, list[str]]:
    """Whether rules may approve the highway review, and the reasons either way (recorded on the case)."""
    failed: list[str] = []
    if assessment.permit_class not in AUTO_APPROVAL_CLASSES:
        failed.append(f"{assessment.permit_class}类大件需人工审核")
    if problems:
        failed.append("登记数据与申报不一致")
    if facts.carrier is None or not any(
        word in scope for scope in facts.carrier.licence_scopes for word in OVERSIZE_LICENCE_SCOPES
    ):
        failed.append("经营范围未核验为大件运输")
    if facts.credit_grade not in AUTO_APPROVAL_GRADES or facts.serious_dishonesty:
        failed.append(f"信用等级 {facts.credit_grade or '无'} 不在 A/B 之列或存在严重失信")
    if assessment.refusals:
        failed.append("轴荷超过不予许可标准")
    off_corridor = [s.road for s in sub.route if s.kind != "urban" and s.road not in facts.main_corridors]
    if off_corridor:
        failed.append(f"路线 {'、'.join(dict.fromkeys(off_corridor))} 不在大件主通道上，需桥梁荷载评估")
    if failed:
        return False, failed
    return True, [
        f"智能审批：{assessment.permit_class}类大件，登记数据一致，经营范围含大件运输，"
        f"信用等级 {facts.credit_grade}，轴荷未超标，全程在大件主通道上",
    ]


# --- 补正: what the applicant sends back --------------------------------------------------------------


class OversizeSupplement(BaseModel):
    """The applicant's answer to a 补正 notice: added materials and corrected fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    materials: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=30
    )
    tractor_plate: str | None = None
    trailer_plate: str | None = None
    driver_qualification: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    request: OversizeRequest | None = None

    # Checked here, as in the submission: a bad correction is refused at the portal, naming its field,
    # not first inside the workflow's update validator.
    @field_validator("tractor_plate", "trailer_plate")
    @classmethod
    def _plate(cls, value: str | None) -> str | None:
        return None if value is None else check_plate(value)

    def is_empty(self) -> bool:
        return not self.materials and all(
            value is None
            for value in (self.tractor_plate, self.trailer_plate, self.driver_qualification, self.request)
        )


def apply_supplement(sub: OversizeSubmission, sup: OversizeSupplement) -> OversizeSubmission:
    """The submission as corrected; validated again, so a bad correction is rejected naming the field."""
    data = sub.model_dump(by_alias=True)
    data["materials"] = list(dict.fromkeys([*sub.materials, *sup.materials]))
    for name in ("tractor_plate", "trailer_plate", "driver_qualification"):
        value = getattr(sup, name)
        if value is not None:
            data[name] = value
    if sup.request is not None:
        data["request"] = sup.request.model_dump()
    return OversizeSubmission.model_validate(data)


# --- the permit (超限运输车辆通行证) ------------------------------------------------------------------

PERMIT_TYPE_NAME: Final = "超限运输车辆通行证"
PERMIT_KEY: Final = "permit"  # one permit per case


def permit_grant(
    case_id: str,
    sub: OversizeSubmission,
    facts: RegistryFacts,
    permit_class: PermitClass,
    conditions: list[str],
) -> LicenceGrant:
    """The permit a 准予许可 grants: 持证主体 the carrier by its registered name, the loaded vehicle, the
    route (each segment also pushed to its enforcement point), the departments' conditions."""
    req = sub.request
    assert facts.carrier is not None  # acceptance requires the carrier's operating licence
    return LicenceGrant(
        case_id=case_id,
        licence_key=PERMIT_KEY,
        matter=MATTER,
        type_name=PERMIT_TYPE_NAME,
        holder=facts.carrier.name,
        holder_code=sub.carrier_code,
        valid_from=sub.travel_from,
        valid_to=sub.travel_to,
        particulars={
            "permit_class": permit_class.value,
            "tractor_plate": sub.tractor_plate,
            "trailer_plate": sub.trailer_plate or "",
            "cargo": req.cargo.name,
            "dimensions": f"{req.loaded.length_m}×{req.loaded.width_m}×{req.loaded.height_m} m",
            "total_mass_kg": f"{req.loaded.total_mass_kg:g}",
            "axles": str(req.vehicle.axles),
            "route": [f"{s.road} {s.from_}—{s.to}（{s.province}）" for s in sub.route],
            "conditions": list(conditions),
        },
        checkpoints=[
            CheckpointPush(road=s.road, from_=s.from_, to=s.to, province=s.province) for s in sub.route
        ],
        notice={"case_id": case_id, "outcome": "approved"},
    )
