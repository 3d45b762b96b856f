"""What every matter's case workflow shares: its book, its supervision, the supervised steps that need
both, and the messages every case takes whatever its matter — officers' opinions, 停表/复表,
withdrawal, 好差评 and its 整改, 签收/转办/督办 of a task, the status.

A matter's workflow subclasses `CaseWorkflow` and adds only its `run` (the story of its matter, told
with the steps below and in steps.py) and its matter-specific messages (for 大件运输, the 补正
supplement). One level of inheritance is the Temporal-native way to share message handlers between
workflow types; the steps that need only the book are functions in steps.py.

The shared steps, in the order a case meets them: `receive` (收件), `start_promised_clock` (承诺时限
from receipt), `prefill` (免提交), `enter_acceptance`, `ask_for_supplement` (补正, once, the clock
stopped; the matter's `supplement` update answers it), `accept` (受理, the statutory clock) or
`not_accept` (不予受理), `review_stage` (审核 or
会签: `open_tasks` — 承办, each task and its stage watched — then the answers), `refuse` or `approve`
(决定; 制证 for each licence), `withdrawn` (撤回), `after_close` (好差评).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import (
        OFFICER_CLOCK_REASONS,
        Card,
        CaseStatus,
        ClockResume,
        ClockStop,
        Opinion,
        Outcome,
        Problem,
        Rating,
        RecountDues,
        RectificationReply,
        ReturnVisit,
        Stage,
        Task,
        TaskClaim,
        TaskSpec,
        TaskTransfer,
        Urge,
        Withdrawal,
        check_task_action,
    )
    from domain.events import (
        Accepted,
        Decided,
        MissingItem,
        NotAccepted,
        Rated,
        Received,
        RectificationOpened,
        RectificationReplied,
        ReturnVisited,
        SupplementRequested,
        TaskClaimed,
        TaskTransferred,
        TaskUrged,
        Withdrawn,
    )
    from domain.licence import LicenceGrant
    from domain.limits import BAD_RATING_AT_MOST, CaseLimits
    from workflows import search_attributes as sa
    from workflows import steps
    from workflows.steps import CaseBook
    from workflows.supervision import Supervision

P = TypeVar("P")
R = TypeVar("R")

# Patch id: the answer to a 补正 shows the case after it took the answer (see `take_supplement`).
SUPPLEMENT_ANSWER_TAKEN = "supplement-answer-after-it-is-taken"

# Outcomes after which the applicant is asked to rate the service (好差评).
RATED_OUTCOMES = (Outcome.APPROVED, Outcome.REFUSED, Outcome.NOT_ACCEPTED)
# Patch id: the 好差评 window (and 整改) show in the UI's stage search attribute and current details.
EVALUATION_SHOWN = "evaluation-window-shown"


class CaseWorkflow:
    """Shared state and message handlers; see each matter's workflow for its contract."""

    def __init__(self, matter: str, department: str) -> None:
        self.book = CaseBook(workflow.info().workflow_id, matter)
        # The lead department: it receives, accepts, decides and closes, and answers for the stages.
        self.department = department
        self.supervision = Supervision(self.book)
        self.limits: CaseLimits | None = None  # fixed when the promised clock starts
        self.rating: Rating | None = None
        self.rectification_reply: RectificationReply | None = None
        self.return_visit: ReturnVisit | None = None
        self.urges = 0  # 督办 so far: numbers each one's notice key
        self.transfers = 0  # 转办 so far: likewise
        self.pending_supplement: Any | None = None  # the matter's 补正 answer, until taken
        self.awaiting_supplement = False

    # --- receipt, the two clocks, acceptance (收件, 受理) --------------------------------------------

    async def receive(self, region: str) -> datetime:
        """收件: index the case (matter and region: no personal data), write 收件; the receipt time."""
        received_at = workflow.now()
        workflow.upsert_search_attributes(
            [sa.MATTER.value_set(self.book.matter), sa.REGION.value_set(region)]
        )
        await steps.record(self.book, Received(department=self.department))
        return received_at

    async def start_promised_clock(self, limits: CaseLimits, received_at: datetime) -> None:
        """The promised limit (承诺时限) counts from receipt; 受理 has its own stage limit within it.

        The first call fixes the case's limits; later calls (a second pass after 补正) change nothing.
        """
        if self.limits is not None:
            return
        self.limits = limits
        sup = self.supervision
        await sup.set_limits(
            received_at, {"promised": limits.promised, "stage:acceptance": limits.acceptance_stage}
        )
        sup.watch("promised", department=self.department, scope="case", card=Card.RED, done=self.closed)
        sup.watch(
            "stage:acceptance",
            department=self.department,
            scope="stage",
            done=lambda: (
                self.closed() or self.book.stage not in (Stage.PREFILL, Stage.ACCEPTANCE, Stage.SUPPLEMENT)
            ),
        )

    async def prefill(self, lookup: Callable[[P], Awaitable[R]], arg: P) -> R:
        """数据预填 (免提交): the matter's registry look-ups, one activity, at the pre-fill stage."""
        steps.enter_stage(self.book, Stage.PREFILL)
        return await steps.run_remote(lookup, arg, "registry look-ups (免提交)")

    async def enter_acceptance(self) -> bool:
        """受理审查 begins; False, with the case closed as withdrawn, if the applicant withdrew meanwhile."""
        steps.enter_stage(self.book, Stage.ACCEPTANCE)
        if self.book.withdrawn:
            await self.close_withdrawn()
            return False
        return True

    async def accept(self) -> None:
        """受理: the statutory limit counts from acceptance (the start day is not counted)."""
        book, limits = self.book, self.limits
        assert limits is not None
        await self.supervision.set_limits(workflow.now(), {"statutory": limits.statutory})
        self.supervision.watch(
            "statutory",
            department=self.department,
            scope="case",
            warn=False,
            card=Card.RED_STATUTORY,
            done=self.closed,
        )
        if book.permit_class is not None:
            workflow.upsert_search_attributes([sa.PERMIT_CLASS.value_set(book.permit_class)])
        await steps.record(
            book,
            Accepted(
                department=self.department,
                actor_role="system",
                planned_at=book.due,
                limit_working_days=limits.promised,
                permit_class=book.permit_class,
                statutory_due=book.statutory_due,
                statutory_working_days=limits.statutory,
                promised_working_days=limits.promised,
            ),
        )

    async def not_accept(self, reasons: list[str]) -> None:
        """不予受理 with every reason, told to the applicant; the case closes."""
        book = self.book
        await steps.record(
            book, NotAccepted(department=self.department, actor_role="system", reasons=reasons)
        )
        await steps.notify(book, "not_accepted", "applicant", {"case_id": book.case_id, "reasons": reasons})
        await self.close(Outcome.NOT_ACCEPTED, self.department, reasons)

    def closed(self) -> bool:
        return self.book.outcome is not None

    # --- 补正: name what is missing once, wait for the applicant's answer -------------------------

    async def ask_for_supplement(
        self, missing: list[Problem], reasons: list[str], follows_limit: bool = True
    ) -> Any | None:
        """补正 (行政许可法 Art. 32): name every missing item once, stop the clock, wait for the
        applicant's answer (the matter's `supplement` update) within the reply limit. The answer, or
        None with the case closed (the limit passed, or the applicant withdrew).

        The reply limit is one of the case's limits (`follows_limit`): marked provisional like the
        others and moved by a recount (时限重算). Cases started before it keep a plain due."""
        book, limits = self.book, self.limits
        assert limits is not None
        book.problems = missing
        book.reasons = reasons
        if follows_limit:
            limit = {"supplement": limits.supplement_reply}
            reply_due = (await self.supervision.set_limits(workflow.now(), limit))["supplement"]
        else:
            reply_due = (await steps.due_dates(workflow.now(), {"supplement": limits.supplement_reply}))[
                "supplement"
            ]
        steps.enter_stage(book, Stage.SUPPLEMENT)
        await steps.record(
            book,
            SupplementRequested(
                department=self.department,
                actor_role="system",
                planned_at=reply_due,
                limit_working_days=limits.supplement_reply,
                missing=[MissingItem(field=p.field, message=p.message) for p in missing],
            ),
        )
        await self.supervision.stop("补正", self.department, "system")
        await steps.notify(
            book,
            "supplement",
            "applicant",
            {
                "case_id": book.case_id,
                "missing": [p.model_dump() for p in missing],
                "reply_due": reply_due.isoformat(),
            },
        )
        self.awaiting_supplement = True
        try:
            if follows_limit:
                await self._wait_for_supplement()
            else:
                await workflow.wait_condition(
                    lambda: self.pending_supplement is not None or book.withdrawn,
                    timeout=reply_due - workflow.now(),
                    timeout_summary="补正 reply limit",
                )
        except TimeoutError:
            self.awaiting_supplement = False
            await self.close(
                Outcome.SUPPLEMENT_EXPIRED, self.department, ["申请人未在补正期限内补正，申请终止"]
            )
            return None
        self.awaiting_supplement = False
        if book.withdrawn:
            await self.close_withdrawn()
            return None
        await self.supervision.resume(self.department, "applicant")
        supplement, self.pending_supplement = self.pending_supplement, None
        return supplement

    async def _wait_for_supplement(self) -> None:
        """Until the applicant answers or withdraws; TimeoutError at the reply due as it stands now."""
        sup, book = self.supervision, self.book
        while self.pending_supplement is None and not book.withdrawn:
            left = sup.due["supplement"] - workflow.now()
            if left.total_seconds() <= 0:
                raise TimeoutError
            await workflow.wait_condition(
                sup.moved_or_done(lambda: self.pending_supplement is not None or book.withdrawn),
                timeout=left,
                timeout_summary="补正 reply limit",
            )

    async def take_supplement(self, supplement: Any) -> CaseStatus:
        """The matter's `supplement` update: hand the answer to the waiting case and answer the status
        once the case has taken it — acceptance again, not still "supplement". Cases started before
        answered at once (SUPPLEMENT_ANSWER_TAKEN)."""
        self.pending_supplement = supplement
        if workflow.patched(SUPPLEMENT_ANSWER_TAKEN):
            await workflow.wait_condition(lambda: self.pending_supplement is not supplement or self.closed())
        return self.book.status()

    def check_supplement_open(self) -> None:
        """For a matter's `supplement` validator: a 补正 must be open and not yet answered."""
        if not self.awaiting_supplement or self.pending_supplement is not None:
            raise ValueError("stage: no 补正 is open for this case")

    # --- department tasks (承办), watched -----------------------------------------------------------

    async def open_tasks(
        self, specs: list[TaskSpec], limit_of: dict[str, int], *, stage: str, auto: set[str] | None = None
    ) -> None:
        """承办: open the tasks at once with their limits; watch each one a person must answer (催办 at
        its warning time, a yellow card at its due) and the stage as a whole (yellow card when the
        slowest limit passes). Tasks in `auto` are answered by rules and not watched."""
        book, sup = self.book, self.supervision
        humans = [spec for spec in specs if spec.task_id not in (auto or set())]
        limits = {f"task:{spec.task_id}": limit_of[spec.task_id] for spec in humans}
        if humans:
            limits[f"stage:{stage}"] = max(limit_of[spec.task_id] for spec in humans)
        due = await sup.set_limits(workflow.now(), limits) if limits else {}
        for spec in specs:
            await steps.open_task(
                book,
                spec.task_id,
                spec.department,
                spec.kind,
                spec.title,
                due.get(f"task:{spec.task_id}"),
                limit_of[spec.task_id],
            )
        for spec in humans:
            sup.watch(
                f"task:{spec.task_id}",
                department=spec.department,
                scope="task",
                task_id=spec.task_id,
                done=self.task_settled(spec.task_id),
            )
        if humans:
            waiting = [spec.task_id for spec in humans]
            sup.watch(
                f"stage:{stage}",
                department=self.department,
                scope="stage",
                warn=False,
                done=lambda: self.closed() or all(book.tasks[t].answered for t in waiting if t in book.tasks),
            )

    async def review_stage(
        self,
        stage: Stage,
        specs: list[TaskSpec],
        limit_of: dict[str, int],
        *,
        by_rules: list[Opinion] | None = None,
        blocking: list[str] | None = None,
    ) -> bool:
        """A supervised review or countersign stage (并联审核, 会签): enter it, open every task at once
        (`open_tasks`), let rules answer the tasks they may (智能审批: recorded as by rules, never
        watched), and wait for the answers (`steps.wait_for_tasks`; `blocking` as there). False when
        the applicant withdrew meanwhile."""
        book = self.book
        steps.enter_stage(book, stage)
        ruled = by_rules or []
        await self.open_tasks(specs, limit_of, stage=stage.value, auto={o.task_id for o in ruled})
        for opinion in ruled:
            await steps.answer_task(book, opinion, by_rules=True)
        return await steps.wait_for_tasks(book, [spec.task_id for spec in specs], blocking=blocking)

    def task_settled(self, task_id: str) -> Callable[[], bool]:
        """Done watching a task once it is answered, closed with the case, or the case has ended."""
        book = self.book
        return lambda: task_id not in book.tasks or book.tasks[task_id].answered or self.closed()

    # --- decision (决定), issuing (制证), withdrawal (撤回) --------------------------------------------

    async def decide(self, decision: Decided) -> None:
        """决定: enter the decision stage and record it (准予许可 / 不予许可, its reasons and parts)."""
        steps.enter_stage(self.book, Stage.DECISION)
        await steps.record(self.book, decision)

    def decision(self, outcome: str, **parts: Any) -> Decided:
        """The 决定 event of this case's lead department, due at the promised limit."""
        return Decided(
            department=self.department,
            actor_role="system",
            outcome=outcome,
            planned_at=self.book.due,
            **parts,
        )

    async def refuse(self, reasons: list[str]) -> CaseStatus:
        """决定 不予许可 with the reasons, told to the applicant; 办结, then 好差评."""
        book = self.book
        await self.decide(self.decision("不予许可", reasons=reasons))
        await steps.notify(book, "refused", "applicant", {"case_id": book.case_id, "reasons": reasons})
        await self.close(Outcome.REFUSED, self.department, reasons)
        return await self.after_close()

    async def approve(self, licences: list[LicenceGrant], decision: Decided) -> CaseStatus:
        """决定 准予许可 (`decision`, from `self.decision`), then seal and issue each licence in order, each
        with its own identifier and 制证 event; 办结 with the book's reasons, then 好差评."""
        book = self.book
        await self.decide(decision)
        steps.enter_stage(book, Stage.ISSUING)
        for licence in licences:
            await steps.sign_and_issue(book, licence, self.department)
        await self.close(Outcome.APPROVED, self.department, book.reasons)
        return await self.after_close()

    async def close_withdrawn(self) -> None:
        await steps.record(self.book, Withdrawn(department=self.department))
        await self.close(Outcome.WITHDRAWN, self.department, ["申请人撤回申请"])

    async def withdrawn(self) -> CaseStatus:
        """撤回 during review: 办结 without an evaluation."""
        await self.close_withdrawn()
        return await steps.finish(self.book)

    # --- closing and evaluation -------------------------------------------------------------------

    async def close(self, outcome: Outcome, department: str, reasons: list[str]) -> None:
        await steps.close_case(self.book, outcome, department, reasons)
        await self.supervision.settle()

    async def after_close(self) -> CaseStatus:
        """The result after 办结: with 好差评 when the case ran against limits, else at once."""
        if self.limits is None:  # closed before its limits were known: nothing to rate against
            return await steps.finish(self.book)
        return await self.evaluate(self.limits, self.department)

    async def evaluate(self, limits: CaseLimits, department: str) -> CaseStatus:
        """好差评 after 办结: take a rating within the window; a bad one opens 整改 with its own limit."""
        book = self.book
        if book.outcome in RATED_OUTCOMES:
            sup = self.supervision
            await sup.set_limits(workflow.now(), {"evaluation": limits.evaluation_window})
            self.book.rating_open = True
            # A case running on after 办结 looked stuck in the UI; it now says why. The stage upsert is
            # a command: cases whose window opened before this change replay without it.
            shown = workflow.patched(EVALUATION_SHOWN)
            if shown:
                steps.show_after_close(book, sa.EVALUATION_STAGE, self._window_note(sup.due["evaluation"]))
            # The window closes at the evaluation due as it stands: a recount (时限重算) may move it,
            # and then the wait starts again towards the new time. Nothing else moves it after 办结, so
            # a case without a recount waits on the one timer it always did.
            while self.rating is None:
                left = sup.due["evaluation"] - workflow.now()
                if left.total_seconds() <= 0:  # a recount moved the close into the past
                    break
                try:
                    await workflow.wait_condition(
                        sup.moved_or_done(lambda: self.rating is not None),
                        timeout=left,
                        timeout_summary="好差评 window",
                    )
                except TimeoutError:  # the window closing without a rating is normal
                    break
                if shown:  # a recount moved the close: the details follow (they are no command)
                    workflow.set_current_details(
                        steps.details_after_close(book, self._window_note(sup.due["evaluation"]))
                    )
            self.book.rating_open = False
            if self.rating is not None and self.rating.score <= BAD_RATING_AT_MOST:
                if shown:
                    note = f"**整改** the {department} department answers the bad rating (差评), then a 回访"
                    steps.show_after_close(book, sa.RECTIFICATION_STAGE, note)
                await self._rectify(limits, department)
            if shown:
                steps.show_after_close(book, Stage.CLOSED.value, "**办结**; the 好差评 window is over")
        return await steps.finish(book)

    @staticmethod
    def _window_note(closes: datetime) -> str:
        return (
            f"**好差评 window open** until {closes.isoformat()}: the case is decided (办结); it runs on "
            "until the applicant rates the service or the window closes"
        )

    async def _rectify(self, limits: CaseLimits, department: str) -> None:
        """整改: the responsible department answers the bad rating within its limit, then a 回访."""
        book, sup = self.book, self.supervision
        due = await sup.set_limits(workflow.now(), {"rectification": limits.rectification})
        book.rectification = Task(
            task_id="rectification",
            department=department,
            kind="rectification",
            title="差评整改",
            opened_at=workflow.now(),
            due=due["rectification"],
        )
        await steps.record(
            book,
            RectificationOpened(
                department=department,
                actor_role="system",
                planned_at=due["rectification"],
                limit_working_days=limits.rectification,
                score=self.rating.score if self.rating else None,
            ),
        )
        await steps.notify(
            book,
            "rectification",
            department,
            {"case_id": book.case_id, "due": due["rectification"].isoformat()},
        )
        sup.watch(
            "rectification",
            department=department,
            scope="rectification",
            done=lambda: self.rectification_reply is not None,
        )
        await workflow.wait_condition(lambda: self.rectification_reply is not None)
        await workflow.wait_condition(lambda: self.return_visit is not None)
        await sup.settle()

    # --- messages every case takes ------------------------------------------------------------------

    @workflow.update
    async def submit_opinion(self, opinion: Opinion) -> CaseStatus:
        await steps.answer_task(self.book, opinion)
        return self.book.status()

    @submit_opinion.validator
    def _validate_opinion(self, opinion: Opinion) -> None:
        steps.check_opinion(self.book, opinion)

    @workflow.update
    def withdraw(self, withdrawal: Withdrawal) -> CaseStatus:
        self.book.withdrawn = True
        return self.book.status()

    @withdraw.validator
    def _validate_withdraw(self, withdrawal: Withdrawal) -> None:
        if self.book.withdrawn:
            raise ValueError("stage: the application has already been withdrawn")
        if self.book.decided:
            raise ValueError(f"stage: the case is at {self.book.stage.value}; it can no longer be withdrawn")

    @workflow.update
    async def stop_clock(self, stop: ClockStop) -> CaseStatus:
        await self.supervision.stop(stop.reason, stop.department, "officer", stop.officer)
        return self.book.status()

    @stop_clock.validator
    def _validate_stop_clock(self, stop: ClockStop) -> None:
        self._check_officer_in_review(stop.department)
        if self.supervision.stopped:
            raise ValueError(f"stage: the clock is already stopped ({self.supervision.stop_reason})")

    @workflow.update
    async def resume_clock(self, resume: ClockResume) -> CaseStatus:
        await self.supervision.resume(resume.department, "officer", resume.officer)
        return self.book.status()

    @resume_clock.validator
    def _validate_resume_clock(self, resume: ClockResume) -> None:
        self._check_officer_in_review(resume.department)
        if self.supervision.stop_reason not in OFFICER_CLOCK_REASONS:
            raise ValueError("stage: the clock is not stopped by an officer")

    def _check_officer_in_review(self, department: str) -> None:
        book = self.book
        if book.stage not in (Stage.REVIEW, Stage.COUNTERSIGN) or book.withdrawn:
            raise ValueError(f"stage: the clock can be stopped only during review, not at {book.stage.value}")
        if not any(t.department == department for t in book.tasks.values()):
            raise ValueError(f"department: {department} has no task in this case")

    @workflow.update
    async def rate(self, rating: Rating) -> CaseStatus:
        self.rating = rating
        await steps.record(
            self.book,
            Rated(department="applicant", outcome=str(rating.score), has_comment=bool(rating.comment)),
        )
        self.book.rating = rating.score
        return self.book.status()

    @rate.validator
    def _validate_rate(self, rating: Rating) -> None:
        if not self.book.rating_open or self.rating is not None:
            raise ValueError("stage: the case is not open for rating (好差评) now")

    @workflow.update
    async def reply_to_rating(self, reply: RectificationReply) -> CaseStatus:
        self.rectification_reply = reply
        task = self.book.rectification
        assert task is not None
        task.answered, task.approve, task.reason = True, True, reply.reply
        await steps.record(
            self.book,
            RectificationReplied(
                department=reply.department, actor_role="officer", planned_at=task.due, officer=reply.officer
            ),
        )
        return self.book.status()

    @reply_to_rating.validator
    def _validate_reply(self, reply: RectificationReply) -> None:
        task = self.book.rectification
        if task is None or self.rectification_reply is not None:
            raise ValueError("stage: no rectification (整改) is open")
        if task.department != reply.department:
            raise ValueError(f"department: the rectification belongs to {task.department}")

    @workflow.update
    async def record_return_visit(self, visit: ReturnVisit) -> CaseStatus:
        self.return_visit = visit
        await steps.record(
            self.book,
            ReturnVisited(
                department=visit.department,
                actor_role="officer",
                outcome="satisfied" if visit.satisfied else "unsatisfied",
                officer=visit.officer,
            ),
        )
        return self.book.status()

    @record_return_visit.validator
    def _validate_visit(self, visit: ReturnVisit) -> None:
        task = self.book.rectification
        if task is None or self.rectification_reply is None or self.return_visit is not None:
            raise ValueError("stage: no return visit (回访) is due")
        if task.department != visit.department:
            raise ValueError(f"department: the return visit belongs to {task.department}")

    @workflow.signal
    async def recount_dues(self, recount: RecountDues) -> None:
        """A holiday notice arrived: count every due again (时限重算); `onething calendar add` sends it."""
        await self.supervision.recount(self.department, recount.year, recount.source)

    # 签收, 转办, 督办: new messages; a case that never receives them runs (and replays) as before.

    @workflow.update
    async def claim_task(self, claim: TaskClaim) -> CaseStatus:
        task = self.book.tasks[claim.task_id]
        task.holder = claim.officer  # before any await: a second claim in this activation sees it held
        await steps.record(
            self.book,
            TaskClaimed(
                department=task.department, planned_at=task.due, task_id=task.task_id, officer=claim.officer
            ),
        )
        return self.book.status()

    @claim_task.validator
    def _validate_claim(self, claim: TaskClaim) -> None:
        task = self._open_task(claim.task_id, claim.department)
        if task.holder == claim.officer:
            raise ValueError(f"task_id: you already hold task {claim.task_id!r}")
        if task.holder is not None:
            raise ValueError(f"holder: task {claim.task_id!r} is held by {task.holder}; ask them for 转办")

    @workflow.update
    async def transfer_task(self, transfer: TaskTransfer) -> CaseStatus:
        task = self.book.tasks[transfer.task_id]
        previous, task.holder = task.holder, transfer.to_officer
        self.transfers += 1
        await steps.record(
            self.book,
            TaskTransferred(
                department=task.department,
                planned_at=task.due,
                task_id=task.task_id,
                from_officer=previous,
                to_officer=transfer.to_officer,
                reason=transfer.reason,
                officer=transfer.officer,
            ),
        )
        await steps.notify(
            self.book,
            f"transfer:{task.task_id}:{self.transfers}",
            task.department,
            {"case_id": self.book.case_id, "task_id": task.task_id, "to_officer": transfer.to_officer},
        )
        return self.book.status()

    @transfer_task.validator
    def _validate_transfer(self, transfer: TaskTransfer) -> None:
        task = self._open_task(transfer.task_id, transfer.department)
        if task.holder is not None and task.holder != transfer.officer:
            raise ValueError(f"holder: task {transfer.task_id!r} held by {task.holder}; only they hand it on")
        if transfer.to_officer in (task.holder, transfer.officer):
            raise ValueError("to_officer: transfer to another officer than the one holding the task")

    @workflow.update
    async def urge_task(self, urge: Urge) -> CaseStatus:
        task = self.book.tasks[urge.task_id]
        self.urges += 1
        await steps.record(
            self.book,
            TaskUrged(
                department=task.department,
                planned_at=task.due,
                task_id=task.task_id,
                holder=task.holder,
                supervisor=urge.supervisor,
                note=urge.note,
            ),
        )
        await steps.notify(
            self.book,
            f"urge:{task.task_id}:{self.urges}",
            task.department,
            {
                "case_id": self.book.case_id,
                "task_id": task.task_id,
                "holder": task.holder,
                "due": task.due.isoformat() if task.due else None,
                "note": urge.note,
            },
        )
        return self.book.status()

    @urge_task.validator
    def _validate_urge(self, urge: Urge) -> None:
        self._open_task(urge.task_id, None)

    def _open_task(self, task_id: str, department: str | None) -> Task:
        book = self.book
        open_case = not (book.withdrawn or book.decided)
        return check_task_action(book.tasks, task_id, department, open_case=open_case)

    @workflow.query
    def status(self) -> CaseStatus:
        return self.book.status()
