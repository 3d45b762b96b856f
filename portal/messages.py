"""The messages every matter's workflow answers, by name (workflows/case/messages.py).

Every matter's workflow takes the same query and updates — `status`, `submit_opinion`, `withdraw`, and
`supplement` where the matter has a 补正 round — so the case endpoints serve every matter of the
registry (workflows/matters.py) without knowing any of them.
"""

from __future__ import annotations

from typing import Final

STATUS_QUERY: Final = "status"
OPINION_UPDATE: Final = "submit_opinion"
SUPPLEMENT_UPDATE: Final = "supplement"
WITHDRAW_UPDATE: Final = "withdraw"
STOP_CLOCK_UPDATE: Final = "stop_clock"
RESUME_CLOCK_UPDATE: Final = "resume_clock"
RATE_UPDATE: Final = "rate"
RECTIFICATION_REPLY_UPDATE: Final = "reply_to_rating"
RETURN_VISIT_UPDATE: Final = "record_return_visit"
CLAIM_UPDATE: Final = "claim_task"
TRANSFER_UPDATE: Final = "transfer_task"
URGE_UPDATE: Final = "urge_task"
