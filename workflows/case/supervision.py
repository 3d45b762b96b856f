"""Efficiency e-supervision inside a case (行政效能电子监察): limits, 停表/复表, warnings and cards.

Every limit a case runs against has a name ("promised", "statutory", "task:review:highway", …), a due
time and a warning time (one working day earlier), both from the calendar activity. A watcher per
limit sleeps on a durable timer until the warning, then until the due time, and writes 催办 or a card
to the ledger unless its work was done first. Stopping the clock (补正, 加固改造, 专家评审) freezes
every watcher; resuming moves every due time by the stopped working days, through the calendar
activity, and the watchers wake up to the new times.

A due counted through a year without a State Council notice is provisional (`provisional`): the
case's status, the `OnethingDuesProvisional` search attribute and its ledger events say so. When
the notice arrives, `recount` counts every due again from how it was counted (`basis`: start,
working days, the stops that moved it), writes 时限重算 with the old and new dues, re-arms the
watchers, and withdraws (撤销监察) a card or 催办 raised before the time the official calendar sets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.deadlines import (
        LimitBasis,
        MoveDueDatesInput,
        RecountInput,
        StopPeriod,
        move_due_dates,
        recount_due_dates,
    )
    from domain.case import Card
    from domain.events import (
        ActorRole,
        CardRaised,
        CardWithdrawn,
        ClockResumed,
        ClockStopped,
        DuesRecounted,
        Scope,
    )
    from workflows import search_attributes as sa
    from workflows.case import effects
    from workflows.case.book import CaseBook, show

WARN = "warn:"


class _WatchSpec(NamedTuple):
    department: str
    scope: Scope
    done: Callable[[], bool]
    warn: bool
    card: Card
    task_id: str | None


class Supervision:
    """The limits of one case and the clock they run on."""

    def __init__(self, book: CaseBook) -> None:
        self.book = book
        self.due: dict[str, datetime] = {}
        self.limit_days: dict[str, int] = {}
        self.stopped_at: datetime | None = None
        self.stop_reason: str | None = None
        self.stopped_by: str | None = None  # the department that stopped the clock
        self.version = 0  # bumped on every change of the clock, so watchers re-read their times
        self.card: Card | None = None
        self.watchers: list[asyncio.Task[None]] = []
        # name -> the years its due was counted through provisionally (only such names).
        self.provisional: dict[str, list[int]] = {}
        # name -> how its due was counted, to count it again (时限重算) on a newer calendar.
        self.basis: dict[str, LimitBasis] = {}
        # name -> the cards its watcher raised, and what it needs to watch again after a withdrawal.
        self.raised: dict[str, list[Card]] = {}
        self._specs: dict[str, _WatchSpec] = {}
        self._watcher_of: dict[str, asyncio.Task[None]] = {}
        self._recounting = asyncio.Lock()

    @property
    def stopped(self) -> bool:
        return self.stopped_at is not None

    async def set_limits(self, start: datetime, working_days: dict[str, int]) -> dict[str, datetime]:
        """Due and warning times for limits counted from `start` (the start day is not counted)."""
        ask = dict(working_days)
        ask.update({WARN + name: effects.warning_day(n) for name, n in working_days.items()})
        counted = await effects.count_due_dates(self.book, start, ask)
        due = counted.due
        self.due.update(due)
        self.limit_days.update(working_days)
        for name in ask:
            self.provisional.pop(name, None)
            self.basis[name] = LimitBasis(start=start, working_days=ask[name])
        self.provisional.update(counted.provisional_years)
        self._publish()
        self._mark_provisional()
        return {name: due[name] for name in working_days}

    def _mark_provisional(self) -> None:
        """Show in the status and the search attribute whether any due is provisional.

        Only a change is upserted: histories recorded before provisional years existed never carry a
        provisional due, so they replay without a new command.
        """
        provisional = bool(self.provisional)
        if provisional != self.book.dues_provisional:
            self.book.dues_provisional = provisional
            show(self.book, [sa.DUES_PROVISIONAL.value_set(provisional)])

    def _publish(self) -> None:
        book = self.book
        book.due = self.due.get("promised", book.due)
        book.statutory_due = self.due.get("statutory", book.statutory_due)
        for task in book.tasks.values():
            task.due = self.due.get(f"task:{task.task_id}", task.due)
        book.clock_stopped = self.stop_reason
        book.clock_stopped_by = self.stopped_by
        self.version += 1

    # --- 停表 / 复表 ------------------------------------------------------------------------------

    async def stop(
        self, reason: str, department: str, actor_role: ActorRole, officer: str | None = None
    ) -> None:
        self.stopped_at, self.stop_reason = workflow.now(), reason
        self.stopped_by = department  # only this department restarts it (复表)
        self._publish()
        await effects.record(
            self.book,
            ClockStopped(department=department, actor_role=actor_role, reason=reason, officer=officer),
        )

    async def resume(self, department: str, actor_role: ActorRole, officer: str | None = None) -> int:
        """Restart the clock; every due moves by the stopped working days. Returns that number."""
        assert self.stopped_at is not None
        reason = self.stop_reason
        moved = await effects.run_local(
            self.book,
            move_due_dates,
            MoveDueDatesInput(due=self.due, stopped_at=self.stopped_at, resumed_at=workflow.now()),
            "move due dates (复表)",
        )
        self.due = moved.due
        stop = StopPeriod(stopped_at=self.stopped_at, resumed_at=workflow.now())
        for name in moved.due:
            if name in self.basis:
                self.basis[name].stops.append(stop)
        for name, years in moved.provisional_years.items():
            self.provisional[name] = sorted({*self.provisional.get(name, []), *years})
        self.stopped_at, self.stop_reason, self.stopped_by = None, None, None
        self._publish()
        self._mark_provisional()
        await effects.record(
            self.book,
            ClockResumed(
                department=department,
                actor_role=actor_role,
                planned_at=self.book.due,
                reason=reason,
                stopped_working_days=moved.stopped_working_days,
                promised_due=self.book.due,
                statutory_due=self.book.statutory_due,
                moved={name: when for name, when in moved.due.items() if not name.startswith(WARN)},
                officer=officer,
            ),
        )
        return moved.stopped_working_days

    # --- watchers ---------------------------------------------------------------------------------

    def watch(
        self,
        name: str,
        *,
        department: str,
        scope: Scope,
        done: Callable[[], bool],
        warn: bool = True,
        card: Card = Card.YELLOW,
        task_id: str | None = None,
    ) -> None:
        """Watch limit `name` until `done()`: 催办 at its warning time, `card` at its due time."""
        self._specs[name] = _WatchSpec(department, scope, done, warn, card, task_id)
        task = asyncio.create_task(self._watch(name, department, scope, done, warn, card, task_id))
        self._watcher_of[name] = task
        self.watchers.append(task)

    async def _watch(
        self,
        name: str,
        department: str,
        scope: Scope,
        done: Callable[[], bool],
        warn: bool,
        card: Card,
        task_id: str | None,
    ) -> None:
        cards = [Card.WARNING, card] if warn else [card]
        while not done():
            # What is still to raise: a card withdrawn by a recount is pending again.
            pending = [c for c in cards if c not in self.raised.get(name, [])]
            if not pending:
                break
            moved_or_done = self.moved_or_done(done)
            fire_at = self.due[WARN + name if pending[0] is Card.WARNING else name]
            if self.stopped:
                # The clock stands still: no limit runs out until it resumes.
                await workflow.wait_condition(moved_or_done)
                continue
            delay = fire_at - workflow.now()
            if delay.total_seconds() > 0:
                try:
                    await workflow.wait_condition(
                        moved_or_done,
                        timeout=delay,
                        timeout_summary=f"{pending[0].value} {name}",
                    )
                    continue  # done, or the dues moved: look again
                except TimeoutError:
                    pass
            await self._raise(pending[0], name, department, scope, task_id)

    def moved_or_done(self, done: Callable[[], bool]) -> Callable[[], bool]:
        """A wake-up condition: the work is done, or the clock changed since now."""
        version = self.version
        return lambda: done() or self.version != version

    async def _raise(self, card: Card, name: str, department: str, scope: Scope, task_id: str | None) -> None:
        book = self.book
        self.raised.setdefault(name, []).append(card)  # before any await: the watcher loop reads it
        if self.card is None or card.rank > self.card.rank:
            self.card = card
            book.card = card.value
            show(book, [sa.CARD.value_set(card.value)])
        await effects.record(
            book,
            CardRaised(
                step=card.step,  # type: ignore[arg-type]  # a card's step is one of the four
                department=department,
                planned_at=self.due[name],
                limit_working_days=self.limit_days.get(name),
                scope=scope,
                limit=name,
                task_id=task_id,
            ),
        )
        if card is Card.WARNING:
            # 催办: the responsible department hears about it, once per limit.
            await effects.notify(
                book,
                f"warning:{name}",
                department,
                {"case_id": book.case_id, "limit": name, "due": self.due[name].isoformat()},
            )

    # --- 时限重算: a notice arrived ------------------------------------------------------------------

    async def recount(self, department: str, year: int, source: str | None) -> bool:
        """Count every due again on the calendar of now; True if any due or its provisional mark changed.

        Writes 时限重算 with the old and new dues, lets the watchers wake to the new times, and withdraws
        each card or 催办 raised before the time the new count sets (the watcher raises it again then).
        """
        async with self._recounting:
            self.book.counted_for = None  # counts kept for the day (effects.count_due_dates) are stale
            if not self.basis:
                return False
            counted = await effects.run_local(
                self.book,
                recount_due_dates,
                RecountInput(limits=self.basis),
                f"recount due dates (时限重算 {year})",
            )
            old = dict(self.due)
            was_provisional = dict(self.provisional)
            self.due.update(counted.due)
            self.provisional = dict(counted.provisional_years)
            moved = sorted(n for n in counted.due if old.get(n) != counted.due[n])
            if not moved and was_provisional == self.provisional:
                return False
            changed = [n for n in moved if not n.startswith(WARN)]  # the ledger shows the limits
            self._publish()
            self._mark_provisional()
            await effects.record(
                self.book,
                DuesRecounted(
                    department=department,
                    actor_role="system",
                    planned_at=self.book.due,
                    year=year,
                    source=source,
                    old_due={n: old[n] for n in changed if n in old},
                    new_due={n: self.due[n] for n in changed},
                    still_provisional=sorted({y for ys in self.provisional.values() for y in ys}),
                ),
            )
            await self._withdraw_early_cards(department)
            return True

    async def _withdraw_early_cards(self, department: str) -> None:
        now = workflow.now()
        for name, cards in list(self.raised.items()):
            early = [c for c in cards if self.due[WARN + name if c is Card.WARNING else name] > now]
            if not early:
                continue
            self.raised[name] = [c for c in cards if c not in early]
            spec = self._specs.get(name)
            for card in early:
                await effects.record(
                    self.book,
                    CardWithdrawn(
                        department=spec.department if spec else department,
                        actor_role="system",
                        planned_at=self.due[name],
                        card=card.value,
                        limit=name,
                        reason="时限重算",
                    ),
                )
            watcher = self._watcher_of.get(name)
            if spec is not None and (watcher is None or watcher.done()):
                self.watch(
                    name,
                    department=spec.department,
                    scope=spec.scope,
                    done=spec.done,
                    warn=spec.warn,
                    card=spec.card,
                    task_id=spec.task_id,
                )
        gravest = max((c for cs in self.raised.values() for c in cs), key=lambda c: c.rank, default=None)
        if gravest is not self.card:
            self.card = gravest
            self.book.card = gravest.value if gravest else None
            show(self.book, [sa.CARD.value_set(gravest.value if gravest else "none")])

    async def settle(self) -> None:
        """Let every watcher see that its work is done, so none is left mid-write at the end."""
        await workflow.wait_condition(lambda: all(w.done() for w in self.watchers))
