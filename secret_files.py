"""Secret files the embedded stack makes for itself (dev seal and codec keys, the applicant secret).

Each is made once, readable only by its owner (0600), and written under a temporary name then linked
into place: processes starting together (worker, portal) end up with the same secret, and nobody
reads half a file. One that others may read is refused rather than used.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path


def create_once(path: Path, make: Callable[[], str]) -> None:
    """Write `make()` to `path` (0600) unless the file exists; if another process wins, its stands."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(make())
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def read_private(path: Path, what: str) -> str:
    """The file's text; PermissionError naming `what` if group or others may read or write it."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise PermissionError(f"{what} {path} has mode {mode:04o}; it must be 0600")
    return path.read_text(encoding="utf-8")
