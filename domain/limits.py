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
DEFAULT_EVALUATION_WINDOW_WORKING_DAYS: Final = 10  # 好差评: how long after 办结 a rating is taken
# 国办发〔2019〕51号 gives 5 or 15 working days as examples for fixing a bad rating: the shorter one here.
DEFAULT_RECTIFICATION_WORKING_DAYS: Final = 5
BAD_RATING_AT_MOST: Final = 2  # a rating of 1 or 2 is a bad rating (差评) and opens a 整改


class CaseLimits(BaseModel):
    """The limits one case runs against, in working days."""

    statutory: int
    promised: int
    review_task: int
    countersign_task: int
    province_task: int
    supplement_reply: int
    evaluation_window: int = DEFAULT_EVALUATION_WINDOW_WORKING_DAYS
    rectification: int = DEFAULT_RECTIFICATION_WORKING_DAYS


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
