"""aiosqlite connections that never wait on a thread that has already ended.

An aiosqlite connection runs its statements on a thread of its own, which ends at the
first stop request. When a task is cancelled during a statement, SQLAlchemy terminates
the connection: a graceful `close()` (which ends with a stop request and waits for its
answer) races a forced `stop()`. Whichever comes second used to queue a stop request
that no thread would ever answer, and the task waiting for it never ended, not even
when cancelled again (its wait starts inside a `finally`): an event loop could then
never close. Here a second stop request is not queued; there is nothing to wait for.
"""

import sqlite3
from functools import partial
from typing import Any

import aiosqlite


class SQLiteConnection(aiosqlite.Connection):
    def stop(self) -> Any:
        if not self._running:  # the thread ends (or ended) at the first request
            return None
        return super().stop()


def connect(database: str, **kwargs: Any) -> SQLiteConnection:
    """`aiosqlite.connect` with our connection class (SQLAlchemy's `async_creator_fn`)."""
    return SQLiteConnection(partial(sqlite3.connect, database, **kwargs), iter_chunk_size=64)
