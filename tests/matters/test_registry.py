"""The matter registry's own guards: every key, licence kind and workflow declared once."""

from __future__ import annotations

import dataclasses
from typing import Literal

import pytest
from pydantic import BaseModel

from cli.demo import SUBMISSIONS
from domain.licence import LicenceKind
from tests.matters.registry_entry import THIRD_MATTER, WITH_THIRD_MATTER
from tests.matters.third_case import MATTER, RenewalSubmission
from workflows.client import summary_of
from workflows.matters import MATTERS, OPEN_TRANSPORT_BUSINESS, OVERSIZE_TRANSPORT, MatterRegistry


def test_the_product_declares_each_matter_once_and_the_test_adds_its_own():
    assert [m.key for m in MATTERS] == ["oversize-transport", "open-transport-business"]
    assert [m.key for m in WITH_THIRD_MATTER] == [*(m.key for m in MATTERS), MATTER]
    assert MATTER not in MATTERS  # `plus` makes a new registry; the product's is left alone
    assert WITH_THIRD_MATTER.workflows[-1] is THIRD_MATTER.workflow


def test_a_key_licence_kind_or_workflow_declared_twice_is_refused():
    with pytest.raises(ValueError, match="declared twice"):
        MATTERS.plus(THIRD_MATTER, THIRD_MATTER)
    with pytest.raises(ValueError, match="must default to 'x'"):
        dataclasses.replace(THIRD_MATTER, key="x")  # the submission's `matter` names another matter
    same_kind = dataclasses.replace(
        THIRD_MATTER, licence_kinds=(*THIRD_MATTER.licence_kinds, *OVERSIZE_TRANSPORT.licence_kinds)
    )
    with pytest.raises(ValueError, match="licence kind oversize-transport"):
        MATTERS.plus(same_kind)
    same_workflow = dataclasses.replace(THIRD_MATTER, workflow=OPEN_TRANSPORT_BUSINESS.workflow)
    with pytest.raises(ValueError, match="workflow OpenTransportBusinessCase"):
        MATTERS.plus(same_workflow)


def test_the_first_licence_kind_is_the_matters_own():
    with pytest.raises(ValueError, match="its own"):
        dataclasses.replace(THIRD_MATTER, licence_kinds=(LicenceKind("other", "证", "X1", "湘"),))


class EscortSubmission(BaseModel):
    matter: Literal["oversize-transport-escort"] = "oversize-transport-escort"


def test_a_case_id_names_its_matter_the_longest_key_first():
    escort = dataclasses.replace(
        THIRD_MATTER,
        key="oversize-transport-escort",
        submission=EscortSubmission,
        licence_kinds=(LicenceKind("oversize-transport-escort", "护送", "X1", "湘"),),
    )
    registry = MatterRegistry([OVERSIZE_TRANSPORT, escort])
    assert registry.of_case("oversize-transport-S-1") is OVERSIZE_TRANSPORT
    assert registry.of_case("oversize-transport-escort-S-1") is escort
    assert registry.of_case("oversize-transport-") is None
    assert registry.of_case("open-transport-business-S-1") is None


def test_the_ui_summary_is_the_entrys_name_and_its_class_only_when_classed():
    renewal = RenewalSubmission(submission_id="S-1", credit_code="91430100MA4L001018", plate="湘AH1001")
    assert summary_of(renewal, THIRD_MATTER) == f"{THIRD_MATTER.name} · 1 辆货车 · 430100"
    classed = dataclasses.replace(THIRD_MATTER, classed=True)
    assert summary_of(renewal, classed, "II").startswith(f"{THIRD_MATTER.name} · II类 · ")


def test_every_sample_submission_is_one_matters_demo_and_valid_for_it():
    named = {sample.file: matter for matter in MATTERS for sample in matter.demo}
    assert sorted(named) == sorted(path.name for path in SUBMISSIONS.glob("*.json"))
    for file, matter in named.items():
        text = (SUBMISSIONS / file).read_text(encoding="utf-8")
        submission = matter.submission.model_validate_json(text, strict=True)  # as the portal parses it
        assert getattr(submission, "matter", None) == matter.key, file
