"""高效办成大件运输一件事: one oversize-transport submission as one durable case.

received → pre-fill → assess → acceptance (受理 / 补正 with the clock stopped / 不予受理) → parallel
review (highway; urban roads; other provinces) → police countersign → decision → e-seal and
e-licence → 归集, checkpoint push, notice → 办结.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.licensing import CheckpointPush, IssueLicenceInput
    from activities.prefill import PrefillInput, prefill_registries
    from domain.calendar import local_date
    from domain.case import CaseStatus, Opinion, Outcome, Problem, Stage, Step, Withdrawal
    from domain.limits import CaseLimits, oversize_limits
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
    from workflows.steps import CaseBook

PERMIT_TYPE_NAME = "超限运输车辆通行证"


@workflow.defn(name="OversizeTransportCase")
class OversizeTransportCase:
    """One 大件运输 case, from portal submission to 办结.

    Input: `OversizeSubmission`. Returns the final `CaseStatus` (outcome, reasons, licence ids).

    Messages:
    - update `submit_opinion(Opinion)`: a department answers its open review or countersign task.
      Rejected (no history event) for an unknown task, another department's task, a second answer,
      or a case past review.
    - update `supplement(OversizeSupplement)`: the applicant answers a 补正 notice (only while one is open).
    - update `withdraw(Withdrawal)`: the applicant withdraws (撤回) before the decision.
    - query `status() -> CaseStatus`.
    """

    def __init__(self) -> None:
        self.book = CaseBook(workflow.info().workflow_id, MATTER)
        self.submission: OversizeSubmission | None = None
        self.pending_supplement: OversizeSupplement | None = None
        self.awaiting_supplement = False

    @workflow.run
    async def run(self, submission: OversizeSubmission) -> CaseStatus:
        book = self.book
        self.submission = submission
        workflow.upsert_search_attributes(
            [sa.MATTER.value_set(MATTER), sa.REGION.value_set(submission.origin_province)]
        )
        await steps.record(book, Step.RECEIVED, department=Department.HIGHWAY, actor_role="portal")

        accepted = await self._accept(submission)
        if accepted is None:
            return book.status()
        submission, facts, assessment, problems = accepted
        permit_class = assessment.permit_class
        assert permit_class is not None  # acceptance refuses cases that need no permit
        limits = oversize_limits(permit_class, submission.request.cross_province)
        await self._start_clock(limits)

        if not await self._review(submission, facts, assessment, problems, limits):
            return await self._withdrawn()
        if refused := steps.refusals(book):
            return await self._decide_refusal(refused)

        if (spec := countersign_task(submission, permit_class)) is not None:
            steps.enter_stage(book, Stage.COUNTERSIGN)
            due = await steps.due_dates(workflow.now(), {spec.task_id: limits.countersign_task})
            await steps.open_task(
                book,
                spec.task_id,
                spec.department,
                spec.kind,
                spec.title,
                due[spec.task_id],
                limits.countersign_task,
            )
            if not await steps.wait_for_tasks(book, [spec.task_id]):
                return await self._withdrawn()
            if refused := steps.refusals(book):
                return await self._decide_refusal(refused)

        return await self._approve(submission)

    # --- acceptance (受理) --------------------------------------------------------------------------

    async def _accept(
        self, submission: OversizeSubmission
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
            book.permit_class = assessment.permit_class.value if assessment.permit_class else None
            decision = acceptance(submission, assessment, problems)
            steps.enter_stage(book, Stage.ACCEPTANCE)
            if book.withdrawn:
                await self._withdrawn()
                return None
            if decision.verdict is Verdict.ACCEPT:
                book.problems = []
                book.reasons = decision.reasons
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

    async def _ask_for_supplement(self, decision: AcceptanceDecision) -> OversizeSupplement | None:
        """补正: name every missing item once, stop the clock, wait for the applicant within the limit."""
        book = self.book
        book.problems = decision.missing
        book.reasons = decision.reasons
        limit = oversize_limits(PermitClass(book.permit_class or "I"), False).supplement_reply
        reply_due = (await steps.due_dates(workflow.now(), {"supplement": limit}))["supplement"]
        steps.enter_stage(book, Stage.SUPPLEMENT)
        missing = [p.model_dump() for p in decision.missing]
        await steps.record(
            book,
            Step.SUPPLEMENT,
            department=Department.HIGHWAY,
            actor_role="system",
            planned_at=reply_due,
            limit_working_days=limit,
            detail={"missing": missing},
        )
        await steps.record(
            book,
            Step.CLOCK_STOP,
            department=Department.HIGHWAY,
            actor_role="system",
            detail={"reason": "补正"},
        )
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
            await steps.close_case(
                book,
                Outcome.SUPPLEMENT_EXPIRED,
                Department.HIGHWAY,
                ["申请人未在补正期限内补正，申请终止"],
            )
            return None
        self.awaiting_supplement = False
        if book.withdrawn:
            await self._withdrawn()
            return None
        await steps.record(
            book,
            Step.CLOCK_RESUME,
            department=Department.HIGHWAY,
            actor_role="applicant",
            detail={"reason": "补正已提交"},
        )
        supplement, self.pending_supplement = self.pending_supplement, None
        return supplement

    async def _not_accept(self, decision: AcceptanceDecision, after_supplement: bool) -> None:
        reasons = (
            decision.reasons
            if not after_supplement or decision.verdict is Verdict.NOT_ACCEPT
            else ["补正后材料仍不齐全或与登记数据不符：" + "；".join(decision.reasons)]
        )
        await steps.record(
            book := self.book,
            Step.NOT_ACCEPTED,
            department=Department.HIGHWAY,
            actor_role="system",
            outcome="不予受理",
            detail={"reasons": reasons},
        )
        await steps.notify(book, "not_accepted", "applicant", {"case_id": book.case_id, "reasons": reasons})
        await steps.close_case(book, Outcome.NOT_ACCEPTED, Department.HIGHWAY, reasons)

    async def _start_clock(self, limits: CaseLimits) -> None:
        """受理: the statutory and promised clocks start now (the start day is not counted)."""
        book = self.book
        due = await steps.due_dates(
            workflow.now(), {"promised": limits.promised, "statutory": limits.statutory}
        )
        book.due, book.statutory_due = due["promised"], due["statutory"]
        await steps.record(
            book,
            Step.ACCEPTED,
            department=Department.HIGHWAY,
            actor_role="system",
            outcome="受理",
            planned_at=book.due,
            limit_working_days=limits.promised,
            detail={
                "statutory_due": book.statutory_due.isoformat(),
                "statutory_working_days": limits.statutory,
                "permit_class": book.permit_class,
            },
        )

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
        limit_of = {spec.task_id: self._limit_for(spec, limits) for spec in specs}
        dues = await steps.due_dates(workflow.now(), {t: n for t, n in limit_of.items()})
        for spec in specs:
            await steps.open_task(
                book,
                spec.task_id,
                spec.department,
                spec.kind,
                spec.title,
                dues[spec.task_id],
                limit_of[spec.task_id],
            )
        approved, reasons = auto_approval(submission, assessment, facts, problems)
        book.reasons = book.reasons + reasons
        if approved:
            await steps.answer_task(
                book,
                Opinion(
                    task_id="review:highway",
                    department=Department.HIGHWAY,
                    approve=True,
                    reason="；".join(reasons),
                ),
                by_rules=True,
            )
        return await steps.wait_for_tasks(book, [spec.task_id for spec in specs])

    @staticmethod
    def _limit_for(spec: TaskSpec, limits: CaseLimits) -> int:
        if spec.department.startswith("province:"):
            return limits.province_task
        return limits.review_task

    # --- decision (决定) and issuing (制证) ----------------------------------------------------------

    async def _decide_refusal(self, refused: list[str]) -> CaseStatus:
        book = self.book
        steps.enter_stage(book, Stage.DECISION)
        await steps.record(
            book,
            Step.DECIDED,
            department=Department.HIGHWAY,
            actor_role="system",
            outcome="不予许可",
            planned_at=book.due,
            detail={"reasons": refused},
        )
        await steps.notify(book, "refused", "applicant", {"case_id": book.case_id, "reasons": refused})
        return await steps.close_case(book, Outcome.REFUSED, Department.HIGHWAY, refused)

    async def _approve(self, submission: OversizeSubmission) -> CaseStatus:
        book = self.book
        steps.enter_stage(book, Stage.DECISION)
        book.conditions = [c for t in book.tasks.values() for c in t.conditions]
        await steps.record(
            book,
            Step.DECIDED,
            department=Department.HIGHWAY,
            actor_role="system",
            outcome="准予许可",
            planned_at=book.due,
            detail={"conditions": book.conditions},
        )
        steps.enter_stage(book, Stage.ISSUING)
        await steps.sign_and_issue(book, self._licence_input(submission))
        return await steps.close_case(book, Outcome.APPROVED, Department.HIGHWAY, book.reasons)

    def _licence_input(self, submission: OversizeSubmission) -> IssueLicenceInput:
        req = submission.request
        facts_route = [f"{s.road} {s.from_}—{s.to}（{s.province}）" for s in submission.route]
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
                "route": facts_route,
                "conditions": self.book.conditions,
            },
            checkpoints=[
                CheckpointPush(road=s.road, from_=s.from_, to=s.to, province=s.province)
                for s in submission.route
            ],
            notice={"case_id": self.book.case_id, "outcome": "approved"},
        )

    async def _withdrawn(self) -> CaseStatus:
        book = self.book
        await steps.record(
            book, Step.WITHDRAWN, department=Department.HIGHWAY, actor_role="applicant", outcome="撤回"
        )
        return await steps.close_case(book, Outcome.WITHDRAWN, Department.HIGHWAY, ["申请人撤回申请"])

    # --- messages -----------------------------------------------------------------------------------

    @workflow.update
    async def submit_opinion(self, opinion: Opinion) -> CaseStatus:
        await steps.answer_task(self.book, opinion)
        return self.book.status()

    @submit_opinion.validator
    def _validate_opinion(self, opinion: Opinion) -> None:
        steps.check_opinion(self.book, opinion)

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

    @workflow.query
    def status(self) -> CaseStatus:
        return self.book.status()
