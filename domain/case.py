"""The vocabulary every 一件事 case shares, whatever its matter.

A case (办件) moves through stages; departments answer tasks (承办任务) with opinions (审核意见);
the efficiency e-supervision ledger (行政效能电子监察) records each step. These are the shapes the
workflows, activities and the portal pass to each other, so they stay plain pydantic models.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Final, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from domain.licence import is_resident_identity_number, is_unified_social_credit_code


class Stage(StrEnum):
    """Where a case stands; shown in the Temporal UI and the status API."""

    RECEIVED = "received"  # 收件
    PREFILL = "prefill"  # 数据预填 (registry look-ups)
    ACCEPTANCE = "acceptance"  # 受理审查
    SUPPLEMENT = "supplement"  # 补正 (clock stopped, waiting for the applicant)
    REVIEW = "review"  # 并联审核
    COUNTERSIGN = "countersign"  # 会签 (公安交管)
    DECISION = "decision"  # 决定
    ISSUING = "issuing"  # 电子印章 + 电子证照
    CLOSED = "closed"  # 办结


class Outcome(StrEnum):
    """How a case ended; None while it is open."""

    APPROVED = "approved"  # 准予许可
    REFUSED = "refused"  # 不予许可
    NOT_ACCEPTED = "not_accepted"  # 不予受理
    WITHDRAWN = "withdrawn"  # 撤回
    SUPPLEMENT_EXPIRED = "supplement_expired"  # 补正逾期, the application lapses


class Step(StrEnum):
    """Supervision ledger steps (电子监察环节)."""

    RECEIVED = "收件"
    ACCEPTED = "受理"
    NOT_ACCEPTED = "不予受理"
    SUPPLEMENT = "补正"
    CLOCK_STOP = "停表"
    CLOCK_RESUME = "复表"
    ASSIGNED = "承办"
    REVIEWED = "审核"
    COUNTERSIGNED = "会签"
    DECIDED = "决定"
    ISSUED = "制证"
    CLOSED = "办结"
    WITHDRAWN = "撤回"
    WARNING = "催办"
    YELLOW_CARD = "黄牌"
    RED_CARD = "红牌"
    STATUTORY_OVERDUE = "超法定时限"
    RATED = "评价"
    RECTIFICATION = "整改"
    RECTIFICATION_REPLY = "整改答复"
    RETURN_VISIT = "回访"
    RECOUNTED = "时限重算"  # dues counted again on a State Council notice that arrived meanwhile
    CARD_WITHDRAWN = "撤销监察"  # a card or 催办 the official calendar would not have raised yet
    CLAIMED = "签收"
    TRANSFERRED = "转办"
    URGED = "督办"


# --- canonical text: what is stored is what a reader sees -------------------------------------------

# Line breaks and tabs are how a textarea writes a paragraph; every other control character (Cc) and
# every format character (Cf: zero-width spaces, direction overrides, BOM) hides or reorders what a
# reader sees, so a name of nothing but U+200B or U+202E would look empty or spell something else.
_LAYOUT: Final = frozenset("\n\t")
# Full-width forms of ASCII (U+FF01–U+FF5E), as a Chinese input method types them, are the same
# characters: the fields made of ASCII letters and digits take them and store the ASCII.
_FULL_WIDTH: Final = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def hidden_character(value: str, *, multiline: bool = False) -> str | None:
    """The first control, format or lone surrogate character of `value` as `U+XXXX`, or None.

    `multiline` text (reasons, notes, comments) may contain line breaks and tabs; names may not."""
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs") and not (multiline and char in _LAYOUT):
            return f"U+{ord(char):04X}"
    return None


def check_text(value: str) -> str:
    """A single-line name or title: no control or format character; ValueError otherwise."""
    if found := hidden_character(value):
        raise ValueError(f"contains a control or format character ({found})")
    return value


def check_free_text(value: str) -> str:
    """Free text: line breaks (CRLF stored as LF) and tabs, but no other control or format character."""
    value = value.replace("\r\n", "\n")
    if found := hidden_character(value, multiline=True):
        raise ValueError(f"contains a control or format character ({found})")
    return value


def hidden_in_document(document: object, path: str = "") -> list[tuple[str, str]]:
    """(dotted path, `U+XXXX`) of every key or string anywhere in a JSON document with a control or
    format character: one check for every field of a body, whatever its model."""
    if isinstance(document, str):
        found = hidden_character(document)
        return [(path or "body", found)] if found else []
    items: list[tuple[str, object]] = []
    problems: list[tuple[str, str]] = []
    if isinstance(document, dict):
        for key, value in document.items():
            where = f"{path}.{key}" if path else key
            if found := hidden_character(key):
                problems.append((where, found))
            items.append((where, value))
    elif isinstance(document, list):
        items = [(f"{path}.{i}" if path else str(i), value) for i, value in enumerate(document)]
    for where, value in items:
        problems.extend(hidden_in_document(value, where))
    return problems


def ascii_width(value: str) -> str:
    """Full-width ASCII forms (１３８, ＡＤ) as ASCII; every other character unchanged."""
    return value.translate(_FULL_WIDTH)


ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), AfterValidator(check_text)
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(check_text)
]
FreeText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2000), AfterValidator(check_free_text)
]
RequiredText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(check_free_text),
]
SubmissionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
Material = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(check_text)]

# --- fields every matter's portal submission shares -------------------------------------------------

PROVINCE_PLATE_PREFIXES: Final = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
"""The 31 provincial-level 简称 a civil plate starts with (GA 36-2018 号牌): 中 or 国 is no province."""
_PLATE = re.compile(rf"^[{PROVINCE_PLATE_PREFIXES}][A-Z][A-Z0-9]{{4,6}}挂?$")
# [0-9], not \d: \d also matches Arabic-Indic and other scripts' digits.
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


def normalize_plate(plate: str) -> str:
    """`湘A·d1234`, `湘ＡＤ１２３４` and `湘AD1234` are the same plate: ASCII width, no separators,
    upper-case."""
    return re.sub(r"[\s·•\-.]", "", ascii_width(plate)).upper()


def check_plate(value: str) -> str:
    """A plate such as 湘AD1234 (or 湘A1234挂), normalized; ValueError otherwise."""
    plate = normalize_plate(value)
    if plate and plate[0] not in PROVINCE_PLATE_PREFIXES:
        raise ValueError(
            f"a plate starts with a province's 简称 ({PROVINCE_PLATE_PREFIXES}), not {plate[0]!r}"
        )
    if not _PLATE.match(plate):
        raise ValueError("not a vehicle plate such as 湘AD1234")
    return plate


def check_credit_code(value: str) -> str:
    """A 统一社会信用代码, upper-cased; ValueError unless its GB 32100 check character is right."""
    value = ascii_width(value.strip()).upper()
    if not is_unified_social_credit_code(value):
        raise ValueError("not a valid unified social credit code (GB 32100 check character)")
    return value


class Agent(BaseModel):
    """The person who applies for the business (经办人). Personal data: never logged, never indexed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    id_number: str
    phone: str

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str) -> str:
        value = ascii_width(value.strip()).upper()
        if not is_resident_identity_number(value):
            raise ValueError("not a valid resident identity number (GB 11643 check digit, ASCII digits)")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        value = ascii_width(value.strip())
        if not _MOBILE.match(value):
            raise ValueError("not an 11-digit mainland mobile number (ASCII digits)")
        return value


class Problem(BaseModel):
    """Something the applicant must know or fix, tied to a field of the submission."""

    model_config = ConfigDict(frozen=True)

    field: str
    message: str


class Task(BaseModel):
    """A task a department owns in a case: review, countersign, …"""

    task_id: str  # e.g. "review:highway", "review:province:湖北", "countersign:police"
    department: str
    kind: str  # "review" | "countersign"
    title: str
    opened_at: datetime
    due: datetime | None = None
    answered: bool = False
    approve: bool | None = None
    reason: str | None = None
    conditions: list[str] = Field(default_factory=list)
    by_rules: bool = False  # 智能审批: answered by rules, not by an officer
    holder: str | None = None  # the officer who signed for it (签收) or was handed it (转办)


class TaskSpec(BaseModel):
    """A task a matter's rules ask for; the workflow opens it (承办) with its limit."""

    task_id: str
    department: str
    kind: Literal["review", "countersign", "inspection"]  # inspection: 现场勘验
    title: str


class Opinion(BaseModel):
    """An officer's answer to an open task (审核/会签意见)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    task_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    department: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    approve: bool
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None
    conditions: list[ShortText] = Field(default_factory=list, max_length=20)
    officer: Annotated[str, StringConstraints(max_length=100)] | None = None


class Withdrawal(BaseModel):
    """The applicant withdraws the application (撤回申请)."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None


class CaseStatus(BaseModel):
    """What the status query returns: enough for an officer or applicant to know what happens next."""

    case_id: str
    matter: str
    stage: Stage
    outcome: Outcome | None
    permit_class: str | None
    due: datetime | None  # the case's promised limit (承诺时限), or None before acceptance
    statutory_due: datetime | None
    card: str | None  # supervision card: None, "warning", "yellow", "red"
    open_tasks: list[Task]
    answered_tasks: list[Task]
    problems: list[Problem]
    reasons: list[str]
    licence_ids: list[str]
    conditions: list[str]
    clock_stopped: str | None = None  # the reason while the clock stands still (停表)
    clock_stopped_by: str | None = None  # the department that stopped it: only it restarts it (复表)
    # Some due was counted through a year without a State Council notice (statutory holidays only):
    # it may move when the notice arrives.
    dues_provisional: bool = False
    rating: int | None = None
    rating_open: bool = False  # the applicant may rate now (好差评 window)
    rectification: Task | None = None
    # The carrier (its credit code: a company's, not personal) whose 信用承诺 replaced the on-site check:
    # the permitting authority may bar it if the commitment is found false.
    commitment_carrier: str | None = None


class Card(StrEnum):
    """Supervision cards (电子监察), from mildest to gravest; a case shows the gravest it received."""

    WARNING = "warning"  # 催办: one working day before a limit
    YELLOW = "yellow"  # 黄牌: a task or stage passed its own limit
    RED = "red"  # 红牌: the case passed its promised limit
    RED_STATUTORY = "red-statutory"  # the case passed its statutory limit

    @property
    def step(self) -> Step:
        return {
            Card.WARNING: Step.WARNING,
            Card.YELLOW: Step.YELLOW_CARD,
            Card.RED: Step.RED_CARD,
            Card.RED_STATUTORY: Step.STATUTORY_OVERDUE,
        }[self]

    @property
    def rank(self) -> int:
        return list(Card).index(self)


ClockReason = Literal["加固改造", "专家评审"]
OFFICER_CLOCK_REASONS: Final[tuple[str, ...]] = get_args(ClockReason)
"""The reasons an officer may stop the clock for; 补正 stops it too, but only the applicant's reply
restarts it."""


class ClockStop(BaseModel):
    """An officer stops the case clock (停表): 加固改造 (第62号令 Art. 15), 专家评审 (行政许可法 Art. 45)."""

    model_config = ConfigDict(extra="forbid")

    department: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    reason: ClockReason
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    officer: Annotated[str, StringConstraints(max_length=100)] | None = (
        None  # set by the portal from the token
    )


class ClockResume(BaseModel):
    """The officer restarts the case clock (复表)."""

    model_config = ConfigDict(extra="forbid")

    department: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    officer: Annotated[str, StringConstraints(max_length=100)] | None = (
        None  # set by the portal from the token
    )


class RecountDues(BaseModel):
    """A State Council holiday notice arrived (or was corrected): count every due again (时限重算)."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2100)  # the notice's year
    source: Annotated[str, StringConstraints(max_length=500)] | None = None


class Rating(BaseModel):
    """好差评: the applicant rates the service after 办结 (国办发〔2019〕51号)."""

    model_config = ConfigDict(extra="forbid")

    score: int = Field(ge=1, le=5)
    comment: Annotated[str, StringConstraints(max_length=2000)] | None = None


class RectificationReply(BaseModel):
    """The responsible department's answer to a bad rating (整改答复)."""

    model_config = ConfigDict(extra="forbid")

    department: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    reply: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    officer: Annotated[str, StringConstraints(max_length=100)] | None = (
        None  # set by the portal from the token
    )


class ReturnVisit(BaseModel):
    """The return visit (回访) after a bad rating: was the applicant satisfied with the fix?"""

    model_config = ConfigDict(extra="forbid")

    department: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    satisfied: bool
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    officer: Annotated[str, StringConstraints(max_length=100)] | None = (
        None  # set by the portal from the token
    )


OfficerName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class TaskClaim(BaseModel):
    """签收: an officer of the task's department takes the task; it shows them as its holder."""

    model_config = ConfigDict(extra="forbid")

    task_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    department: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    officer: OfficerName  # set by the portal from the token


class TaskTransfer(BaseModel):
    """转办: the task goes to another officer of the same department, with the reason."""

    model_config = ConfigDict(extra="forbid")

    task_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    department: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    to_officer: OfficerName
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    officer: OfficerName  # who hands it on; set by the portal from the token


class Urge(BaseModel):
    """督办: a supervisor urges an open task; its holder (or its department) is told."""

    model_config = ConfigDict(extra="forbid")

    task_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    supervisor: OfficerName  # set by the portal from the token


def check_task_action(
    tasks: dict[str, Task], task_id: str, department: str | None, *, open_case: bool
) -> Task:
    """签收, 转办 and 督办 act on an open task of a case still open for opinions (and, for 签收 and 转办,
    of the acting officer's department). Raises ValueError naming the field."""
    task = tasks.get(task_id)
    if task is None:
        raise ValueError(f"task_id: no task {task_id!r} in this case")
    if department is not None and task.department != department:
        raise ValueError(f"department: task {task_id!r} belongs to {task.department}")
    if task.answered:
        raise ValueError(f"task_id: task {task_id!r} has already been answered")
    if not open_case:
        raise ValueError(f"task_id: task {task_id!r} is no longer open")
    return task


def check_opinion(tasks: dict[str, Task], opinion: Opinion, *, stage: Stage, open_for_opinions: bool) -> Task:
    """An opinion is taken only for an open task of the answering department, once, while the case is
    open for opinions (not withdrawn, not decided); a refusal gives its reason. Raises ValueError naming
    the field, which rejects a workflow update before anything is written to its history."""
    task = tasks.get(opinion.task_id)
    if task is None:
        raise ValueError(f"task_id: no task {opinion.task_id!r} in this case")
    if task.department != opinion.department:
        raise ValueError(f"department: task {opinion.task_id!r} belongs to {task.department}")
    if task.answered:
        raise ValueError(f"task_id: task {opinion.task_id!r} has already been answered")
    if not open_for_opinions:
        raise ValueError(f"task_id: the case is at stage {stage.value}; no opinion is open")
    if not opinion.approve and not (opinion.reason or "").strip():
        raise ValueError("reason: a refusal must give its reason")
    return task
