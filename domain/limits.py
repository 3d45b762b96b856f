"""Time limits (时限) in working days: the limits a case runs against, and the defaults matters share.

Each matter's own limits are in its domain module, next to its other rules: statutory limits from the
regulation or the matter's national plan, promised limits (承诺时限) from the province's published
service guide. What has no public source
(DOMAIN.md says "not found") is a named default that settings override.
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel

# Not found in any public source (DOMAIN.md): settings with clearly named defaults.
DEFAULT_SUPPLEMENT_REPLY_WORKING_DAYS: Final = 10  # applicant's time to answer a 补正 notice
DEFAULT_COUNTERSIGN_WORKING_DAYS: Final = 2  # police countersign (公安交管会签)
DEFAULT_PROVINCE_REVIEW_WORKING_DAYS: Final = 3  # other provinces on a cross-province route
DEFAULT_EVALUATION_WINDOW_WORKING_DAYS: Final = 10  # 好差评: how long after 办结 a rating is taken
# 国办发〔2019〕51号 gives 5 or 15 working days as examples for fixing a bad rating: the shorter one here.
DEFAULT_RECTIFICATION_WORKING_DAYS: Final = 5
BAD_RATING_AT_MOST: Final = 2  # a rating of 1 or 2 is a bad rating (差评) and opens a 整改

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
