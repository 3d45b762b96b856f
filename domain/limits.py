"""Time limits (时限) per matter, class, stage and task, in working days: one table.

Statutory limits come from the regulation (`domain.oversize.statutory_working_days`, Art. 15);
promised limits (承诺时限) from the province's published service guide; the rest has no public
source (DOMAIN.md says "not found") and is a named default that settings override.
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel

from domain.oversize import PermitClass, statutory_working_days

# Hunan's service guide for 大件运输一件事 (实施编码 1143000000612250052000118006000): promised
# 7 working days, split 受理 3 / 审核 3 / 办结 1 (DOMAIN.md §1.2).
HUNAN_PROMISED_WORKING_DAYS: Final = 7
HUNAN_STAGE_SPLIT: Final = {"acceptance": 3, "review": 3, "closing": 1}

# Not found in any public source (DOMAIN.md): settings with clearly named defaults.
DEFAULT_SUPPLEMENT_REPLY_WORKING_DAYS: Final = 10  # applicant's time to answer a 补正 notice
DEFAULT_COUNTERSIGN_WORKING_DAYS: Final = 2  # police countersign (公安交管会签)
DEFAULT_PROVINCE_REVIEW_WORKING_DAYS: Final = 3  # other provinces on a cross-province route


class CaseLimits(BaseModel):
    """The limits one case runs against, in working days."""

    statutory: int
    promised: int
    review_task: int
    countersign_task: int
    province_task: int
    supplement_reply: int


def oversize_limits(cls: PermitClass, cross_province: bool) -> CaseLimits:
    """A promise can only be shorter than the law: the promised limit never exceeds the statutory one."""
    statutory = statutory_working_days(cls, cross_province)
    promised = min(statutory, HUNAN_PROMISED_WORKING_DAYS)
    return CaseLimits(
        statutory=statutory,
        promised=promised,
        review_task=min(HUNAN_STAGE_SPLIT["review"], promised),
        countersign_task=min(DEFAULT_COUNTERSIGN_WORKING_DAYS, promised),
        province_task=min(DEFAULT_PROVINCE_REVIEW_WORKING_DAYS, promised),
        supplement_reply=DEFAULT_SUPPLEMENT_REPLY_WORKING_DAYS,
    )
