"""开办运输企业一件事: what the portal submits, what the registries say, and the matter's own rules.

交通运输部 and 市场监管总局, plan of 2024-04-30 (DOMAIN.md §2): the road freight operating licence
(道路运输经营许可证 — not dangerous goods, not vehicles of at most 4,500 kg) together with the 道路运输证
of each ordinary truck; one submission, one integrated completion, 5 working days. The business
licence (营业执照) is verified by query, not uploaded (免提交); so are each truck's 行驶证 and each
driver's 从业资格证. The premises, the managers and the safety rules are declared.

The rules here: acceptance (受理 or 不予受理, naming every reason), which reviews the case needs (the
licence, and one per truck that needs a certificate, all at once), and the decision from the answers
(a refused certificate does not block the others; a refused licence refuses the case). What the
applicant can fix — a driver's 从业资格证 expired or of the wrong category, a truck not theirs or not
found — is named once for 补正 (行政许可法 Art. 32); what no correction of this application can fix
(dangerous goods in the scope, the 营业执照 itself, no truck needing a licence) is 不予受理 at once.
Pure: safe inside workflows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from domain.case import (
    Agent,
    Material,
    Name,
    Problem,
    ShortText,
    SubmissionId,
    Task,
    TaskSpec,
    check_credit_code,
    check_plate,
)
from domain.licence import LicenceGrant
from domain.limits import DEFAULT_CERTIFICATE_REVIEW_WORKING_DAYS, CaseLimits
from domain.personal_data import mask_text

MATTER: Final = "open-transport-business"
MATTER_NAME: Final = "开办运输企业一件事"
# 道路运输管理机构 (the road-transport authority under the 交通运输主管部门): accepts, reviews the
# licence and every certificate, decides. A department of its own, not the highway authority.
DEPARTMENT: Final = "road_transport"
EARLIER_DEPARTMENT: Final = "highway"
"""Cases started before the road-transport authority had its own department answer as `highway`."""

# DOMAIN.md §2 (《道路运输条例》Art. 24, last paragraph): "总质量4500千克及以下普通货运车辆从事普通货运"
# needs neither the licence nor a certificate — an ordinary freight vehicle doing ordinary freight only.
LIGHT_TRUCK_MAX_TOTAL_MASS_KG: Final = 4_500
ORDINARY_FREIGHT_SCOPE: Final = "道路普通货物运输"
# 行驶证 vehicle types that are no 普通货运车辆: a light refrigerated van does 专用运输 (冷藏保鲜) and
# needs its 道路运输证 like any other. The words as 行驶证 vehicle types (GA 802) spell them.
SPECIAL_VEHICLE_TYPE_WORDS: Final = ("冷藏", "保温", "罐式", "集装箱", "危险", "专用")
# The business licence must list road freight among its business (先照后证); any of these words does.
FREIGHT_SCOPE_WORD: Final = "货物运输"
# 登记状态 in which an enterprise may operate; 吊销, 注销, 迁出, 撤销, 停业 may not.
ACTIVE_BUSINESS_STATUSES: Final = ("存续", "在业")
FREIGHT_DRIVER_CATEGORY: Final = "经营性道路货物运输驾驶员"
# Not found (DOMAIN.md): how long the licence and the certificates are issued for. Settings.
DEFAULT_OPERATING_LICENCE_VALID_YEARS: Final = 4
DEFAULT_CERTIFICATE_VALID_YEARS: Final = 4

OPERATING_LICENCE_TASK: Final = "review:operating_licence"
OPERATING_LICENCE_KEY: Final = "operating-licence"
"""The licence key (one licence per key and case) of the 道路运输经营许可证; each 道路运输证 has
`certificate_key(plate)`."""


def certificate_key(plate: str) -> str:
    return f"certificate:{plate}"


CERTIFICATE_TASK_PREFIX: Final = "review:certificate:"

FreightScope = Literal[
    "道路普通货物运输",
    "货物专用运输（集装箱）",
    "货物专用运输（冷藏保鲜设备）",
    "货物专用运输（罐式容器）",
    "大型物件运输",
    "道路危险货物运输",
]
"""经营范围 an applicant may declare. Dangerous goods is a separate licence (道路危险货物运输许可):
declaring it makes the application not accepted here, with the reason."""
DANGEROUS_GOODS_SCOPES: Final[tuple[FreightScope, ...]] = ("道路危险货物运输",)

Qualification = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Plate = Annotated[str, AfterValidator(check_plate)]  # normalized: 湘A·H1001 is 湘AH1001


class Premises(BaseModel):
    """经营场所, as declared."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    area_m2: float = Field(gt=0, le=1_000_000)
    tenure: Literal["owned", "leased"]  # 自有 / 租赁


class Manager(BaseModel):
    """A manager as declared: 主要负责人 or 安全生产管理人员. Personal data: never logged, never indexed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    role: Literal["principal", "safety"]


class OpenBusinessSubmission(BaseModel):
    """A portal submission for 开办运输企业一件事 (DOMAIN.md §2)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    matter: Literal["open-transport-business"] = MATTER
    submission_id: SubmissionId
    credit_code: str  # 统一社会信用代码 of the enterprise: its 营业执照 is fetched, not uploaded
    agent: Agent
    scope: list[FreightScope] = Field(min_length=1, max_length=6)  # 申请经营范围
    premises: Premises
    managers: list[Manager] = Field(min_length=1, max_length=20)
    safety_rules: list[ShortText] = Field(min_length=1, max_length=30)  # 安全生产管理制度, by title
    trucks: list[Plate] = Field(min_length=1, max_length=200)  # each 行驶证 is fetched
    drivers: list[Qualification] = Field(min_length=1, max_length=500)  # 从业资格证 numbers, fetched
    materials: list[Material] = Field(default_factory=list, max_length=30)

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, value: str) -> str:
        return check_credit_code(value)

    @field_validator("trucks", "drivers", "scope")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        if len(set(values)) != len(values):
            raise ValueError("an entry is listed twice")
        return values

    @property
    def region(self) -> str:
        """The registering authority's division code (GB/T 2260) inside the credit code: not personal."""
        return self.credit_code[2:8]

    def summary(self) -> str:
        """A UI summary without personal data: the number of trucks and the registering division."""
        return f"{len(self.trucks)} 辆货车 · {self.region}"


# --- registry facts (免提交) -----------------------------------------------------------------------


class BusinessFacts(BaseModel):
    """营业执照 as pre-fill gives it to the case: without the legal representative (personal data)."""

    credit_code: str
    name: str
    registered_address: str
    business_scope: list[str]
    established: date
    status: str
    valid_until: date | None  # None: 长期


class TruckFacts(BaseModel):
    """行驶证 data of one truck."""

    plate: str
    vehicle_type: str
    axles: int
    total_mass_kg: int | None  # None: the registry's snapshot predates the field
    owner_code: str
    valid_until: date


class DriverFacts(BaseModel):
    """从业资格证 of one driver: categories and validity only (no name, no ID number)."""

    qualification_number: str
    categories: list[str]
    valid_until: date


class OpenBusinessFacts(BaseModel):
    """Everything pre-fill found, by plate and by qualification number; None where absent."""

    business: BusinessFacts | None
    trucks: dict[str, TruckFacts | None]
    drivers: dict[str, DriverFacts | None]


# --- time limits (时限) ------------------------------------------------------------------------------

# DOMAIN.md §2, 交通运输部 and 市场监管总局 plan of 2024-04-30: the operating licence and every truck's
# 道路运输证 in one integrated completion within 5 working days — the promise (承诺时限).
OPEN_BUSINESS_WORKING_DAYS: Final = 5
# 《道路运输条例》Art. 24: "自受理之日起20日内作出许可或者不予许可决定" — the statutory limit, counted
# in working days as 行政许可法 Art. 82 counts every period of a licensing procedure.
OPEN_BUSINESS_STATUTORY_WORKING_DAYS: Final = 20
# Not found (DOMAIN.md): the split within the 5 days, modelled on Hunan's 受理/审核/办结 split.
DEFAULT_OPEN_BUSINESS_ACCEPTANCE_WORKING_DAYS: Final = 1  # pre-fill and acceptance are automatic
DEFAULT_OPERATING_LICENCE_REVIEW_WORKING_DAYS: Final = 3  # 道路运输经营许可 review (交通)


def open_business_limits(statutory_from_the_regulation: bool = True) -> CaseLimits:
    """开办运输企业: promised 5 working days from receipt, statutory 20 from 受理 (条例 Art. 24); each
    review (the licence, each truck) within the promise. `statutory_from_the_regulation=False` is the
    earlier reading (5 for both), kept for cases started under it (workflow patch)."""
    promised = OPEN_BUSINESS_WORKING_DAYS
    statutory = OPEN_BUSINESS_STATUTORY_WORKING_DAYS if statutory_from_the_regulation else promised
    return CaseLimits(
        statutory=statutory,
        promised=promised,
        acceptance_stage=min(DEFAULT_OPEN_BUSINESS_ACCEPTANCE_WORKING_DAYS, promised),
        review_task=min(DEFAULT_OPERATING_LICENCE_REVIEW_WORKING_DAYS, promised),
        certificate_task=min(DEFAULT_CERTIFICATE_REVIEW_WORKING_DAYS, promised),
    )


# --- acceptance (受理) -----------------------------------------------------------------------------


def is_ordinary_freight_vehicle(truck: TruckFacts) -> bool:
    """A 普通货运车辆: no special-purpose body (冷藏, 罐式, 集装箱 …) in its 行驶证 vehicle type."""
    return not any(word in truck.vehicle_type for word in SPECIAL_VEHICLE_TYPE_WORDS)


def is_light(truck: TruckFacts, scope: Sequence[str] | None = None) -> bool:
    """Exempt (DOMAIN.md §2): at most 4,500 kg total mass, an ordinary freight vehicle, and the business
    does ordinary freight (`scope` has 道路普通货物运输) — no operating licence, no 道路运输证 for it.

    A truck whose total mass the registry does not give is treated as needing a certificate. Without
    `scope` only the mass counts: the earlier reading, kept for cases started under it.
    """
    light = truck.total_mass_kg is not None and truck.total_mass_kg <= LIGHT_TRUCK_MAX_TOTAL_MASS_KG
    if scope is None:
        return light
    return light and is_ordinary_freight_vehicle(truck) and ORDINARY_FREIGHT_SCOPE in scope


class Acceptance(BaseModel):
    """受理 or 不予受理, with every reason; the trucks split into those that need a certificate and not.

    `fixable` says every problem is one the applicant can correct in this application (补正).
    """

    accepted: bool
    reasons: list[str]
    problems: list[Problem]
    qualifying: list[str]  # plates that need a 道路运输证, in the submission's order
    light: list[str]  # plates exempt (DOMAIN.md §2): no certificate needed
    fixable: bool = False


def acceptance(
    sub: OpenBusinessSubmission, facts: OpenBusinessFacts, on: date, *, ordinary_freight_only: bool = True
) -> Acceptance:
    """受理 unless the scope has dangerous goods, the 营业执照 does not allow road freight, a registry
    contradicts the submission, or no truck needs the licence at all; every reason is named. The
    trucks' and drivers' problems are the applicant's to fix (补正); the rest are not.

    `ordinary_freight_only=False` is the earlier exemption by mass alone (cases started under it)."""
    final: list[Problem] = []
    fixable: list[Problem] = []
    problems = final
    dangerous = [s for s in sub.scope if s in DANGEROUS_GOODS_SCOPES]
    if dangerous:
        problems.append(
            Problem(
                field="scope",
                message=f"申请经营范围含{'、'.join(dangerous)}：危险货物运输经营许可不在本事项办理范围内，请另行申请",
            )
        )
    final += _business_problems(facts.business, on)
    light: list[str] = []
    qualifying: list[str] = []
    scope = list(sub.scope) if ordinary_freight_only else None
    for index, plate in enumerate(sub.trucks):
        truck = facts.trucks.get(plate)
        found = _truck_problems(f"trucks.{index}", plate, truck, sub.credit_code, on)
        fixable += found
        if truck is not None and not found:
            (light if is_light(truck, scope) else qualifying).append(plate)
    for index, number in enumerate(sub.drivers):
        fixable += _driver_problems(f"drivers.{index}", number, facts.drivers.get(number), on)
    if not final and not fixable and not qualifying:
        final.append(
            Problem(
                field="trucks",
                message=f"所列车辆总质量均不超过 {LIGHT_TRUCK_MAX_TOTAL_MASS_KG} 千克，"
                "且为普通货运车辆从事普通货运，无需办理道路运输经营许可和道路运输证",
            )
        )
    # In the submission's order of fields: the scope and the 营业执照 first, then trucks, then drivers.
    problems = final + fixable
    return Acceptance(
        accepted=not problems,
        reasons=[p.message for p in problems],
        problems=problems,
        qualifying=qualifying,
        light=light,
        fixable=bool(fixable) and not final,
    )


def acceptance_after_supplement(accepted: Acceptance) -> list[str]:
    """The 不予受理 reasons for a submission still not acceptable after its one 补正 round."""
    if not accepted.fixable:
        return accepted.reasons
    return ["补正后仍与登记数据不符：" + "；".join(accepted.reasons)]


class OpenBusinessSupplement(BaseModel):
    """The applicant's answer to a 补正 notice: the trucks and drivers as corrected (each list, when
    given, replaces the submission's), and added materials."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    trucks: list[Plate] | None = Field(default=None, min_length=1, max_length=200)
    drivers: list[Qualification] | None = Field(default=None, min_length=1, max_length=500)
    materials: list[Material] = Field(default_factory=list, max_length=30)

    @field_validator("trucks", "drivers")
    @classmethod
    def _unique(cls, values: list[str] | None) -> list[str] | None:
        if values is not None and len(set(values)) != len(values):
            raise ValueError("an entry is listed twice")
        return values

    def is_empty(self) -> bool:
        return self.trucks is None and self.drivers is None and not self.materials


def apply_supplement(sub: OpenBusinessSubmission, sup: OpenBusinessSupplement) -> OpenBusinessSubmission:
    """The submission as corrected; validated again, so a bad correction is rejected naming the field."""
    data = sub.model_dump()
    data["materials"] = list(dict.fromkeys([*sub.materials, *sup.materials]))
    if sup.trucks is not None:
        data["trucks"] = list(sup.trucks)
    if sup.drivers is not None:
        data["drivers"] = list(sup.drivers)
    return OpenBusinessSubmission.model_validate(data)


def _business_problems(business: BusinessFacts | None, on: date) -> list[Problem]:
    field = "credit_code"
    if business is None:
        return [Problem(field=field, message="统一社会信用代码未在市场监管登记中找到营业执照")]
    problems = []
    if business.status not in ACTIVE_BUSINESS_STATUSES:
        problems.append(Problem(field=field, message=f"营业执照登记状态为{business.status}，不能开办经营"))
    if business.valid_until is not None and business.valid_until < on:
        problems.append(Problem(field=field, message="营业执照营业期限已届满"))
    if not any(FREIGHT_SCOPE_WORD in item for item in business.business_scope):
        problems.append(Problem(field=field, message="营业执照经营范围不含道路货物运输"))
    return problems


def _truck_problems(
    field: str, plate: str, truck: TruckFacts | None, credit_code: str, on: date
) -> list[Problem]:
    if truck is None:
        return [Problem(field=field, message=f"车辆 {plate} 未在行驶证登记中找到")]
    problems = []
    if truck.owner_code != credit_code:
        problems.append(Problem(field=field, message=f"车辆 {plate} 的行驶证所有人不是申请企业"))
    if truck.valid_until < on:
        problems.append(Problem(field=field, message=f"车辆 {plate} 的行驶证检验有效期已过"))
    return problems


def _driver_problems(field: str, number: str, driver: DriverFacts | None, on: date) -> list[Problem]:
    # The number travels in the message (ledger, notice, status): masked, as an ID number it usually is.
    number = mask_text(number)
    if driver is None:
        return [Problem(field=field, message=f"从业资格证 {number} 未找到")]
    problems = []
    if driver.valid_until < on:
        problems.append(Problem(field=field, message=f"从业资格证 {number} 已过有效期"))
    if FREIGHT_DRIVER_CATEGORY not in driver.categories:
        message = f"从业资格证 {number} 不含{FREIGHT_DRIVER_CATEGORY}类别"
        problems.append(Problem(field=field, message=message))
    return problems


# --- which reviews (部门流转): all by the road transport authority, all at once ----------------------


def certificate_task_id(plate: str) -> str:
    return f"{CERTIFICATE_TASK_PREFIX}{plate}"


def review_tasks(accepted: Acceptance, department: str = DEPARTMENT) -> list[TaskSpec]:
    """The licence review and one 道路运输证 review per truck that needs one, answered independently,
    all by `department` (the road-transport authority)."""
    return [
        TaskSpec(
            task_id=OPERATING_LICENCE_TASK, department=department, kind="review", title="道路运输经营许可审核"
        ),
        *(
            TaskSpec(
                task_id=certificate_task_id(plate),
                department=department,
                kind="review",
                title=f"道路运输证审核（{plate}）",
            )
            for plate in accepted.qualifying
        ),
    ]


def task_limit(spec: TaskSpec, limits: CaseLimits) -> int:
    """Working days for a review: the licence review's limit, or each certificate review's."""
    return limits.review_task if spec.task_id == OPERATING_LICENCE_TASK else limits.certificate_task


# --- decision (决定) --------------------------------------------------------------------------------


class BusinessDecision(BaseModel):
    """准予 or 不予 for the case, and per truck: certificate issued, refused (with the reason), not needed."""

    approved: bool
    certificates: list[str]  # plates whose 道路运输证 is issued
    refused: dict[str, str]  # plate → the reviewer's reason
    no_certificate_needed: list[str]
    reasons: list[str]

    def ledger_parts(self) -> dict[str, Any]:
        """The 决定 event's parts: each licence's outcome by its key, the trucks that need none."""
        return {
            "licences": {
                OPERATING_LICENCE_KEY: "准予" if self.approved else "不予",
                **{certificate_key(plate): "准予" for plate in self.certificates},
                **{certificate_key(plate): f"不予：{reason}" for plate, reason in self.refused.items()},
            },
            "not_required": self.no_certificate_needed,
            "reasons": self.reasons,
        }


def decide(accepted: Acceptance, tasks: Mapping[str, Task]) -> BusinessDecision:
    """The decision once the licence review and every certificate review are answered (or the licence
    was refused, which makes the rest moot). With no certificate granted there is no vehicle to operate,
    so the licence is refused too."""
    licence = tasks[OPERATING_LICENCE_TASK]
    refused = {
        plate: task.reason or ""
        for plate in accepted.qualifying
        if (task := tasks.get(certificate_task_id(plate))) is not None and task.approve is False
    }
    granted = [
        plate
        for plate in accepted.qualifying
        if (task := tasks.get(certificate_task_id(plate))) is not None and task.approve is True
    ]
    reasons = [f"道路运输证（{plate}）不予核发：{reason}" for plate, reason in refused.items()]
    light = accepted.light
    reasons += [
        f"车辆 {plate} 总质量不超过 {LIGHT_TRUCK_MAX_TOTAL_MASS_KG} 千克，无需道路运输证" for plate in light
    ]
    if licence.approve is False:
        reasons.insert(0, f"道路运输经营许可不予许可：{licence.reason or ''}")
    elif not granted:
        reasons.insert(0, "所列车辆均未核准道路运输证，不具备道路运输经营的车辆条件")
    approved = licence.approve is True and bool(granted)
    return BusinessDecision(
        approved=approved,
        certificates=granted if approved else [],
        refused=refused,
        no_certificate_needed=light,
        reasons=reasons,
    )


def valid_until(start: date, years: int) -> date:
    """The last day of a validity of `years` years from `start` (29 February → 28 February)."""
    try:
        anniversary = start.replace(year=start.year + years)
    except ValueError:
        anniversary = start.replace(year=start.year + years, day=28)
    return anniversary - timedelta(days=1)


# --- the licences (道路运输经营许可证, 道路运输证) -----------------------------------------------------

OPERATING_LICENCE_TYPE_NAME: Final = "道路运输经营许可证"
CERTIFICATE_TYPE_NAME: Final = "道路运输证"
CERTIFICATE_LICENCE_TYPE: Final = "road-transport-certificate"
"""The 道路运输证's licence kind (证照类型), beside the matter's own (workflows/matters.py)."""


def licence_grants(
    case_id: str,
    sub: OpenBusinessSubmission,
    facts: OpenBusinessFacts,
    decision: BusinessDecision,
    today: date,
) -> list[LicenceGrant]:
    """What a 准予许可 grants: the operating licence, then one 道路运输证 per truck granted, in the
    submission's order; 持证主体 the enterprise by its registered name (a company, not a person)."""
    assert facts.business is not None  # acceptance requires the 营业执照
    holder = facts.business.name

    def grant(
        key: str, kind: str | None, type_name: str, years: int, particulars: dict[str, Any]
    ) -> LicenceGrant:
        return LicenceGrant(
            case_id=case_id,
            licence_key=key,
            matter=MATTER,
            licence_type=kind,
            type_name=type_name,
            holder=holder,
            holder_code=sub.credit_code,
            valid_from=today,
            valid_to=valid_until(today, years),
            particulars=particulars,
        )

    licence = grant(
        OPERATING_LICENCE_KEY,
        None,
        OPERATING_LICENCE_TYPE_NAME,
        DEFAULT_OPERATING_LICENCE_VALID_YEARS,
        {
            "scope": list(sub.scope),
            "premises": sub.premises.address,
            "vehicles": decision.certificates,
            "no_certificate_needed": decision.no_certificate_needed,
        },
    ).model_copy(
        update={
            "notice": {
                "case_id": case_id,
                "outcome": "approved",
                "certificates": decision.certificates,
                "certificates_refused": list(decision.refused),
            }
        }
    )
    certificates = []
    for plate in decision.certificates:
        truck = facts.trucks[plate]
        assert truck is not None  # a granted certificate's truck was found at acceptance
        particulars = {
            "plate": plate,
            "vehicle_type": truck.vehicle_type,
            "axles": str(truck.axles),
            "total_mass_kg": "" if truck.total_mass_kg is None else str(truck.total_mass_kg),
            "scope": list(sub.scope),
        }
        certificates.append(
            grant(
                certificate_key(plate),
                CERTIFICATE_LICENCE_TYPE,
                CERTIFICATE_TYPE_NAME,
                DEFAULT_CERTIFICATE_VALID_YEARS,
                particulars,
            )
        )
    return [licence, *certificates]
