"""SQLite statements in one thread hop each (aiosqlite under SQLAlchemy's asyncio adapter).

aiosqlite runs every sqlite3 call on a thread of its own, and SQLAlchemy's adapter makes four calls a
statement: make the cursor, execute, fetch the rows, close. Each call is a hop to that thread and back
to the event loop (a queue, a wake-up, a future), and on this machine the hops cost more CPU than
SQLite itself: about a third of a statement's 0.43 ms, with twenty-odd statements a class I case
(issue 18). `OneHopCursor` makes, runs, reads and closes the sqlite3 cursor in one call on that thread.

What SQLAlchemy sees is unchanged: the rows, `description`, `rowcount`, `lastrowid`, and the driver's
errors (raised by the same call, translated by the same adapter). Server-side cursors (`yield_per`,
the audit's streams) keep aiosqlite's own cursor, fetching part by part.

It replaces the cursor class of SQLAlchemy's aiosqlite adapter (`install`, called by store/db.py),
a class of SQLAlchemy's internals: pyproject.toml pins SQLAlchemy's minor version for it, and
tests/store/test_sqlite_cursor.py checks it is in place and answers as the driver does.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

from sqlalchemy.dialects.sqlite import aiosqlite as sqlalchemy_aiosqlite
from sqlalchemy.util import EMPTY_DICT

_Outcome = tuple[Any, list[Any], int, int | None]
"""description, rows, rowcount, lastrowid of one statement."""


class OneHopCursor(sqlalchemy_aiosqlite.AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement runs whole in one call on aiosqlite's thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")
    _awaitable_cursor_close = False  # nothing is left open on the thread to close

    def __init__(self, adapt_connection: Any) -> None:
        # No cursor made up front (the base class makes one, a hop): `_run` makes its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]  # never used: every call goes through `_run`
        self._rows = collections.deque()
        self._soft_closed_memoized = EMPTY_DICT
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int | None:  # type: ignore[override]
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass  # every row is fetched at once

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        async with self._adapt_connection._execute_mutex:
            self._keep(await self._connection._execute(_run, self._connection, False, operation, parameters))

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        async with self._adapt_connection._execute_mutex:
            self._keep(
                await self._connection._execute(_run, self._connection, True, operation, seq_of_parameters)
            )

    def _keep(self, outcome: _Outcome) -> None:
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)


def _run(connection: Any, many: bool, operation: Any, parameters: Any) -> _Outcome:
    """On aiosqlite's thread: the statement from cursor to close, with what SQLAlchemy reads of it."""
    cursor: sqlite3.Cursor = connection._conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def install() -> None:
    """Make the aiosqlite adapter's client-side cursors `OneHopCursor`s (idempotent)."""
    sqlalchemy_aiosqlite.AsyncAdapt_aiosqlite_connection._cursor_cls = OneHopCursor
