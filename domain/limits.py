"""Time limits (时限) per matter, class, stage and task, in working days: one table.

Statutory limits come from the regulation (`domain.oversize.statutory_working_days`, Art. 15) or the
matter's national plan (开办运输企业, DOMAIN.md §2); promised limits (承诺时限) from the province's
published service guide; the rest has no public source (DOMAIN.md says "not found") and is a named
default that settings override.
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

# 开办运输企业一件事 (DOMAIN.md §2, 交通运输部 and 市场监管总局 plan of 2024-04-30): the operating licence
# and every truck's 道路运输证 in one integrated completion within 5 working days. The plan gives one
# number; it is both the statutory limit here and the promise (a promise may only be shorter).
OPEN_BUSINESS_WORKING_DAYS: Final = 5
# Not found (DOMAIN.md): the split within the 5 days, modelled on Hunan's 受理/审核/办结 split.
DEFAULT_OPEN_BUSINESS_ACCEPTANCE_WORKING_DAYS: Final = 1  # pre-fill and acceptance are automatic
DEFAULT_OPERATING_LICENCE_REVIEW_WORKING_DAYS: Final = 3  # 道路运输经营许可 review (交通)
DEFAULT_CERTIFICATE_REVIEW_WORKING_DAYS: Final = 3  # one truck's 道路运输证 review (交通)


class CaseLimits(BaseModel):
    """The limits one case runs against, in working days."""

    statutory: int
    promised: int
    acceptance_stage: int  # 受理, a stage limit within the promised one, counted from receipt
    review_task: int
    countersign_task: int = DEFAULT_COUNTERSIGN_WORKING_DAYS
    province_task: int = DEFAULT_PROVINCE_REVIEW_WORKING_DAYS
    certificate_task: int = DEFAULT_CERTIFICATE_REVIEW_WORKING_DAYS
    supplement_reply: int = DEFAULT_SUPPLEMENT_REPLY_WORKING_DAYS
    evaluation_window: int = DEFAULT_EVALUATION_WINDOW_WORKING_DAYS
    rectification: int = DEFAULT_RECTIFICATION_WORKING_DAYS


def oversize_limits(cls: PermitClass, cross_province: bool) -> CaseLimits:
    """A promise can only be shorter than the law: the promised limit never exceeds the statutory one."""
    statutory = statutory_working_days(cls, cross_province)
    promised = min(statutory, HUNAN_PROMISED_WORKING_DAYS)
    return CaseLimits(
        statutory=statutory,
        promised=promised,
        acceptance_stage=min(HUNAN_STAGE_SPLIT["acceptance"], promised),
        review_task=min(HUNAN_STAGE_SPLIT["review"], promised),
        countersign_task=min(DEFAULT_COUNTERSIGN_WORKING_DAYS, promised),
        province_task=min(DEFAULT_PROVINCE_REVIEW_WORKING_DAYS, promised),
        supplement_reply=DEFAULT_SUPPLEMENT_REPLY_WORKING_DAYS,
    )


def open_business_limits() -> CaseLimits:
    """开办运输企业: 5 working days in all; each review (the licence, each truck) within it."""
    promised = statutory = OPEN_BUSINESS_WORKING_DAYS
    return CaseLimits(
        statutory=statutory,
        promised=promised,
        acceptance_stage=min(DEFAULT_OPEN_BUSINESS_ACCEPTANCE_WORKING_DAYS, promised),
        review_task=min(DEFAULT_OPERATING_LICENCE_REVIEW_WORKING_DAYS, promised),
        certificate_task=min(DEFAULT_CERTIFICATE_REVIEW_WORKING_DAYS, promised),
    )
