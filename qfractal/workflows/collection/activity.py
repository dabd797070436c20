"""The log and status of a running task-group activity, written as the work goes.

Background work has no request session: every update opens its own session and commits,
so a client polling the activity sees the log grow step by step.
"""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qfractal.db.types import utc_now
from qfractal.workflows.collection.commands import CommandFailed
from qfractal.workflows.collection.manifest import ManifestError
from qfractal.workflows.models import TaskGroup, TaskGroupActivity
from qfractal.workflows.tasks.schemas import ActivityStatus

logger = logging.getLogger(__name__)

SessionMaker = async_sessionmaker[AsyncSession]
Cleanup = Callable[[], Awaitable[None]]

RESTART_MESSAGE = "The server restarted while this activity was running; it did not finish."
SHUTDOWN_MESSAGE = "The server shut down before this activity finished."


class StepFailed(Exception):
    """A step of an activity cannot go on; the message is written to the activity log."""


def log_line(message: str, *, at: datetime | None = None) -> str:
    stamp = (at or utc_now()).isoformat(timespec="seconds")
    return f"{stamp} {message.rstrip()}\n"


async def load_task_group(session: AsyncSession, task_group_id: int) -> TaskGroup:
    """The activity's task group, which must still exist to finish the activity."""
    group = await session.get(TaskGroup, task_group_id)
    if group is None:
        raise StepFailed(f"Task group {task_group_id} disappeared.")
    return group


class ActivityLog:
    """Appends timestamped lines to one activity and moves it through its statuses."""

    def __init__(self, sessionmaker: SessionMaker, activity_id: int) -> None:
        self._sessionmaker = sessionmaker
        self.activity_id = activity_id

    async def _update(
        self,
        message: str,
        *,
        status: ActivityStatus | None = None,
        also: Callable[[AsyncSession], Awaitable[None]] | None = None,
    ) -> None:
        async with self._sessionmaker() as session, session.begin():
            activity = await session.get(TaskGroupActivity, self.activity_id)
            if activity is None:
                return
            activity.log = (activity.log or "") + log_line(message)
            if status is not None:
                activity.status = status.value
                if status in (ActivityStatus.OK, ActivityStatus.FAILED):
                    activity.timestamp_ended = utc_now()
            if also is not None:
                await also(session)

    async def write(self, message: str) -> None:
        await self._update(message)

    async def start(self, message: str) -> None:
        await self._update(message, status=ActivityStatus.ONGOING)

    async def succeed(
        self, message: str, *, also: Callable[[AsyncSession], Awaitable[None]] | None = None
    ) -> None:
        """Mark the activity OK; `also` writes in the same transaction (e.g. the new tasks)."""
        await self._update(message, status=ActivityStatus.OK, also=also)

    async def fail(self, message: str) -> None:
        await self._update(f"ERROR: {message}", status=ActivityStatus.FAILED)

    @asynccontextmanager
    async def step(self, name: str) -> AsyncIterator[None]:
        """Log the start and the end (with its duration) of one step."""
        await self.write(f"START {name}")
        started = time.monotonic()
        yield
        await self.write(f"END   {name} ({time.monotonic() - started:.1f} s)")


async def fail_interrupted(session: AsyncSession) -> list[TaskGroupActivity]:
    """Mark activities left pending or ongoing by a previous server process as failed."""
    stale = (
        await session.scalars(
            select(TaskGroupActivity).where(
                TaskGroupActivity.status.in_(
                    [ActivityStatus.PENDING.value, ActivityStatus.ONGOING.value]
                )
            )
        )
    ).all()
    for activity in stale:
        activity.log = (activity.log or "") + log_line(f"ERROR: {RESTART_MESSAGE}")
        activity.status = ActivityStatus.FAILED.value
        activity.timestamp_ended = utc_now()
    await session.flush()
    return list(stale)


async def run_activity(log: ActivityLog, body: Cleanup, *, cleanup: Cleanup | None = None) -> None:
    """Run an activity's steps; on any failure run `cleanup`, then end the log with the reason.

    Expected failures (a command, the manifest, a step, the file system) are logged as they
    are; anything else is logged as unexpected, with the traceback in the server log.
    """
    try:
        await body()
    except asyncio.CancelledError:
        await _fail(log, SHUTDOWN_MESSAGE, cleanup)
        raise
    except (CommandFailed, ManifestError, StepFailed, OSError) as exc:
        await _fail(log, str(exc), cleanup)
    except Exception as exc:
        logger.exception("task-group activity %d failed", log.activity_id)
        await _fail(log, f"Unexpected error: {exc!r}", cleanup)


async def _fail(log: ActivityLog, reason: str, cleanup: Cleanup | None) -> None:
    if cleanup is not None:
        try:
            await cleanup()
        except Exception:
            logger.exception("cleanup of task-group activity %d failed", log.activity_id)
    await log.fail(reason)
