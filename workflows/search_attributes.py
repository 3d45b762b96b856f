"""Custom search attributes: how officers find cases in the Temporal UI.

Values are stored unencrypted by the server, so only non-personal facts go here: the matter, the
permit class, the stage, the due time, the supervision card and the region (an administrative
division code or province name). Never an applicant's name, ID number, phone or plate.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

MATTER = SearchAttributeKey.for_keyword("OnethingMatter")
PERMIT_CLASS = SearchAttributeKey.for_keyword("OnethingPermitClass")
STAGE = SearchAttributeKey.for_keyword("OnethingStage")
DUE = SearchAttributeKey.for_datetime("OnethingDue")
CARD = SearchAttributeKey.for_keyword("OnethingCard")
REGION = SearchAttributeKey.for_keyword("OnethingRegion")

ALL = (MATTER, PERMIT_CLASS, STAGE, DUE, CARD, REGION)
