"""Supervision events (行政效能电子监察事件): one typed model per ledger step.

The ledger is the product's event store. Each step a case takes — 收件, 受理, 承办, 审核, 决定, 办结,
停表, 催办, the cards, 好差评 … — is one model here, told apart by `step` (the discriminator). The
workflows write only these; store/ledger.py refuses anything that does not parse; the audit, the
ledger rebuild, the test fixtures and the bench read events back through `parse_event`, so a key is
spelled in exactly one place.

On the ledger an event is a row (`SupervisionEventIn`): the case, the step, the columns every step
shares (department, actor role, planned and actual time, limit, outcome) and `detail`, the JSON of
the step's own fields. `to_row` and `parse_event` are the two directions. Rows written before these
models existed read unchanged: the models keep the detail keys those rows have, and the one shape
that changed (决定's per-licence outcomes) is read from its earlier keys too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Protocol, TypeAlias

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import to_jsonable_python

from domain.case import Step

ActorRole = Literal["portal", "system", "rules", "officer", "applicant", "supervisor"]
"""Who took the step: the portal (收件), the engine, rules (智能审批), a person."""

Scope = Literal["case", "stage", "task", "rectification"]
"""What a watched limit covers: the whole case (promised, statutory), a stage, one task, a 整改."""


class LedgerEvent(BaseModel):
    """What every step records, besides the case, the time and the key the recorder adds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    department: str = Field(min_length=1, max_length=100)
    actor_role: ActorRole
    planned_at: AwareDatetime | None = None
    limit_working_days: int | None = Field(default=None, ge=0)
    outcome: str | None = Field(default=None, max_length=200)
    # A due on this event was counted through a year without a State Council notice (statutory
    # holidays only): it may move when the notice arrives (时限重算). Stored only when true.
    dues_provisional: bool = False


# --- intake (收件, 受理, 补正, 不予受理) ------------------------------------------------------------


class Received(LedgerEvent):
    """收件: the portal handed the submission over; the promised clock starts."""

    step: Literal[Step.RECEIVED] = Step.RECEIVED
    actor_role: ActorRole = "portal"


class Accepted(LedgerEvent):
    """受理: the statutory clock starts; `planned_at` is the promised due."""

    step: Literal[Step.ACCEPTED] = Step.ACCEPTED
    outcome: str | None = "受理"
    permit_class: str | None = None
    statutory_due: AwareDatetime | None = None
    statutory_working_days: int | None = None
    promised_working_days: int | None = None


class MissingItem(BaseModel):
    """One item named for 补正, tied to a field of the submission."""

    model_config = ConfigDict(frozen=True)

    field: str
    message: str


class SupplementRequested(LedgerEvent):
    """补正: every missing item named once (行政许可法 Art. 32); `planned_at` is the reply due."""

    step: Literal[Step.SUPPLEMENT] = Step.SUPPLEMENT
    missing: list[MissingItem] = []


class NotAccepted(LedgerEvent):
    """不予受理, with every reason the applicant is told."""

    step: Literal[Step.NOT_ACCEPTED] = Step.NOT_ACCEPTED
    outcome: str | None = "不予受理"
    reasons: list[str] = []


# --- the clock (停表, 复表) -------------------------------------------------------------------------


class ClockStopped(LedgerEvent):
    """停表: 补正, 加固改造 or 专家评审; no limit runs out until 复表."""

    step: Literal[Step.CLOCK_STOP] = Step.CLOCK_STOP
    reason: str
    officer: str | None = None


class ClockResumed(LedgerEvent):
    """复表: every due moved by the stopped working days; `planned_at` is the new promised due."""

    step: Literal[Step.CLOCK_RESUME] = Step.CLOCK_RESUME
    reason: str | None = None
    stopped_working_days: int | None = None
    promised_due: AwareDatetime | None = None
    statutory_due: AwareDatetime | None = None
    moved: dict[str, AwareDatetime] = {}
    officer: str | None = None


# --- review (承办, 审核, 会签) ---------------------------------------------------------------------


class TaskAssigned(LedgerEvent):
    """承办: a department's task is opened; `planned_at` is its due."""

    step: Literal[Step.ASSIGNED] = Step.ASSIGNED
    task_id: str
    title: str


class TaskAnswered(LedgerEvent):
    """审核 or 会签: a department's answer (`outcome` approve/refuse), by an officer or by rules."""

    step: Literal[Step.REVIEWED, Step.COUNTERSIGNED]
    task_id: str
    reason: str | None = None
    conditions: list[str] = []
    officer: str | None = None


class TaskClaimed(LedgerEvent):
    """签收: an officer of the task's department took it (`officer`, the holder from now on)."""

    step: Literal[Step.CLAIMED] = Step.CLAIMED
    actor_role: ActorRole = "officer"
    task_id: str
    officer: str


class TaskTransferred(LedgerEvent):
    """转办: the task went from one officer (`from_officer`, None if nobody held it) to another of the
    same department (`to_officer`, its holder from now on), with the reason."""

    step: Literal[Step.TRANSFERRED] = Step.TRANSFERRED
    actor_role: ActorRole = "officer"
    task_id: str
    from_officer: str | None = None
    to_officer: str
    reason: str
    officer: str | None = None


class TaskUrged(LedgerEvent):
    """督办: a supervisor urged an open task; `holder` (None: its department) was told. `planned_at` is
    the task's due."""

    step: Literal[Step.URGED] = Step.URGED
    actor_role: ActorRole = "supervisor"
    task_id: str
    holder: str | None = None
    supervisor: str | None = None
    note: str | None = None


# --- decision (决定, 制证, 撤回, 办结) --------------------------------------------------------------


class Decided(LedgerEvent):
    """决定 (`outcome` 准予许可 / 不予许可): the reasons, the conditions, and where a case issues several
    licences, each one's outcome (`licences`: licence key → 准予 / 不予：reason) and the items that
    need none (`not_required`)."""

    step: Literal[Step.DECIDED] = Step.DECIDED
    reasons: list[str] = []
    conditions: list[str] = []
    licences: dict[str, str] = {}
    not_required: list[str] = []

    @model_validator(mode="before")
    @classmethod
    def _earlier_keys(cls, data: Any) -> Any:
        # 开办运输企业 rows written before this model named the parts by their own keys.
        if not isinstance(data, dict) or "operating_licence" not in data:
            return data
        data = dict(data)
        licences = {"operating-licence": data.pop("operating_licence")}
        licences.update({f"certificate:{p}": o for p, o in data.pop("certificates", {}).items()})
        data["licences"] = licences
        data["not_required"] = data.pop("no_certificate_needed", [])
        return data


class Issued(LedgerEvent):
    """制证: one sealed e-licence, by its identifier."""

    step: Literal[Step.ISSUED] = Step.ISSUED
    outcome: str | None = "issued"
    licence_id: str
    licence_key: str


class Withdrawn(LedgerEvent):
    """撤回: the applicant withdrew before the decision."""

    step: Literal[Step.WITHDRAWN] = Step.WITHDRAWN
    actor_role: ActorRole = "applicant"
    outcome: str | None = "撤回"


class Closed(LedgerEvent):
    """办结 (`outcome` the case's Outcome): `planned_at` the final promised due, and the statutory one."""

    step: Literal[Step.CLOSED] = Step.CLOSED
    reasons: list[str] = []
    licence_ids: list[str] = []
    statutory_due: AwareDatetime | None = None


# --- supervision (催办, cards) ---------------------------------------------------------------------


class CardRaised(LedgerEvent):
    """催办 a working day before a limit; 黄牌 at a task's or stage's limit; 红牌 at the promised limit;
    超法定时限 at the statutory one. `limit` names the limit ("promised", "stage:review",
    "task:review:highway", …), `planned_at` is its due."""

    step: Literal[Step.WARNING, Step.YELLOW_CARD, Step.RED_CARD, Step.STATUTORY_OVERDUE]
    actor_role: ActorRole = "system"
    scope: Scope
    limit: str
    task_id: str | None = None

    @property
    def stage(self) -> str | None:
        """The stage a stage card is about ("acceptance", "review", "countersign")."""
        return self.limit.removeprefix("stage:") if self.scope == "stage" else None


class DuesRecounted(LedgerEvent):
    """时限重算: a State Council holiday notice arrived (or was corrected) and the case's dues were
    counted again; `old_due` and `new_due` by limit name, the years still counted provisionally."""

    step: Literal[Step.RECOUNTED] = Step.RECOUNTED
    year: int
    source: str | None = None
    old_due: dict[str, AwareDatetime] = {}
    new_due: dict[str, AwareDatetime] = {}
    still_provisional: list[int] = []


class CardWithdrawn(LedgerEvent):
    """撤销监察: a card or 催办 (`card`: warning, yellow, red, red-statutory) raised before the time the
    recounted due sets is taken back; the watcher raises it again then if the work is still open."""

    step: Literal[Step.CARD_WITHDRAWN] = Step.CARD_WITHDRAWN
    card: str
    limit: str
    reason: str


# --- evaluation (好差评, 整改, 回访) ----------------------------------------------------------------


class Rated(LedgerEvent):
    """评价: the applicant's score (`outcome` "1".."5"); the comment stays in the case, not here."""

    step: Literal[Step.RATED] = Step.RATED
    actor_role: ActorRole = "applicant"
    has_comment: bool = False


class RectificationOpened(LedgerEvent):
    """整改: a bad rating is answered by the department within its limit (`planned_at`)."""

    step: Literal[Step.RECTIFICATION] = Step.RECTIFICATION
    score: int | None = None


class RectificationReplied(LedgerEvent):
    """整改答复: the department's answer to the bad rating."""

    step: Literal[Step.RECTIFICATION_REPLY] = Step.RECTIFICATION_REPLY
    officer: str | None = None


class ReturnVisited(LedgerEvent):
    """回访 (`outcome` satisfied / unsatisfied) after a 整改."""

    step: Literal[Step.RETURN_VISIT] = Step.RETURN_VISIT
    officer: str | None = None


SupervisionEvent: TypeAlias = Annotated[
    Received
    | Accepted
    | SupplementRequested
    | NotAccepted
    | ClockStopped
    | ClockResumed
    | TaskAssigned
    | TaskAnswered
    | TaskClaimed
    | TaskTransferred
    | TaskUrged
    | Decided
    | Issued
    | Withdrawn
    | Closed
    | CardRaised
    | DuesRecounted
    | CardWithdrawn
    | Rated
    | RectificationOpened
    | RectificationReplied
    | ReturnVisited,
    Field(discriminator="step"),
]
"""Any ledger step, told apart by `step`."""

_ADAPTER: TypeAdapter[SupervisionEvent] = TypeAdapter(SupervisionEvent)
COLUMNS = frozenset({"step", "department", "actor_role", "planned_at", "limit_working_days", "outcome"})
"""The fields stored in columns of their own; every other field of an event is its `detail`."""

_STEPS = frozenset(s.value for s in Step)
assert {
    s.value
    for model in LedgerEvent.__subclasses__()
    for s in getattr(model.model_fields["step"].annotation, "__args__", ())
} == _STEPS, "every ledger step has its event model"


class SupervisionEventIn(BaseModel):
    """One ledger row to append: the case, the step, the shared columns and `detail`, the JSON of the
    step's own fields. `seq` and the hashes are assigned by the ledger (store/ledger.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: str = Field(min_length=1, max_length=200)
    matter: str = Field(min_length=1, max_length=100)
    step: str = Field(min_length=1, max_length=50)
    department: str = Field(min_length=1, max_length=100)
    actor_role: str = Field(min_length=1, max_length=100)
    planned_at: AwareDatetime | None = None
    actual_at: AwareDatetime
    limit_working_days: int | None = Field(default=None, ge=0)
    outcome: str | None = Field(default=None, max_length=200)
    detail: dict[str, Any] = {}
    idempotency_key: str = Field(min_length=1, max_length=300)

    @field_validator("planned_at", "actual_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    @field_validator("detail")
    @classmethod
    def _json_detail(cls, value: dict[str, Any]) -> dict[str, Any]:
        # Exactly what the database gives back later, so the hash computed now verifies later.
        normalized: dict[str, Any] = json.loads(
            json.dumps(to_jsonable_python(value), ensure_ascii=False, allow_nan=False)
        )
        return normalized

    def event(self) -> SupervisionEvent:
        """This row's typed event; `UnreadableEvent` naming the step and field if it does not parse."""
        return read_row(self)


class UnreadableEvent(ValueError):
    """A stored event that does not parse as its step's model: named by `onething audit --verify-ledger`."""


def to_row(
    event: SupervisionEvent, *, case_id: str, matter: str, actual_at: datetime, idempotency_key: str
) -> SupervisionEventIn:
    """The ledger row of `event`: its columns, and its own fields as `detail`."""
    return SupervisionEventIn(
        case_id=case_id,
        matter=matter,
        step=event.step.value,
        department=event.department,
        actor_role=event.actor_role,
        planned_at=event.planned_at,
        actual_at=actual_at,
        limit_working_days=event.limit_working_days,
        outcome=event.outcome,
        detail=_detail(event),
        idempotency_key=idempotency_key,
    )


def _detail(event: SupervisionEvent) -> dict[str, Any]:
    detail = event.model_dump(mode="json", exclude=set(COLUMNS))
    if not detail["dues_provisional"]:
        del detail["dues_provisional"]  # rows stay as they were unless a due is provisional
    return detail


def parse_event(
    step: str,
    detail: dict[str, Any],
    *,
    department: str,
    actor_role: str,
    planned_at: datetime | None = None,
    limit_working_days: int | None = None,
    outcome: str | None = None,
) -> SupervisionEvent:
    """The typed event of a stored row; `UnreadableEvent` naming the step and field if it does not parse."""
    data = {
        **detail,
        "step": step,
        "department": department,
        "actor_role": actor_role,
        "planned_at": planned_at,
        "limit_working_days": limit_working_days,
        "outcome": outcome,
    }
    if step not in _STEPS:
        raise UnreadableEvent(f"step: {step!r} is not a ledger step")
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first["loc"][1:] if first["loc"][:1] == (step,) else first["loc"]  # drop the union's tag
        where = ".".join(str(p) for p in loc) or "step"
        raise UnreadableEvent(f"{step}: {where}: {first['msg']}") from exc


class StoredColumns(Protocol):
    """What a stored event has, whoever holds it: a ledger row, a loaded record, a row to append."""

    @property
    def step(self) -> str: ...
    @property
    def detail(self) -> Mapping[str, Any]: ...
    @property
    def department(self) -> str: ...
    @property
    def actor_role(self) -> str: ...
    @property
    def planned_at(self) -> datetime | None: ...
    @property
    def limit_working_days(self) -> int | None: ...
    @property
    def outcome(self) -> str | None: ...


def read_row(row: StoredColumns) -> SupervisionEvent:
    """`parse_event` of a stored event's columns."""
    return parse_event(
        row.step,
        dict(row.detail),
        department=row.department,
        actor_role=row.actor_role,
        planned_at=row.planned_at,
        limit_working_days=row.limit_working_days,
        outcome=row.outcome,
    )
