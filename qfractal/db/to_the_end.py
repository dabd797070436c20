"""Short writes that a cancellation does not cut in the middle.

A task cancelled during a statement leaves SQLAlchemy to terminate its connection, and
on SQLite the write lock can stay taken meanwhile; other writers then wait (up to the
busy timeout). Writes whose end matters (a heartbeat, a job's end) run to their end in a
task of their own; the caller's cancellation is raised once they are done.
"""

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def to_the_end(write: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    @functools.wraps(write)
    async def shielded(*args: P.args, **kwargs: P.kwargs) -> T:
        task = asyncio.ensure_future(write(*args, **kwargs))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            await asyncio.wait({task})
            raise

    return shielded
