"""The 大件运输一件事 case: what the portal submits, what registries say, and the case's own rules.

The permit rules of the regulation live in `domain.oversize`; this module adds what the "one thing"
bundle decides (湘交政务规〔2024〕4号, DOMAIN.md §1.6): which registry facts must agree with the
submission (免提交), when an application is accepted, sent back for 补正 or not accepted, which
departments must answer (one rule table), and when rules may approve for the highway authority
(智能审批). Pure: safe inside workflows.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from domain.case import (
    Agent,
    Material,
    Problem,
    ShortText,
    SubmissionId,
    TaskSpec,
    check_credit_code,
    check_plate,
)
from domain.licence import CheckpointPush, LicenceGrant, VehicleLicence
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
    en_route_working_days,
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


Trips = Literal["single", "multiple"]
"""单次通行 (one trip in the window) or 多次往返 (multi-trip: repeated trips in the window)."""


class TransportPlan(BaseModel):
    """运输计划 of a multi-trip permit (多次往返, DOMAIN.md §1.5): when, how loaded, what, escorted.

    The route is the submission's own (a multi-trip permit is for one fixed route). The declarations
    are what the conditions of a multi-trip permit are judged on (`multi_trip_problems`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    hours: ShortText  # 通行时段, e.g. 每日22:00至次日6:00
    loading: ShortText  # 装载方式
    goods: ShortText  # 物品: the same cargo on every trip
    escort: bool  # 是否护送
    same_loading_every_trip: bool  # 装载方式和物品每次相同
    reinforcement_needed: bool  # 是否需要对公路设施采取加固、改造措施


class CreditCommitment(BaseModel):
    """信用承诺 (信易批, seed plan items 7 and 10): the carrier commits in writing that its declaration is
    true and sends the loading photos or video; for a carrier of good credit it replaces class III's
    on-site check (现场勘验). A commitment found false bars the carrier (`false_commitment_bar_until`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signed: StrictBool  # 信用承诺书已签署
    loading_media: list[Material] = Field(min_length=1, max_length=20)  # 装载照片/视频, by name


class OversizeSubmission(BaseModel):
    """A portal submission for the 大件运输 permit (DOMAIN.md §1.3, materials per Art. 9)."""

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
    credit_commitment: CreditCommitment | None = None
    trips: Trips = "single"
    # Required for `trips="multiple"`; validated when absent too, so a missing plan is named.
    transport_plan: TransportPlan | None = Field(default=None, validate_default=True)

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

    @field_validator("transport_plan")
    @classmethod
    def _plan_for_multiple_trips(
        cls, plan: TransportPlan | None, info: ValidationInfo
    ) -> TransportPlan | None:
        trips = info.data.get("trips")
        if trips == "multiple" and plan is None:
            raise ValueError("a multi-trip permit (多次往返) needs its transport plan (运输计划)")
        if trips == "single" and plan is not None:
            raise ValueError('a transport plan is only for trips="multiple" (多次往返)')
        return plan

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


# --- the permit's validity (通行期限) --------------------------------------------------------------

DEFAULT_SINGLE_TRIP_VALIDITY_DAYS: Final = 30
"""Not found (DOMAIN.md): the longest window a single-trip permit (单次通行) is issued for, counted in
calendar days including both ends. A named default until the department gives its number."""
MULTI_TRIP_VALIDITY_MONTHS: Final = 6
"""A multi-trip permit (多次往返) is valid at most 6 months (第62号令第十条 as the MOT application
notice 公路超限运输许可申请须知 quotes it, DOMAIN.md §1.5)."""


def last_valid_day(sub: OversizeSubmission) -> date:
    """The last day the permit asked for may run to: 30 days for one trip, 6 months for many."""
    start = sub.travel_from
    if sub.trips == "multiple":
        return _months_later(start, MULTI_TRIP_VALIDITY_MONTHS) - timedelta(days=1)
    return start + timedelta(days=DEFAULT_SINGLE_TRIP_VALIDITY_DAYS - 1)


def _months_later(start: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has none (31 Aug → 28/29 Feb)."""
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def travel_window_problems(sub: OversizeSubmission, today: date) -> list[Problem]:
    """Why the window asked for cannot be a permit's validity (通行期限): it starts before today (a
    permit starts no earlier than its decision), ends before it starts, or runs longer than a
    single-trip or multi-trip permit may. Each names `travel_from` or `travel_to`."""
    problems = []
    if sub.travel_from < today:
        problems.append(
            Problem(
                field="travel_from",
                message=f"通行期限起始日 {sub.travel_from.isoformat()} 早于今天 {today.isoformat()}："
                "许可不能追溯生效",
            )
        )
    if sub.travel_to < sub.travel_from:
        problems.append(Problem(field="travel_to", message="通行期限截止日早于起始日"))
    elif sub.travel_to > (last := last_valid_day(sub)):
        longest = (
            f"多次往返通行证有效期不超过 {MULTI_TRIP_VALIDITY_MONTHS} 个月"
            if sub.trips == "multiple"
            else f"单次通行证有效期不超过 {DEFAULT_SINGLE_TRIP_VALIDITY_DAYS} 日"
        )
        problems.append(Problem(field="travel_to", message=f"{longest}：截止日最晚为 {last.isoformat()}"))
    return problems


def multi_trip_problems(sub: OversizeSubmission) -> list[Problem]:
    """Which condition of a multi-trip permit (多次往返) the request fails: the same cargo and loading
    on every trip, no reinforcement of the road needed (DOMAIN.md §1.5). The vehicle and the fixed
    route are the submission's own, one of each."""
    plan = sub.transport_plan
    if sub.trips != "multiple" or plan is None:
        return []
    problems = []
    if plan.goods != sub.request.cargo.name:
        problems.append(
            Problem(
                field="transport_plan.goods",
                message=f"运输计划的物品「{plan.goods}」与申报货物「{sub.request.cargo.name}」不一致：多次往返须同一物品",
            )
        )
    if not plan.same_loading_every_trip:
        problems.append(
            Problem(
                field="transport_plan.same_loading_every_trip",
                message="多次往返须每次装载方式和物品相同",
            )
        )
    if plan.reinforcement_needed:
        problems.append(
            Problem(
                field="transport_plan.reinforcement_needed",
                message="需要对公路设施采取加固、改造措施的，不能办理多次往返通行证，请按单次申请",
            )
        )
    return problems


def admission_problems(sub: OversizeSubmission, today: date) -> list[Problem]:
    """What the portal refuses on receipt (422), beyond the model: the window and the multi-trip
    conditions. The workflow asks the same again at acceptance (as 补正), where a case may have waited."""
    return travel_window_problems(sub, today) + multi_trip_problems(sub)


def transport_plan_lines(plan: TransportPlan) -> list[str]:
    """The transport plan as the permit prints it (运输计划)."""
    return [
        f"通行时段：{plan.hours}",
        f"装载方式：{plan.loading}",
        f"物品：{plan.goods}",
        f"护送：{'是' if plan.escort else '否'}",
    ]


def window_passed(sub: OversizeSubmission) -> str:
    """The refusal when the decision comes after the whole window asked for (`permit_validity` None)."""
    return f"申请的通行期限已于 {sub.travel_to.isoformat()} 届满，无可许可的通行期限，请重新申请"


def permit_validity(sub: OversizeSubmission, decided_on: date) -> tuple[date, date] | None:
    """The permit's validity as issued: the window asked for, but starting no earlier than the day of
    the decision; None when the whole window has passed by then (nothing left to permit)."""
    if sub.travel_to < decided_on:
        return None
    return max(sub.travel_from, decided_on), sub.travel_to


def permit_roads(sub: OversizeSubmission) -> list[str]:
    """The roads a permit is for, each once, in travel order: what two permits' routes share."""
    return list(dict.fromkeys(segment.road for segment in sub.route))


def permit_plates(sub: OversizeSubmission) -> list[str]:
    """The plates a permit is for: the tractor (or truck) and the trailer."""
    return [plate for plate in (sub.tractor_plate, sub.trailer_plate) if plate is not None]


def repeated_permit_reasons(sub: OversizeSubmission, existing: list[VehicleLicence]) -> list[str]:
    """同一车辆重复办证 (Hunan 2025 plan): a valid permit for the same tractor or trailer whose validity
    and route overlap the request's means this application is not accepted; the reason names that
    permit, and the way forward is a change (变更) of it. `existing` is the licence store's answer for
    the plates and window (validity overlap already); the route overlap is judged here, by road."""
    roads = set(permit_roads(sub))
    reasons = []
    for permit in existing:
        shared = [road for road in permit.roads if road in roads]
        if permit.plate in permit_plates(sub) and shared and permit.valid_to >= sub.travel_from:
            reasons.append(
                f"车辆 {permit.plate} 已持有效通行证 {permit.licence_id}（{permit.valid_from.isoformat()}至"
                f"{permit.valid_to.isoformat()}，途经 {'、'.join(shared)}），与本次申请的通行期限和路线重叠："
                "同一车辆不重复办证，请申请原通行证变更"
            )
    return reasons


# --- time limits (时限) ------------------------------------------------------------------------------

# Hunan's service guide for 大件运输一件事 (实施编码 1143000000612250052000118006000): promised
# 7 working days, split 受理 3 / 审核 3 / 办结 1 (DOMAIN.md §1.2).
HUNAN_PROMISED_WORKING_DAYS: Final = 7
HUNAN_STAGE_SPLIT: Final = {"acceptance": 3, "review": 3, "closing": 1}


def task_limit(spec: TaskSpec, limits: CaseLimits) -> int:
    """Working days for a task: another province's review has its own limit (Art. 16), the police
    countersign and the on-site check theirs (named defaults)."""
    if spec.kind == "countersign":
        return limits.countersign_task
    if spec.kind == "inspection":
        return min(DEFAULT_INSPECTION_WORKING_DAYS, limits.promised)
    return limits.province_task if spec.department.startswith("province:") else limits.review_task


def oversize_limits(cls: PermitClass, cross_province: bool, *, en_route_by_class: bool = True) -> CaseLimits:
    """A promise can only be shorter than the law: the promised limit never exceeds the statutory one
    (Art. 15, `domain.oversize.statutory_working_days`). An en-route province's review has the limit
    Art. 16 gives its class (`en_route_working_days`): it answers to its own law, not to Hunan's promise.
    `en_route_by_class=False` is the earlier 3-day default (cases started under it)."""
    statutory = statutory_working_days(cls, cross_province)
    promised = min(statutory, HUNAN_PROMISED_WORKING_DAYS)
    province_task = (
        min(en_route_working_days(cls), statutory)
        if en_route_by_class
        else min(DEFAULT_PROVINCE_REVIEW_WORKING_DAYS, promised)
    )
    return CaseLimits(
        statutory=statutory,
        promised=promised,
        acceptance_stage=min(HUNAN_STAGE_SPLIT["acceptance"], promised),
        review_task=min(HUNAN_STAGE_SPLIT["review"], promised),
        countersign_task=min(DEFAULT_COUNTERSIGN_WORKING_DAYS, promised),
        province_task=province_task,
        supplement_reply=DEFAULT_SUPPLEMENT_REPLY_WORKING_DAYS,
    )


def limit_days_of_any_class(submission: OversizeSubmission) -> set[int]:
    """Every limit, in working days, the case may run against whatever class it is assessed as: what
    the pre-fill counts before the class is known (a handful of numbers, one count)."""
    cross = submission.request.cross_province
    return {n for cls in PermitClass for n in oversize_limits(cls, cross).model_dump().values()}


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
    sub: OversizeSubmission,
    assessment: Assessment,
    problems: list[Problem],
    repeated: list[str] | None = None,
) -> AcceptanceDecision:
    """受理, 补正 or 不予受理 for a submission whose registry problems are known; `repeated` are the
    `repeated_permit_reasons` (a valid permit for the same vehicle and route: not accepted)."""
    if not_accepted := assessment.not_accepted + (repeated or []):
        return AcceptanceDecision(verdict=Verdict.NOT_ACCEPT, reasons=not_accepted, missing=[])
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


# --- 勘验 and the credit commitment that replaces it (信易批) ------------------------------------------

INSPECTION_TASK: Final = "inspection:highway"
DEFAULT_INSPECTION_WORKING_DAYS: Final = 3
"""Not found (DOMAIN.md): the working days for class III's on-site check (现场勘验). A named default."""
DEFAULT_COMMITMENT_CREDIT_GRADES: Final = ("A",)
"""Not found: which grades of the province's credit scale (A/B/C/D as the registry gives it) count as
the good credit a 信用承诺 needs. A named default: the best grade only."""
DEFAULT_FALSE_COMMITMENT_BAR_YEARS: Final = 3
"""A permit obtained on a commitment found false was obtained by deception: 行政许可法 Art. 79 bars the
applicant for three years from applying again for a licence that concerns public safety, which a
highway oversize permit does. A named setting, as the department may read Art. 78's one year instead."""


def commitment_problems(sub: OversizeSubmission, facts: RegistryFacts) -> list[str]:
    """Why the commitment cannot replace the on-site check; empty when it can (or none was given)."""
    commitment = sub.credit_commitment
    if commitment is None:
        return []
    problems = []
    if not commitment.signed:
        problems.append("信用承诺书未签署")
    if facts.credit_grade not in DEFAULT_COMMITMENT_CREDIT_GRADES or facts.serious_dishonesty:
        grade = facts.credit_grade or "无"
        problems.append(
            f"信用等级 {grade} 不在 {'/'.join(DEFAULT_COMMITMENT_CREDIT_GRADES)} 之列或存在严重失信"
        )
    return problems


def inspection(
    sub: OversizeSubmission, cls: PermitClass, facts: RegistryFacts
) -> tuple[TaskSpec | None, list[str]]:
    """Class III's on-site check (现场勘验) by the highway authority, as a task beside the reviews —
    or, for a carrier of good credit with a signed commitment and its loading photos/video, no task and
    the reason it was replaced. The reasons say why a commitment offered was not taken."""
    if cls is not PermitClass.III:
        return None, []
    if sub.credit_commitment is not None and not commitment_problems(sub, facts):
        media = "、".join(sub.credit_commitment.loading_media)
        return None, [
            f"信用承诺替代现场勘验：信用等级 {facts.credit_grade}，承诺书已签署，装载照片/视频：{media}"
        ]
    spec = TaskSpec(
        task_id=INSPECTION_TASK, department=Department.HIGHWAY, kind="inspection", title="现场勘验"
    )
    if sub.credit_commitment is None:
        return spec, []
    return spec, ["信用承诺未能替代现场勘验：" + "；".join(commitment_problems(sub, facts))]


def false_commitment_bar_until(found_on: date) -> date:
    """The day the bar on a carrier whose commitment was found false ends (依法限制申请, Art. 11(三))."""
    return _months_later(found_on, 12 * DEFAULT_FALSE_COMMITMENT_BAR_YEARS)


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
    travel_from: date | None = None  # a corrected window (通行期限), when 补正 named it
    travel_to: date | None = None

    # Checked here, as in the submission: a bad correction is refused at the portal, naming its field,
    # not first inside the workflow's update validator.
    @field_validator("tractor_plate", "trailer_plate")
    @classmethod
    def _plate(cls, value: str | None) -> str | None:
        return None if value is None else check_plate(value)

    def is_empty(self) -> bool:
        return not self.materials and all(
            value is None
            for value in (
                self.tractor_plate,
                self.trailer_plate,
                self.driver_qualification,
                self.request,
                self.travel_from,
                self.travel_to,
            )
        )


def apply_supplement(sub: OversizeSubmission, sup: OversizeSupplement) -> OversizeSubmission:
    """The submission as corrected; validated again, so a bad correction is rejected naming the field."""
    data = sub.model_dump(by_alias=True)
    data["materials"] = list(dict.fromkeys([*sub.materials, *sup.materials]))
    for name in ("tractor_plate", "trailer_plate", "driver_qualification", "travel_from", "travel_to"):
        value = getattr(sup, name)
        if value is not None:
            data[name] = value
    if sup.request is not None:
        data["request"] = sup.request.model_dump()
    return OversizeSubmission.model_validate(data)


# --- the permit (超限运输车辆通行证) ------------------------------------------------------------------

PERMIT_TYPE_NAME: Final = "超限运输车辆通行证"
TRIPS_NAMES: Final = {"single": "单次通行", "multiple": "多次往返"}
PERMIT_KEY: Final = "permit"  # one permit per case


def permit_grant(
    case_id: str,
    sub: OversizeSubmission,
    facts: RegistryFacts,
    permit_class: PermitClass,
    conditions: list[str],
    validity: tuple[date, date] | None = None,
) -> LicenceGrant:
    """The permit a 准予许可 grants: 持证主体 the carrier by its registered name, the loaded vehicle, the
    route (each segment also pushed to its enforcement point), the departments' conditions, single
    or multi-trip (with its transport plan). `validity` is `permit_validity`'s; by default the window
    asked for (cases decided before the validity rule)."""
    req = sub.request
    assert facts.carrier is not None  # acceptance requires the carrier's operating licence
    valid_from, valid_to = validity or (sub.travel_from, sub.travel_to)
    plan = sub.transport_plan
    return LicenceGrant(
        case_id=case_id,
        licence_key=PERMIT_KEY,
        matter=MATTER,
        type_name=PERMIT_TYPE_NAME,
        holder=facts.carrier.name,
        holder_code=sub.carrier_code,
        valid_from=valid_from,
        valid_to=valid_to,
        particulars={
            "permit_class": permit_class.value,
            "trips": TRIPS_NAMES[sub.trips],
            **({} if plan is None else {"transport_plan": transport_plan_lines(plan)}),
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
        vehicles=permit_plates(sub),
        roads=permit_roads(sub),
    )
