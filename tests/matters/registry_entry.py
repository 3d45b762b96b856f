"""The third matter's one registry entry, and the registry a test builds the worker and portal from."""

from __future__ import annotations

from domain.licence import LicenceKind
from tests.matters.third_case import LICENCE_NAME, MATTER, MATTER_NAME, RenewalSubmission
from tests.matters.third_prefill import prefill_renewal
from tests.matters.third_workflow import TruckCertificateRenewalCase
from workflows.matters import MATTERS, Matter

# SAMPLE codes, as for every matter: the national catalogue would assign the type code.
THIRD_MATTER = Matter(
    key=MATTER,
    name=MATTER_NAME,
    workflow=TruckCertificateRenewalCase,
    submission=RenewalSubmission,
    supplement=None,
    prefill=prefill_renewal,
    licence_kinds=(LicenceKind(MATTER, LICENCE_NAME, "DLYSZHF01", "湘换证"),),
)

WITH_THIRD_MATTER = MATTERS.plus(THIRD_MATTER)
