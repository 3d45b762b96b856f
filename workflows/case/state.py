"""One case as its shared steps see it: the book, its supervision, its lead department, its limits.

Every step in intake.py, review.py, decision.py and evaluation.py takes a `Case`. The message
handlers (messages.py) hand their input in here for the main run to take: the 补正 answer, the
rating (好差评), the 整改 reply, the 回访.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import Rating, RectificationReply, ReturnVisit
    from domain.limits import CaseLimits
    from workflows.case.book import CaseBook
    from workflows.case.supervision import Supervision


class Case:
    """The shared state of one case workflow; a matter's workflow holds one (`self.case`)."""

    def __init__(self, book: CaseBook, department: str) -> None:
        self.book = book
        # The lead department: it receives, accepts, decides and closes, and answers for the stages.
        self.department = department
        self.supervision = Supervision(book)
        self.limits: CaseLimits | None = None  # fixed when the promised clock starts
        self.rating: Rating | None = None
        self.rectification_reply: RectificationReply | None = None
        self.return_visit: ReturnVisit | None = None
        self.urges = 0  # 督办 so far: numbers each one's notice key
        self.transfers = 0  # 转办 so far: likewise
        self.pending_supplement: Any | None = None  # the matter's 补正 answer, until taken
        self.awaiting_supplement = False

    def closed(self) -> bool:
        return self.book.outcome is not None
