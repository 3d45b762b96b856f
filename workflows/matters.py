"""The matter registry: every matter (一件事) onething runs, each declared once, by one `Matter`.

An entry names what the rest of the product needs of its matter, and nothing else names a matter:

- the worker registers each entry's workflow and pre-fill activity (`worker.build_worker`);
- the portal accepts each entry's submission and supplement models, and tells a case's matter by
  its id (`portal.app.create_app`);
- licensing codes and numbers each entry's licence kinds (`bootstrap.deps.build_deps`);
- a case starts with the entry's name in its UI summary, its class when the matter is classed, and
  its key as the Matter search attribute (`workflows.client.start_case`);
- `onething up --demo` sends each entry's sample submissions and answers their tasks (`cli.demo`).

A new matter is its domain module, its workflow (built from the shared steps in workflows/case/),
its pre-fill activity and one entry in `MATTERS`. A test adds one with `MATTERS.plus(entry)` and
builds the worker and the portal from that registry.

Not workflow code: this module imports the workflows, so nothing a workflow imports may import it
(which is why the activities get the licence kinds as an argument, not from here).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from pydantic import BaseModel

from activities.prefill_business import prefill_business
from activities.prefill_oversize import prefill_registries, prefill_with_permits
from domain import open_business_case, oversize_case
from domain.case import Problem
from domain.licence import LicenceKind
from domain.open_business_case import OpenBusinessSubmission, OpenBusinessSupplement
from domain.oversize_case import OversizeSubmission, OversizeSupplement
from workflows.open_business import OpenTransportBusinessCase
from workflows.oversize_transport import OversizeTransportCase


@dataclass(frozen=True)
class DemoAnswer:
    """What an officer of `department` answers to one task of a demo case."""

    department: str
    task_id: str
    approve: bool = True
    reason: str | None = None
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoSample:
    """A submission in samples/submissions/ that the demo sends, and the answers it gives its tasks.

    A sample without answers is left waiting (or closes by itself), so the UI has open cases to show.
    """

    file: str
    answers: tuple[DemoAnswer, ...] = ()


@dataclass(frozen=True)
class Matter:
    """One matter: its key and name, its workflow, its models, its pre-fill, its licences, its demo."""

    key: str  # `matter` in a submission, the prefix of its case ids, the Matter search attribute
    name: str  # for people: the first part of a case's UI summary
    workflow: type[Any]  # a `CaseWorkflow` subclass with `@workflow.defn`
    submission: type[BaseModel]  # strict, `extra="forbid"`, with `matter` fixed to `key`
    supplement: type[BaseModel] | None  # the 补正 answer; None: the matter has no 补正 round
    prefill: Callable[..., Awaitable[Any]]  # the activity its workflow looks the registries up with
    licence_kinds: tuple[LicenceKind, ...]  # the first is the matter's own (its key is `key`)
    classed: bool = False  # whether its cases get a permit class (大件运输: I/II/III)
    # Its workflow's other activities of its own, beside `prefill` (大件运输: the pre-fill together
    # with the permits the vehicles hold); the shared ones are worker.SHARED_ACTIVITIES.
    activities: tuple[Callable[..., Awaitable[Any]], ...] = ()
    demo: tuple[DemoSample, ...] = ()
    # What the portal refuses on receipt (422) beyond the model, judged on the day of receipt (e.g.
    # a permit window that starts in the past); the workflow asks it again at acceptance.
    admission: Callable[[Any, date], list[Problem]] | None = None

    def __post_init__(self) -> None:
        field = self.submission.model_fields.get("matter")
        if field is None or field.default != self.key:
            raise ValueError(f"{self.submission.__name__}.matter must default to {self.key!r}")
        if self.licence_kinds and self.licence_kinds[0].key != self.key:
            raise ValueError(f"the first licence kind of {self.key!r} must be its own, keyed {self.key!r}")


class MatterRegistry:
    """The matters by key, in the order declared; keys, workflows and licence kinds each once."""

    def __init__(self, matters: Iterable[Matter]) -> None:
        self._by_key: dict[str, Matter] = {}
        for matter in matters:
            if matter.key in self._by_key:
                raise ValueError(f"matter {matter.key!r} is declared twice")
            self._by_key[matter.key] = matter
        for what, names in (
            ("licence kind", [kind.key for kind in self.licence_kinds]),
            ("workflow", [m.workflow.__name__ for m in self]),
        ):
            if twice := sorted({name for name in names if names.count(name) > 1}):
                raise ValueError(f"{what} {', '.join(twice)} declared by more than one matter")

    def __iter__(self) -> Iterator[Matter]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __getitem__(self, key: str) -> Matter:
        try:
            return self._by_key[key]
        except KeyError:
            raise KeyError(f"unknown matter {key!r}; expected one of {', '.join(self.keys())}") from None

    def get(self, key: str) -> Matter | None:
        return self._by_key.get(key)

    def keys(self) -> list[str]:
        return sorted(self._by_key)

    def plus(self, *matters: Matter) -> MatterRegistry:
        """This registry and `matters`: how a test declares a matter of its own."""
        return MatterRegistry([*self, *matters])

    def of_case(self, case_id: str) -> Matter | None:
        """The matter a case belongs to: case ids are `<key>-<submission id>` (workflows.client)."""
        # Longest key first, in case one matter's key is a prefix of another's.
        for key in sorted(self._by_key, key=len, reverse=True):
            if case_id.startswith(f"{key}-") and len(case_id) > len(key) + 1:
                return self._by_key[key]
        return None

    @property
    def workflows(self) -> list[type[Any]]:
        return [matter.workflow for matter in self]

    @property
    def own_activities(self) -> list[Callable[..., Awaitable[Any]]]:
        """Each matter's activities of its own: its pre-fill and the rest it declares."""
        return [activity for matter in self for activity in (matter.prefill, *matter.activities)]

    @property
    def licence_kinds(self) -> list[LicenceKind]:
        return [kind for matter in self for kind in matter.licence_kinds]


# --- the matters -------------------------------------------------------------------------------------
# Type codes and number prefixes are SAMPLE (湘 = Hunan): the national catalogue assigns 证照类型代码,
# the department its numbering rule (ONETHING_LICENCE_TYPE_CODES overrides the codes).

OVERSIZE_TRANSPORT: Final = Matter(
    key=oversize_case.MATTER,
    name=oversize_case.MATTER_NAME,
    workflow=OversizeTransportCase,
    submission=OversizeSubmission,
    supplement=OversizeSupplement,
    prefill=prefill_registries,
    activities=(prefill_with_permits,),
    licence_kinds=(LicenceKind(oversize_case.MATTER, oversize_case.PERMIT_TYPE_NAME, "DJYSXK01", "湘超限"),),
    classed=True,
    admission=oversize_case.admission_problems,
    demo=(
        DemoSample("01-class-i-auto.json"),
        DemoSample(
            "02-class-ii-urban.json",
            (
                DemoAnswer("urban_road", "review:urban_road"),
                DemoAnswer("highway", "review:highway"),
                DemoAnswer(
                    "police",
                    "countersign:police",
                    conditions=("夜间 22:00—次日 6:00 通行", "前后各一辆护送车"),
                ),
            ),
        ),
        DemoSample("03-class-iii.json"),
        DemoSample("04-not-accepted-divisible.json"),
        DemoSample("05-supplement-missing-escort-plan.json"),
    ),
)

OPEN_TRANSPORT_BUSINESS: Final = Matter(
    key=open_business_case.MATTER,
    name=open_business_case.MATTER_NAME,
    workflow=OpenTransportBusinessCase,
    submission=OpenBusinessSubmission,
    supplement=OpenBusinessSupplement,
    prefill=prefill_business,
    licence_kinds=(
        LicenceKind(
            open_business_case.MATTER, open_business_case.OPERATING_LICENCE_TYPE_NAME, "DLYSXK01", "湘交运"
        ),
        # One 道路运输证 per truck over 4,500 kg, in the same case.
        LicenceKind(
            open_business_case.CERTIFICATE_LICENCE_TYPE,
            open_business_case.CERTIFICATE_TYPE_NAME,
            "DLYSZ01",
            "湘交运证",
        ),
    ),
    demo=(
        # The licence and each heavy truck's certificate are answered (湘AH1004 is light: no task).
        DemoSample(
            "06-business-three-trucks.json",
            (
                DemoAnswer("road_transport", "review:operating_licence"),
                DemoAnswer("road_transport", "review:certificate:湘AH1001"),
                DemoAnswer("road_transport", "review:certificate:湘AH1002"),
                DemoAnswer("road_transport", "review:certificate:湘AH1003"),
            ),
        ),
        DemoSample("07-business-waiting.json"),
        DemoSample("08-business-dangerous-goods.json"),
    ),
)

MATTERS: Final = MatterRegistry([OVERSIZE_TRANSPORT, OPEN_TRANSPORT_BUSINESS])
