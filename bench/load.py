"""The figures measured on the running stack: limit, auto path, human path, open cases, history.

Cases are submitted and answered over HTTP, as the provincial portal and the officers' desks do
(except the open cases of figure 4, started with the portal's own start function to fill the server
quickly). "Licence issued" is the case's 制证 event in the supervision ledger: its actual_at is the
workflow time at which the case learnt its licence, so latency = actual_at − the moment the request
that caused it was sent. Both clocks are this machine's.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import os
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.floor_workflow import BenchFloor
from bench.progress import progress
from bench.stack import FLOOR_QUEUE, TRIVIAL_QUEUE, CpuMeter, Stack, file_mb, rss_mb
from bench.stats import percentile, summary
from bench.trivial_workflow import BenchTrivial
from domain.calendar import local_date
from domain.case import Step
from domain.oversize_case import MATTER, OversizeSubmission
from store.schema import LedgerEventRow
from workflows.client import case_id_for, start_case

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "submissions"
CLASS_I = "01-class-i-auto.json"
CLASS_II_URBAN = "02-class-ii-urban.json"
CLASS_III = "03-class-iii.json"

SUSTAINED_P95_S = 2.0
POLL_S = 0.2


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / name).read_text(encoding="utf-8"))
    return data


_windows = itertools.count()


def with_id(base: dict[str, Any], submission_id: str) -> dict[str, Any]:
    """The sample as a new submission: its id, and a one-day travel window of its own (a day after the
    previous one's, from today), so that no two permits the bench asks for overlap: the same sample
    vehicle on the same road would otherwise be refused a second permit (同一车辆重复办证)."""
    data = copy.deepcopy(base)
    data["submission_id"] = submission_id
    if "travel_from" in data:
        day = (local_date(datetime.now(UTC)) + timedelta(days=next(_windows))).isoformat()
        data["travel_from"] = data["travel_to"] = day
    return data


# --- reading the ledger --------------------------------------------------------------------------


def _epoch(value: datetime) -> float:
    return value.timestamp()


async def ledger_times(
    sessions: async_sessionmaker[AsyncSession], prefix: str, step: Step
) -> dict[str, float]:
    """case id → epoch seconds of its (first) `step` event, for the cases whose id starts with prefix."""
    stmt = sa.select(LedgerEventRow.case_id, LedgerEventRow.actual_at).where(
        LedgerEventRow.step == step.value, LedgerEventRow.case_id.startswith(prefix, autoescape=True)
    )
    async with sessions() as session:
        rows = (await session.execute(stmt)).all()
    found: dict[str, float] = {}
    for case_id, actual_at in rows:
        found.setdefault(case_id, _epoch(actual_at))
    return found


async def count_cases_with(sessions: async_sessionmaker[AsyncSession], prefix: str, step: Step) -> int:
    stmt = sa.select(sa.func.count(sa.distinct(LedgerEventRow.case_id))).where(
        LedgerEventRow.step == step.value, LedgerEventRow.case_id.startswith(prefix, autoescape=True)
    )
    async with sessions() as session:
        return int((await session.scalar(stmt)) or 0)


async def wait_issued(
    sessions: async_sessionmaker[AsyncSession], prefix: str, case_ids: Iterable[str], within: float
) -> dict[str, float]:
    """The 制证 times of `case_ids`, polling until all have one or `within` seconds have passed."""
    wanted = set(case_ids)
    deadline = time.monotonic() + within
    while True:
        issued = await ledger_times(sessions, prefix, Step.ISSUED)
        if wanted <= issued.keys() or time.monotonic() > deadline:
            return {c: t for c, t in issued.items() if c in wanted}
        await asyncio.sleep(0.25)


# --- the HTTP driver -------------------------------------------------------------------------------


@dataclass
class Posted:
    case_id: str | None
    sent_at: float  # epoch seconds, just before the request was sent
    seconds: float  # the request's round trip
    status: int
    error: str | None = None


@dataclass
class Driver:
    """The provincial portal and the officers' desks, over HTTP."""

    stack: Stack
    http: httpx.AsyncClient
    run_id: str
    errors: Counter[str] = field(default_factory=Counter)

    def submission_id(self, tag: str, n: int) -> str:
        return f"BENCH-{self.run_id}-{tag}-{n:06d}"

    def prefix(self, tag: str) -> str:
        return case_id_for(MATTER, f"BENCH-{self.run_id}-{tag}-")

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.stack.tokens[who]}"}

    async def submit(self, body: dict[str, Any]) -> Posted:
        sent_at, started = time.time(), time.perf_counter()
        try:
            response = await self.http.post("/api/v1/cases", json=body, headers=self.auth("portal"))
        except httpx.HTTPError as exc:
            self.errors[f"submit: {type(exc).__name__}"] += 1
            return Posted(None, sent_at, time.perf_counter() - started, 0, repr(exc))
        seconds = time.perf_counter() - started
        if response.status_code not in (200, 202):
            self.errors[f"submit: HTTP {response.status_code}"] += 1
            return Posted(None, sent_at, seconds, response.status_code, response.text[:300])
        return Posted(response.json()["case_id"], sent_at, seconds, response.status_code)

    async def status(self, case_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/api/v1/cases/{quote(case_id)}", headers=self.auth("auditor"))
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    async def answer(self, case_id: str, task_id: str, department: str) -> Posted:
        """Approve `task_id` as an officer of `department`."""
        sent_at, started = time.time(), time.perf_counter()
        response = await self.http.post(
            f"/api/v1/cases/{quote(case_id)}/opinions",
            json={"task_id": task_id, "approve": True, "reason": None, "conditions": []},
            headers=self.auth(department),
        )
        seconds = time.perf_counter() - started
        if response.status_code != 200:
            self.errors[f"answer: HTTP {response.status_code}"] += 1
            return Posted(case_id, sent_at, seconds, response.status_code, response.text[:300])
        return Posted(case_id, sent_at, seconds, 200)

    async def drive_to_close(self, case_id: str, within: float = 120.0) -> dict[str, Posted]:
        """Answer (approve) every task the case opens until it has an outcome; task id → the answer."""
        answered: dict[str, Posted] = {}
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            status = await self.status(case_id)
            if status["outcome"]:
                return answered
            todo = [t for t in status["open_tasks"] if t["task_id"] not in answered]
            posts = await asyncio.gather(*(self.answer(case_id, t["task_id"], t["department"]) for t in todo))
            for task, post in zip(todo, posts, strict=True):
                if post.status == 200:
                    answered[task["task_id"]] = post
            await asyncio.sleep(POLL_S)
        raise RuntimeError(f"{case_id} did not close within {within}s (answered {sorted(answered)})")


# --- 1. the limit: a trivial workflow --------------------------------------------------------------


async def measure_limit(
    stack: Stack, seconds: float, levels: tuple[int, ...] = (10, 25, 50), warmup: float = 1.0
) -> dict[str, Any]:
    """Trivial workflows completed per second by a worker with the case worker's settings: closed
    start → result loops, `seconds` at each concurrency level (the first `warmup` seconds not
    counted); the limit is the best level's rate. Too many in flight lowers the rate on SQLite."""
    trivial = await stack.start_trivial_worker()
    runs: list[dict[str, Any]] = []
    try:
        for concurrency in levels:
            progress(f"limit: trivial workflows, {concurrency} in flight, {warmup:g}+{seconds:g}s")
            runs.append(await _closed_loops(stack, trivial.pid, seconds, concurrency, warmup, _trivial))
            progress(f"limit: {runs[-1]['workflows_per_s']} trivial workflows/s")
    finally:
        trivial.stop()
    best = max(runs, key=lambda r: float(r["workflows_per_s"]))
    return {**best, "levels": runs}


async def measure_floor(
    stack: Stack, seconds: float, levels: tuple[int, ...] = (10, 25, 50), warmup: float = 1.0
) -> dict[str, Any]:
    """Floor workflows (a class I case's commands, bodies that do nothing: bench/floor_workflow.py)
    completed per second, measured as the limit is; the floor is the best level's rate."""
    floor = await stack.start_floor_worker()
    runs: list[dict[str, Any]] = []
    try:
        for concurrency in levels:
            progress(
                f"floor: class I commands with empty bodies, {concurrency} in flight, {warmup:g}+{seconds:g}s"
            )
            runs.append(await _closed_loops(stack, floor.pid, seconds, concurrency, warmup, _floor))
            progress(f"floor: {runs[-1]['workflows_per_s']} floor workflows/s")
    finally:
        floor.stop()
    best = max(runs, key=lambda r: float(r["workflows_per_s"]))
    return {**best, "levels": runs}


async def _trivial(stack: Stack, workflow_id: str, n: int) -> None:
    await stack.client.execute_workflow(BenchTrivial.run, n, id=workflow_id, task_queue=TRIVIAL_QUEUE)


async def _floor(stack: Stack, workflow_id: str, n: int) -> None:
    await stack.client.execute_workflow(BenchFloor.run, workflow_id, id=workflow_id, task_queue=FLOOR_QUEUE)


async def _closed_loops(
    stack: Stack,
    worker_pid: int,
    seconds: float,
    concurrency: int,
    warmup: float,
    one: Callable[[Stack, str, int], Awaitable[None]],
) -> dict[str, Any]:
    run = f"bench-{one.__name__.strip('_')}-{random.getrandbits(32):08x}"
    start = time.monotonic()
    count_from, end = start + warmup, start + warmup + seconds
    completed: list[float] = []
    latencies: list[float] = []
    cpu: dict[str, float] = {}

    async def loop(k: int) -> None:
        n = 0
        while time.monotonic() < end:
            began = time.monotonic()
            await one(stack, f"{run}-{k}-{n}", n)
            done = time.monotonic()
            if count_from <= done <= end:
                completed.append(done)
                latencies.append(done - began)
            n += 1

    async def metered() -> None:  # over the counted window only
        await asyncio.sleep(warmup)
        meter = CpuMeter({"server": stack.server_pid(), "worker": worker_pid, "driver": os.getpid()})
        meter.start()
        await asyncio.sleep(seconds)
        cpu.update(meter.read())

    await asyncio.gather(metered(), *(loop(k) for k in range(concurrency)))
    return {
        "workflows_per_s": round(len(completed) / seconds, 1),
        "concurrency": concurrency,
        "workflows": len(completed),
        "seconds": seconds,
        "latency_s": summary(latencies, 50, 95),
        "cpu_ms_per_workflow": cpu_per_case(cpu, len(completed)),
    }


# --- 2. the auto path: class I at an offered rate ----------------------------------------------------


async def offered_load(driver: Driver, tag: str, rate: float, seconds: float, drain: float) -> dict[str, Any]:
    """POST class I submissions at `rate`/s for `seconds` (open loop: on schedule, whatever the answers),
    then wait up to `drain` seconds for their licences. Latency = 制证 actual_at − POST sent."""
    n = max(1, round(rate * seconds))
    progress(f"auto path [{tag}]: {n} class I cases at {rate:g}/s")
    base = sample(CLASS_I)
    meter = driver.stack.meter()
    start = time.monotonic()
    tasks: list[asyncio.Task[Posted]] = []
    for i in range(n):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(driver.submit(with_id(base, driver.submission_id(tag, i)))))
    posts = await asyncio.gather(*tasks)
    offered_s = time.monotonic() - start
    ok = [p for p in posts if p.case_id is not None]
    prefix = driver.prefix(tag)
    issued = await wait_issued(driver.stack.sessions, prefix, [p.case_id for p in ok if p.case_id], drain)
    cpu = meter.read()
    now = time.time()
    latencies = [issued[p.case_id] - p.sent_at for p in ok if p.case_id in issued]
    unfinished = [p for p in ok if p.case_id not in issued]
    # An unfinished case counts with the time it has waited so far: a lower bound, never a flattering gap.
    censored = latencies + [now - p.sent_at for p in unfinished]
    first = min((p.sent_at for p in posts), default=now)
    last_issued = max(issued.values(), default=now)
    result: dict[str, Any] = {
        "offered_rate_per_s": rate,
        "seconds": seconds,
        "cases": n,
        "submit_errors": n - len(ok),
        "unfinished": len(unfinished),
        "achieved_rate_per_s": round(len(issued) / max(last_issued - first, offered_s), 2),
        "latency_s": summary(censored, 50, 95, 99),
        "post_latency_s": summary([p.seconds for p in posts], 50, 95),
        "cpu_ms_per_case": cpu_per_case(cpu, len(issued)),
    }
    result["sustained"] = bool(
        result["submit_errors"] == 0 and not unfinished and percentile(censored, 95) <= SUSTAINED_P95_S
    )
    progress(
        f"auto path [{tag}]: p50 {result['latency_s']['p50']}s p95 {result['latency_s']['p95']}s, "
        f"{len(unfinished)} unfinished, {n - len(ok)} errors"
        f" → {'sustained' if result['sustained'] else 'not sustained'}"
    )
    return result


def cpu_per_case(cpu: dict[str, float], cases: int) -> dict[str, float]:
    """CPU milliseconds per case of each process, and the cores each kept busy on average."""
    cpu = dict(cpu)
    wall, others = cpu.pop("wall"), cpu.pop("others", 0.0)
    result = {name: round(1000 * seconds / max(cases, 1), 1) for name, seconds in cpu.items()}
    result["cores_busy"] = round(sum(cpu.values()) / wall, 2) if wall else 0.0
    result["other_processes_cores_busy"] = round(others / wall, 2) if wall else 0.0
    return result


async def search_sustained(
    driver: Driver, steady: dict[str, Any], seconds: float, max_steps: int, drain: float
) -> dict[str, Any]:
    """The highest offered rate whose p95 stays under 2 s with every case issued: grow by ×1.6 from
    the steady run until a rate fails, then bisect; each step runs `seconds` at its rate."""
    steps = [steady]
    lo: float | None = steady["offered_rate_per_s"] if steady["sustained"] else None
    hi: float | None = None if steady["sustained"] else steady["offered_rate_per_s"]
    for n in range(max_steps):
        if lo is not None and hi is not None and (hi - lo) / lo < 0.15:
            break
        if lo is None:
            assert hi is not None
            rate = hi / 2
        elif hi is None:
            rate = lo * 1.6
        else:
            rate = (lo + hi) / 2
        rate = max(round(rate, 1), 0.1)
        if any(s["offered_rate_per_s"] == rate for s in steps):
            break  # as close as this resolution gets
        result = await offered_load(driver, f"s{n}", rate, seconds, drain)
        steps.append(result)
        if result["sustained"]:
            lo = rate if lo is None else max(lo, rate)
        else:
            hi = rate if hi is None else min(hi, rate)
    return {
        "sustained_rate_per_s": lo or 0.0,
        "first_failing_rate_per_s": hi,
        "step_seconds": seconds,
        "steps": [
            {
                "rate": s["offered_rate_per_s"],
                "p50": s["latency_s"]["p50"],
                "p95": s["latency_s"]["p95"],
                "unfinished": s["unfinished"],
                "sustained": s["sustained"],
            }
            for s in steps
        ],
    }


# --- 3. the human path: class II with urban review and countersign ------------------------------------


async def human_path(driver: Driver, cases: int, concurrency: int) -> dict[str, Any]:
    """Class II (urban) cases, every task approved over HTTP as soon as it opens; latency from the last
    answer sent (the police countersign) to the licence."""
    progress(f"human path: {cases} class II cases, {concurrency} at a time")
    base = sample(CLASS_II_URBAN)
    gate = asyncio.Semaphore(concurrency)
    last_answers: dict[str, float] = {}
    answer_seconds: list[float] = []

    async def one(i: int) -> None:
        async with gate:
            posted = await driver.submit(with_id(base, driver.submission_id("h", i)))
            if posted.case_id is None:
                return
            answered = await driver.drive_to_close(posted.case_id)
            if answered:
                last_answers[posted.case_id] = max(p.sent_at for p in answered.values())
                answer_seconds.extend(p.seconds for p in answered.values())

    await asyncio.gather(*(one(i) for i in range(cases)))
    issued = await wait_issued(driver.stack.sessions, driver.prefix("h"), last_answers, 30)
    latencies = [issued[c] - t for c, t in last_answers.items() if c in issued]
    progress(f"human path: last answer → licence p50 {percentile(latencies, 50):.3f}s")
    return {
        "cases": cases,
        "issued": len(latencies),
        "latency_s": summary(latencies, 50, 95),
        "answer_round_trip_s": summary(answer_seconds, 50, 95),
    }


# --- 4. open cases waiting for officers ----------------------------------------------------------------


async def open_cases(driver: Driver, n: int, answers: int, window: int = 300) -> dict[str, Any]:
    """`n` class II cases waiting for the highway and urban-road reviews, on a fresh worker process;
    then its memory, the server's database, and `answers` officers' answers to random ones of them."""
    stack = driver.stack
    progress("open cases: restarting the worker (an empty cache, memory counted from its start)")
    worker = await stack.restart_worker()
    await asyncio.sleep(2)
    baseline_rss, _ = rss_mb(worker.pid)
    base = sample(CLASS_II_URBAN)
    prefix = driver.prefix("o")
    gate = asyncio.Semaphore(20)
    case_ids: list[str] = []

    async def start(i: int) -> None:
        submission = OversizeSubmission.model_validate(with_id(base, driver.submission_id("o", i)))
        async with gate:
            handle, _ = await start_case(stack.case_client, submission, stack.settings.task_queue)
        case_ids.append(handle.id)

    meter = stack.meter()
    started_at = time.monotonic()
    started, waiting, last_report = 0, 0, 0.0
    pending: set[asyncio.Task[None]] = set()
    while waiting < n:
        worker.check_alive()
        waiting = await count_cases_with(stack.sessions, prefix, Step.ASSIGNED)
        room = min(n, waiting + window) - started
        for i in range(started, started + max(room, 0)):
            task = asyncio.create_task(start(i))
            pending.add(task)
            task.add_done_callback(pending.discard)
        started += max(room, 0)
        if time.monotonic() - last_report > 10:
            last_report = time.monotonic()
            elapsed = last_report - started_at
            progress(f"open cases: {waiting}/{n} waiting after {elapsed:.0f}s ({waiting / elapsed:.1f}/s)")
        if time.monotonic() - started_at > 3600:
            raise RuntimeError(f"only {waiting} of {n} cases are waiting after an hour")
        await asyncio.sleep(0.5)
    await asyncio.gather(*pending)
    fill_seconds = time.monotonic() - started_at
    fill_cpu = cpu_per_case(meter.read(), n)
    await asyncio.sleep(3)  # the last cases' timers and search attributes
    rss, peak = rss_mb(worker.pid)
    server_pid = stack.server_pid()
    server_rss = rss_mb(server_pid)[0] if server_pid else float("nan")
    db = stack.temporal_db
    server_db = file_mb(db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"))
    ledger_db = stack.data_dir / "onething.db"
    store_db = file_mb(ledger_db, ledger_db.with_name(ledger_db.name + "-wal"))
    progress(f"open cases: {n} waiting; worker RSS {rss:.0f} MiB, server database {server_db:.0f} MiB")

    latencies: list[float] = []
    for case_id in random.sample(case_ids, min(answers, len(case_ids))):
        posted = await driver.answer(case_id, "review:urban_road", "urban_road")
        if posted.status == 200:
            latencies.append(posted.seconds)
    progress(f"open cases: answer p95 {percentile(latencies, 95):.3f}s over {len(latencies)} answers")
    inbox = await inbox_latencies(driver, answers)
    progress(f"open cases: inbox p95 {percentile(inbox, 95):.3f}s over {len(inbox)} pages")
    return {
        "cases": n,
        "fill_seconds": round(fill_seconds, 1),
        "fill_rate_per_s": round(n / fill_seconds, 1),
        "fill_cpu_ms_per_case": fill_cpu,
        "worker_rss_mb": round(rss, 1),
        "worker_peak_rss_mb": round(peak, 1),
        "worker_baseline_rss_mb": round(baseline_rss, 1),
        "server_rss_mb": round(server_rss, 1),
        "server_db_mb": round(server_db, 1),
        "store_db_mb": round(store_db, 1),
        "answers": len(latencies),
        "answer_latency_s": summary(latencies, 50, 95),
        "inbox_pages": len(inbox),
        "inbox_latency_s": summary(inbox, 50, 95),
    }


async def inbox_latencies(driver: Driver, pages: int) -> list[float]:
    """`pages` inbox pages (GET /api/v1/tasks) with the open cases waiting: officers of the two reviewing
    departments and a supervisor (every department), open or answered, some with a filter or a next page."""
    callers = ("highway", "urban_road", "supervisor")
    variants: tuple[dict[str, str], ...] = ({}, {"state": "answered"}, {"card": "yellow"}, {"matter": MATTER})
    latencies: list[float] = []
    for n in range(pages):
        params = dict(variants[n % len(variants)])
        started = time.perf_counter()
        response = await driver.http.get("/api/v1/tasks", params=params, headers=driver.auth(callers[n % 3]))
        if response.status_code == 200 and n % 5 == 0 and (cursor := response.json().get("next")):
            response = await driver.http.get(
                "/api/v1/tasks", params={**params, "cursor": cursor}, headers=driver.auth(callers[n % 3])
            )
        if response.status_code != 200:
            driver.errors[f"inbox: HTTP {response.status_code}"] += 1
            continue
        latencies.append(time.perf_counter() - started)
    return latencies


# --- 6. events per case ------------------------------------------------------------------------------


async def history_per_class(driver: Driver) -> dict[str, Any]:
    """One case of each class, every task approved; its history's length once it is closed (办结) and
    waiting for the rating (好差评), with the events by type."""
    result: dict[str, Any] = {}
    for label, name in (("class_I", CLASS_I), ("class_II", CLASS_II_URBAN), ("class_III", CLASS_III)):
        posted = await driver.submit(with_id(sample(name), driver.submission_id("hist", len(result))))
        if posted.case_id is None:
            raise RuntimeError(f"history: the {label} submission failed: {posted.error}")
        await driver.drive_to_close(posted.case_id)
        handle = driver.stack.client.get_workflow_handle(posted.case_id)
        events: list[Any] = []
        previous = -1
        while len(events) != previous:  # quiet: the case waits for its rating
            previous = len(events)
            await asyncio.sleep(1.0)
            events = list((await handle.fetch_history()).events)
        kinds = Counter(_event_kind(e) for e in events)
        result[label] = {"events": len(events), "by_type": dict(kinds.most_common())}
        progress(f"history: {label} {len(events)} events")
    return result


def _event_kind(event: Any) -> str:
    from temporalio.api.enums.v1 import EventType

    name: str = EventType.Name(event.event_type)
    return name.removeprefix("EVENT_TYPE_")
