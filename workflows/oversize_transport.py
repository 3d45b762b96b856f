"""高效办成大件运输一件事: one oversize-transport submission as one durable case.

received → pre-fill → assess → acceptance (受理 / 补正 with the clock stopped / 不予受理) → parallel
review (highway; urban roads; other provinces) → police countersign → decision → e-seal and
e-licence → 归集, checkpoint push, notice → 办结 → 好差评.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.licensing import CheckpointPush, IssueLicenceInput
    from activities.prefill import PrefillInput, prefill_registries
    from domain.calendar import local_date
    from domain.case import Card, CaseStatus, Opinion, Outcome, Problem, Stage, Step
    from domain.limits import HUNAN_STAGE_SPLIT, CaseLimits, oversize_limits
    from domain.oversize import Assessment, PermitClass, assess
    from domain.oversize_case import (
        MATTER,
        AcceptanceDecision,
        Department,
        OversizeSubmission,
        OversizeSupplement,
        RegistryFacts,
        TaskSpec,
        Verdict,
        acceptance,
        apply_supplement,
        auto_approval,
        carrier_standing,
        countersign_task,
        registry_problems,
        review_tasks,
    )
    from workflows import search_attributes as sa
    from workflows import steps
    from workflows.case_base import CaseWorkflow

PERMIT_TYPE_NAME = "超限运输车辆通行证"
HIGHWAY = Department.HIGHWAY.value


@workflow.defn(name="OversizeTransportCase")
class OversizeTransportCase(CaseWorkflow):
    """One 大件运输 case, from portal submission to 办结 and its evaluation.

    Input: `OversizeSubmission`. Returns the final `CaseStatus` (outcome, reasons, licence ids, rating).

    Messages (updates are validated: a rejected one leaves no event in the history):
    - `submit_opinion(Opinion)`: a department answers its open review or countersign task.
    - `supplement(OversizeSupplement)`: the applicant answers the 补正 notice while it is open.
    - `withdraw(Withdrawal)`: the applicant withdraws (撤回) before the decision.
    - `stop_clock(ClockStop)` / `resume_clock(ClockResume)`: an officer with a task stops the clock
      for 加固改造 or 专家评审 and restarts it; every due moves by the stopped working days.
    - `rate(Rating)`, then for a bad rating `reply_to_rating` and `record_return_visit` (好差评, 整改, 回访).
    - query `status() -> CaseStatus`.

    Supervision: the promised limit runs from receipt, the statutory one from 受理; each task and
    waiting stage has its own limit; 催办, yellow and red cards go to the ledger and the Card search
    attribute.
    """

    def __init__(self) -> None:
        super().__init__(MATTER)
        self.submission: OversizeSubmission | None = None
        self.pending_supplement: OversizeSupplement | None = None
        self.awaiting_supplement = False
        self.limits: CaseLimits | None = None

    @workflow.run
    async def run(self, submission: OversizeSubmission) -> CaseStatus:
        book = self.book
        self.submission = submission
        received_at = workflow.now()
        workflow.upsert_search_attributes(
            [sa.MATTER.value_set(MATTER), sa.REGION.value_set(submission.origin_province)]
        )
        await steps.record(book, Step.RECEIVED, department=HIGHWAY, actor_role="portal")

        accepted = await self._accept(submission, received_at)
        if accepted is None:
            return await self._after_close()
        submission, facts, assessment, problems = accepted
        limits = self.limits
        assert limits is not None and assessment.permit_class is not None

        if not await self._review(submission, facts, assessment, problems, limits):
            return await self._withdrawn()
        if refused := steps.refusals(book):
            return await self._decide_refusal(refused)

        if (spec := countersign_task(submission, assessment.permit_class)) is not None:
            steps.enter_stage(book, Stage.COUNTERSIGN)
            await self._open_tasks([spec], {spec.task_id: limits.countersign_task}, stage="countersign")
            if not await steps.wait_for_tasks(book, [spec.task_id]):
                return await self._withdrawn()
            if refused := steps.refusals(book):
                return await self._decide_refusal(refused)

        return await self._approve(submission)

    # --- acceptance (受理) --------------------------------------------------------------------------

    async def _accept(
        self, submission: OversizeSubmission, received_at: datetime
    ) -> tuple[OversizeSubmission, RegistryFacts, Assessment, list[Problem]] | None:
        """Pre-fill, assess and decide acceptance; at most one 补正 round (行政许可法 Art. 32)."""
        book = self.book
        supplemented = False
        while True:
            steps.enter_stage(book, Stage.PREFILL)
            facts = await steps.run_remote(
                prefill_registries,
                PrefillInput(
                    carrier_code=submission.carrier_code,
                    tractor_plate=submission.tractor_plate,
                    trailer_plate=submission.trailer_plate,
                    driver_qualification=submission.driver_qualification,
                ),
                "registry look-ups (免提交)",
            )
            today = local_date(workflow.now())
            assessment = assess(submission.request, carrier_standing(facts), today)
            problems = registry_problems(submission, facts, today)
            decision = acceptance(submission, assessment, problems)
            if assessment.permit_class is not None:
                book.permit_class = assessment.permit_class.value
                await self._start_promised_clock(assessment.permit_class, submission, received_at)
            steps.enter_stage(book, Stage.ACCEPTANCE)
            if book.withdrawn:
                await self._withdrawn_close()
                return None
            if decision.verdict is Verdict.ACCEPT:
                book.problems = []
                book.reasons = decision.reasons
                await self._start_statutory_clock()
                return submission, facts, assessment, problems
            if decision.verdict is Verdict.NOT_ACCEPT or supplemented:
                await self._not_accept(decision, supplemented)
                return None
            supplement = await self._ask_for_supplement(decision)
            if supplement is None:
                return None
            submission = apply_supplement(submission, supplement)
            self.submission = submission
            supplemented = True

    async def _start_promised_clock(
        self, cls: PermitClass, submission: OversizeSubmission, received_at: datetime
    ) -> None:
        """The promised limit (承诺时限) counts from receipt; 受理 has its own stage limit within it."""
        if self.limits is not None:
            return
        self.limits = limits = oversize_limits(cls, submission.request.cross_province)
        acceptance_days = min(HUNAN_STAGE_SPLIT["acceptance"], limits.promised)
        await self.supervision.set_limits(
            received_at, {"promised": limits.promised, "stage:acceptance": acceptance_days}
        )
        self.supervision.watch("promised", department=HIGHWAY, scope="case", card=Card.RED, done=self._closed)
        self.supervision.watch(
            "stage:acceptance",
            department=HIGHWAY,
            scope="stage",
            done=lambda: (
                self._closed() or self.book.stage not in (Stage.PREFILL, Stage.ACCEPTANCE, Stage.SUPPLEMENT)
            ),
        )

    async def _start_statutory_clock(self) -> None:
        """受理: the statutory limit (Art. 15) counts from acceptance (the start day is not counted)."""
        book, limits = self.book, self.limits
        assert limits is not None
        await self.supervision.set_limits(workflow.now(), {"statutory": limits.statutory})
        self.supervision.watch(
            "statutory",
            department=HIGHWAY,
            scope="case",
            warn=False,
            card=Card.RED_STATUTORY,
            done=self._closed,
        )
        workflow.upsert_search_attributes([sa.PERMIT_CLASS.value_set(book.permit_class or "")])
        await steps.record(
            book,
            Step.ACCEPTED,
            department=HIGHWAY,
            actor_role="system",
            outcome="受理",
            planned_at=book.due,
            limit_working_days=limits.promised,
            detail={
                "permit_class": book.permit_class,
                "statutory_due": book.statutory_due.isoformat() if book.statutory_due else None,
                "statutory_working_days": limits.statutory,
                "promised_working_days": limits.promised,
            },
        )

    def _closed(self) -> bool:
        return self.book.outcome is not None

    async def _ask_for_supplement(self, decision: AcceptanceDecision) -> OversizeSupplement | None:
        """补正: name every missing item once, stop the clock, wait for the applicant within the limit."""
        book, limits = self.book, self.limits
        assert limits is not None
        book.problems = decision.missing
        book.reasons = decision.reasons
        reply_due = (await steps.due_dates(workflow.now(), {"supplement": limits.supplement_reply}))[
            "supplement"
        ]
        steps.enter_stage(book, Stage.SUPPLEMENT)
        missing = [p.model_dump() for p in decision.missing]
        await steps.record(
            book,
            Step.SUPPLEMENT,
            department=HIGHWAY,
            actor_role="system",
            planned_at=reply_due,
            limit_working_days=limits.supplement_reply,
            detail={"missing": missing},
        )
        await self.supervision.stop("补正", HIGHWAY, "system")
        await steps.notify(
            book,
            "supplement",
            "applicant",
            {"case_id": book.case_id, "missing": missing, "reply_due": reply_due.isoformat()},
        )
        self.awaiting_supplement = True
        try:
            await workflow.wait_condition(
                lambda: self.pending_supplement is not None or book.withdrawn,
                timeout=reply_due - workflow.now(),
                timeout_summary="补正 reply limit",
            )
        except TimeoutError:
            self.awaiting_supplement = False
            await self.close(Outcome.SUPPLEMENT_EXPIRED, HIGHWAY, ["申请人未在补正期限内补正，申请终止"])
            return None
        self.awaiting_supplement = False
        if book.withdrawn:
            await self._withdrawn_close()
            return None
        await self.supervision.resume(HIGHWAY, "applicant")
        supplement, self.pending_supplement = self.pending_supplement, None
        return supplement

    async def _not_accept(self, decision: AcceptanceDecision, after_supplement: bool) -> None:
        reasons = decision.reasons
        if after_supplement and decision.verdict is not Verdict.NOT_ACCEPT:
            reasons = ["补正后材料仍不齐全或与登记数据不符：" + "；".join(decision.reasons)]
        book = self.book
        await steps.record(
            book,
            Step.NOT_ACCEPTED,
            department=HIGHWAY,
            actor_role="system",
            outcome="不予受理",
            detail={"reasons": reasons},
        )
        await steps.notify(book, "not_accepted", "applicant", {"case_id": book.case_id, "reasons": reasons})
        await self.close(Outcome.NOT_ACCEPTED, HIGHWAY, reasons)

    # --- parallel review (并联审核) ------------------------------------------------------------------

    async def _review(
        self,
        submission: OversizeSubmission,
        facts: RegistryFacts,
        assessment: Assessment,
        problems: list[Problem],
        limits: CaseLimits,
    ) -> bool:
        book = self.book
        steps.enter_stage(book, Stage.REVIEW)
        specs = review_tasks(submission)
        approved, reasons = auto_approval(submission, assessment, facts, problems)
        book.reasons = book.reasons + reasons
        auto = {"review:highway"} if approved else set()
        await self._open_tasks(
            specs, {spec.task_id: self._limit_for(spec, limits) for spec in specs}, stage="review", auto=auto
        )
        if approved:
            opinion = Opinion(
                task_id="review:highway", department=HIGHWAY, approve=True, reason="；".join(reasons)
            )
            await steps.answer_task(book, opinion, by_rules=True)
        return await steps.wait_for_tasks(book, [spec.task_id for spec in specs])

    async def _open_tasks(
        self, specs: list[TaskSpec], limit_of: dict[str, int], *, stage: str, auto: set[str] | None = None
    ) -> None:
        """承办: open the tasks with their limits; watch each one a person must answer, and the stage."""
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
                done=self._task_settled(spec.task_id),
            )
        if humans:
            waiting = [spec.task_id for spec in humans]
            sup.watch(
                f"stage:{stage}",
                department=HIGHWAY,
                scope="stage",
                warn=False,
                done=lambda: (
                    self._closed() or all(book.tasks[t].answered for t in waiting if t in book.tasks)
                ),
            )

    def _task_settled(self, task_id: str) -> Callable[[], bool]:
        """Done watching a task once it is answered, closed with the case, or the case has ended."""
        book = self.book
        return lambda: task_id not in book.tasks or book.tasks[task_id].answered or self._closed()

    @staticmethod
    def _limit_for(spec: TaskSpec, limits: CaseLimits) -> int:
        if spec.department.startswith("province:"):
            return limits.province_task
        return limits.review_task

    # --- decision (决定), issuing (制证), closing (办结) ----------------------------------------------

    async def _decide_refusal(self, refused: list[str]) -> CaseStatus:
        book = self.book
        steps.enter_stage(book, Stage.DECISION)
        await steps.record(
            book,
            Step.DECIDED,
            department=HIGHWAY,
            actor_role="system",
            outcome="不予许可",
            planned_at=book.due,
            detail={"reasons": refused},
        )
        await steps.notify(book, "refused", "applicant", {"case_id": book.case_id, "reasons": refused})
        await self.close(Outcome.REFUSED, HIGHWAY, refused)
        return await self._after_close()

    async def _approve(self, submission: OversizeSubmission) -> CaseStatus:
        book = self.book
        steps.enter_stage(book, Stage.DECISION)
        book.conditions = [c for t in book.tasks.values() for c in t.conditions]
        await steps.record(
            book,
            Step.DECIDED,
            department=HIGHWAY,
            actor_role="system",
            outcome="准予许可",
            planned_at=book.due,
            detail={"conditions": book.conditions},
        )
        steps.enter_stage(book, Stage.ISSUING)
        await steps.sign_and_issue(book, self._licence_input(submission))
        await self.close(Outcome.APPROVED, HIGHWAY, book.reasons)
        return await self._after_close()

    async def _after_close(self) -> CaseStatus:
        if self.limits is None:  # closed before any class was known: nothing to rate against
            return await steps.finish(self.book)
        return await self.evaluate(self.limits, HIGHWAY)

    def _licence_input(self, submission: OversizeSubmission) -> IssueLicenceInput:
        req = submission.request
        return IssueLicenceInput(
            case_id=self.book.case_id,
            licence_key="permit",
            matter=MATTER,
            type_name=PERMIT_TYPE_NAME,
            holder=submission.carrier_code,  # replaced by the carrier's registered name in the activity
            holder_code=submission.carrier_code,
            valid_from=submission.travel_from,
            valid_to=submission.travel_to,
            particulars={
                "permit_class": self.book.permit_class or "",
                "tractor_plate": submission.tractor_plate,
                "trailer_plate": submission.trailer_plate or "",
                "cargo": req.cargo.name,
                "dimensions": f"{req.loaded.length_m}×{req.loaded.width_m}×{req.loaded.height_m} m",
                "total_mass_kg": f"{req.loaded.total_mass_kg:g}",
                "axles": str(req.vehicle.axles),
                "route": [f"{s.road} {s.from_}—{s.to}（{s.province}）" for s in submission.route],
                "conditions": self.book.conditions,
            },
            checkpoints=[
                CheckpointPush(road=s.road, from_=s.from_, to=s.to, province=s.province)
                for s in submission.route
            ],
            notice={"case_id": self.book.case_id, "outcome": "approved"},
        )

    async def _withdrawn_close(self) -> None:
        await steps.record(
            self.book, Step.WITHDRAWN, department=HIGHWAY, actor_role="applicant", outcome="撤回"
        )
        await self.close(Outcome.WITHDRAWN, HIGHWAY, ["申请人撤回申请"])

    async def _withdrawn(self) -> CaseStatus:
        await self._withdrawn_close()
        return await steps.finish(self.book)

    # --- the 补正 message (this matter's own) ------------------------------------------------------

    @workflow.update
    def supplement(self, supplement: OversizeSupplement) -> CaseStatus:
        self.pending_supplement = supplement
        return self.book.status()

    @supplement.validator
    def _validate_supplement(self, supplement: OversizeSupplement) -> None:
        if not self.awaiting_supplement or self.pending_supplement is not None:
            raise ValueError("stage: no 补正 is open for this case")
        if supplement.is_empty():
            raise ValueError("materials: a supplement must add a material or correct a field")
        assert self.submission is not None
        apply_supplement(self.submission, supplement)  # a bad correction fails here, naming its field
