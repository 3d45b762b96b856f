"""Review: 承办 of the department tasks, their answers (审核, 会签), and 签收/转办/督办 on the way.

`review_stage` tells the stage: enter it, open every task at once (`open_tasks`, each watched by the
supervision), let rules answer what they may (智能审批), wait for the answers (`wait_for_tasks`).
Officers answer through `answer_task`; they claim (签收) and hand on (转办) a task, and a supervisor
urges it (督办); 停表/复表 is open to an officer with a task during review (`check_officer_in_review`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import (
        CaseStatus,
        Opinion,
        Stage,
        Step,
        Task,
        TaskClaim,
        TaskSpec,
        TaskTransfer,
        Urge,
        check_task_action,
    )
    from domain.case import check_opinion as check_task_opinion
    from domain.events import TaskAnswered, TaskAssigned, TaskClaimed, TaskTransferred, TaskUrged
    from workflows.case import effects
    from workflows.case.book import CaseBook, current_details, enter_stage
    from workflows.case.state import Case


async def review_stage(
    case: Case,
    stage: Stage,
    specs: list[TaskSpec],
    limit_of: dict[str, int],
    *,
    by_rules: list[Opinion] | None = None,
    blocking: list[str] | None = None,
) -> bool:
    """A supervised review or countersign stage (并联审核, 会签): enter it, open every task at once
    (`open_tasks`), let rules answer the tasks they may (智能审批: recorded as by rules, never
    watched), and wait for the answers (`wait_for_tasks`; `blocking` as there). False when the
    applicant withdrew meanwhile."""
    book = case.book
    enter_stage(book, stage)
    ruled = by_rules or []
    await open_tasks(case, specs, limit_of, stage=stage.value, auto={o.task_id for o in ruled})
    for opinion in ruled:
        await answer_task(book, opinion, by_rules=True)
    return await wait_for_tasks(book, [spec.task_id for spec in specs], blocking=blocking)


async def open_tasks(
    case: Case, specs: list[TaskSpec], limit_of: dict[str, int], *, stage: str, auto: set[str] | None = None
) -> None:
    """承办: open the tasks at once with their limits; watch each one a person must answer (催办 at
    its warning time, a yellow card at its due) and the stage as a whole (yellow card when the
    slowest limit passes). Tasks in `auto` are answered by rules and not watched."""
    book, sup = case.book, case.supervision
    humans = [spec for spec in specs if spec.task_id not in (auto or set())]
    limits = {f"task:{spec.task_id}": limit_of[spec.task_id] for spec in humans}
    if humans:
        limits[f"stage:{stage}"] = max(limit_of[spec.task_id] for spec in humans)
    due = await sup.set_limits(workflow.now(), limits) if limits else {}
    for spec in specs:
        await open_task(
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
            done=task_settled(case, spec.task_id),
        )
    if humans:
        waiting = [spec.task_id for spec in humans]
        sup.watch(
            f"stage:{stage}",
            department=case.department,
            scope="stage",
            warn=False,
            done=lambda: case.closed() or all(book.tasks[t].answered for t in waiting if t in book.tasks),
        )


def task_settled(case: Case, task_id: str) -> Callable[[], bool]:
    """Done watching a task once it is answered, closed with the case, or the case has ended."""
    book = case.book
    return lambda: task_id not in book.tasks or book.tasks[task_id].answered or case.closed()


async def open_task(
    book: CaseBook, task_id: str, department: str, kind: str, title: str, due: datetime | None, limit: int
) -> Task:
    task = Task(
        task_id=task_id, department=department, kind=kind, title=title, opened_at=workflow.now(), due=due
    )
    book.tasks[task_id] = task
    await effects.record(
        book,
        TaskAssigned(
            department=department,
            actor_role="system",
            planned_at=due,
            limit_working_days=limit,
            task_id=task_id,
            title=title,
        ),
    )
    return task


# --- the answers (审核, 会签) ----------------------------------------------------------------------


def check_opinion(book: CaseBook, opinion: Opinion) -> Task:
    """The update validator's rule (domain.case.check_opinion) on this case's tasks and stage; raising
    here rejects the update before anything is written to the history."""
    return check_task_opinion(
        book.tasks, opinion, stage=book.stage, open_for_opinions=not (book.withdrawn or book.decided)
    )


async def answer_task(book: CaseBook, opinion: Opinion, *, by_rules: bool = False) -> Task:
    """Apply an opinion to its task and write 审核/会签 to the ledger."""
    task = book.tasks[opinion.task_id]
    # Mark first, before any await: a second update in the same activation then sees it answered.
    task.answered = True
    task.approve = opinion.approve
    task.reason = opinion.reason
    task.conditions = list(opinion.conditions)
    task.by_rules = by_rules
    workflow.set_current_details(current_details(book))
    await effects.record(
        book,
        TaskAnswered(
            step=Step.COUNTERSIGNED if task.kind == "countersign" else Step.REVIEWED,
            department=task.department,
            actor_role="rules" if by_rules else "officer",
            outcome="approve" if opinion.approve else "refuse",
            planned_at=task.due,
            task_id=task.task_id,
            reason=opinion.reason,
            conditions=task.conditions,
            officer=None if by_rules else opinion.officer,
        ),
        once_as=f"task:{task.task_id}",  # one answer per task, whatever order the answers came in
    )
    return task


async def wait_for_tasks(book: CaseBook, task_ids: list[str], *, blocking: list[str] | None = None) -> bool:
    """Wait until every task is answered, or a refusal of a blocking task makes the rest moot; False
    when withdrawn. Every task blocks unless `blocking` names those whose refusal refuses the case (a
    refused 道路运输证 leaves the other trucks' reviews running; a refused permit review does not)."""
    blockers = task_ids if blocking is None else blocking
    await workflow.wait_condition(
        lambda: (
            book.withdrawn
            or all(book.tasks[t].answered for t in task_ids)
            or any(book.tasks[t].answered and book.tasks[t].approve is False for t in blockers)
        )
    )
    return not book.withdrawn


def refusals(book: CaseBook) -> list[str]:
    return [f"{t.title}：{t.reason}" for t in book.tasks.values() if t.answered and t.approve is False]


def close_unanswered(book: CaseBook) -> None:
    """Tasks left open when the case ends (a refusal elsewhere, a withdrawal) are closed, not answered."""
    for task_id in [t.task_id for t in book.tasks.values() if not t.answered]:
        del book.tasks[task_id]


# --- 签收, 转办, 督办 (the task actions), 停表 during review --------------------------------------


async def claim_task(case: Case, claim: TaskClaim) -> CaseStatus:
    """签收: the officer holds the task."""
    book = case.book
    task = book.tasks[claim.task_id]
    task.holder = claim.officer  # before any await: a second claim in this activation sees it held
    await effects.record(
        book,
        TaskClaimed(
            department=task.department, planned_at=task.due, task_id=task.task_id, officer=claim.officer
        ),
    )
    return book.status()


def check_claim(case: Case, claim: TaskClaim) -> None:
    task = open_task_for_action(case.book, claim.task_id, claim.department)
    if task.holder == claim.officer:
        raise ValueError(f"task_id: you already hold task {claim.task_id!r}")
    if task.holder is not None:
        raise ValueError(f"holder: task {claim.task_id!r} is held by {task.holder}; ask them for 转办")


async def transfer_task(case: Case, transfer: TaskTransfer) -> CaseStatus:
    """转办: the holder hands the task on within the department; that department hears of it."""
    book = case.book
    task = book.tasks[transfer.task_id]
    previous, task.holder = task.holder, transfer.to_officer
    case.transfers += 1
    await effects.record(
        book,
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
    await effects.notify(
        book,
        f"transfer:{task.task_id}:{case.transfers}",
        task.department,
        {"case_id": book.case_id, "task_id": task.task_id, "to_officer": transfer.to_officer},
    )
    return book.status()


def check_transfer(case: Case, transfer: TaskTransfer) -> None:
    task = open_task_for_action(case.book, transfer.task_id, transfer.department)
    if task.holder is not None and task.holder != transfer.officer:
        raise ValueError(f"holder: task {transfer.task_id!r} held by {task.holder}; only they hand it on")
    if transfer.to_officer in (task.holder, transfer.officer):
        raise ValueError("to_officer: transfer to another officer than the one holding the task")


async def urge_task(case: Case, urge: Urge) -> CaseStatus:
    """督办 by a supervisor: a ledger event and a notice to the task's department."""
    book = case.book
    task = book.tasks[urge.task_id]
    case.urges += 1
    await effects.record(
        book,
        TaskUrged(
            department=task.department,
            planned_at=task.due,
            task_id=task.task_id,
            holder=task.holder,
            supervisor=urge.supervisor,
            note=urge.note,
        ),
    )
    await effects.notify(
        book,
        f"urge:{task.task_id}:{case.urges}",
        task.department,
        {
            "case_id": book.case_id,
            "task_id": task.task_id,
            "holder": task.holder,
            "due": task.due.isoformat() if task.due else None,
            "note": urge.note,
        },
    )
    return book.status()


def open_task_for_action(book: CaseBook, task_id: str, department: str | None) -> Task:
    open_case = not (book.withdrawn or book.decided)
    return check_task_action(book.tasks, task_id, department, open_case=open_case)


def check_officer_in_review(book: CaseBook, department: str) -> None:
    """停表/复表 is for an officer whose department has a task, during review."""
    if book.stage not in (Stage.REVIEW, Stage.COUNTERSIGN) or book.withdrawn:
        raise ValueError(f"stage: the clock can be stopped only during review, not at {book.stage.value}")
    if not any(t.department == department for t in book.tasks.values()):
        raise ValueError(f"department: {department} has no task in this case")
