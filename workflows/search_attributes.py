"""Custom search attributes: how officers find cases in the Temporal UI.

Values are stored unencrypted by the server, so only non-personal facts go here: the matter, the
permit class, the stage, the due time, the supervision card, the region (an administrative
division code or province name) and whether the dues were counted through a year without a State
Council holiday notice (provisional: recounted when the notice arrives). Never an applicant's name,
ID number, phone or plate.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

MATTER = SearchAttributeKey.for_keyword("OnethingMatter")
PERMIT_CLASS = SearchAttributeKey.for_keyword("OnethingPermitClass")
STAGE = SearchAttributeKey.for_keyword("OnethingStage")
# The stage a decided case shows while its 好差评 window is open (and `rectification` during 整改):
# the workflow runs on, so the UI lists it as Running; this says why. The status API's stage stays
# `closed` (办结 is done) with `rating_open`.
EVALUATION_STAGE = "evaluation"
RECTIFICATION_STAGE = "rectification"
DUE = SearchAttributeKey.for_datetime("OnethingDue")
CARD = SearchAttributeKey.for_keyword("OnethingCard")
REGION = SearchAttributeKey.for_keyword("OnethingRegion")
# Set when a case's dues go through a provisional calendar year; officers filter on
# `OnethingDuesProvisional = true`, and `onething calendar add` recounts exactly those cases.
DUES_PROVISIONAL = SearchAttributeKey.for_bool("OnethingDuesProvisional")

ALL = (MATTER, PERMIT_CLASS, STAGE, DUE, CARD, REGION, DUES_PROVISIONAL)
