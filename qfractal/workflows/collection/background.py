"""Where activity work runs: asyncio tasks owned by the app, started after the commit.

Routes hand work over with FastAPI's BackgroundTasks, which only *starts* an asyncio task
once the response (and so the request's commit) is done; the task then lives in the
runner's set until it ends. At shutdown the runner cancels what is still running and
waits for it to record the interruption; at startup, activities left pending or ongoing
by a previous process are marked failed and half-collected task groups are removed.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy import delete, func, select

from qfractal.workflows.collection.activity import SessionMaker, fail_interrupted
from qfractal.workflows.collection.venv import remove_tree
from qfractal.workflows.models import Task, TaskGroup
from qfractal.workflows.tasks.schemas import ActivityAction

logger = logging.getLogger(__name__)

Work = Callable[[], Awaitable[None]]
"""A unit of background work: it logs its own progress and failures."""


class ActivityRunner:
    """Runs background work for task-group activities and keeps track of it."""

    def __init__(self, sessionmaker: SessionMaker) -> None:
        self.sessionmaker = sessionmaker
        self._tasks: set[asyncio.Task[None]] = set()

    async def spawn(self, work: Work) -> None:
        """Start `work` as an asyncio task (async, so BackgroundTasks calls it in the loop)."""
        task = asyncio.create_task(self._guarded(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, work: Work) -> None:
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("task-group activity crashed")

    async def wait(self) -> None:
        """Wait until no work is running (tests and orderly shutdowns)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def shutdown(self) -> None:
        # Let work spawned just now enter its error handling first: a task cancelled
        # before its first step never runs, so it could not record the interruption.
        await asyncio.sleep(0)
        for task in list(self._tasks):
            task.cancel()
        await self.wait()


def get_runner(request: Request) -> ActivityRunner:
    return request.app.state.activity_runner


RunnerDep = Annotated[ActivityRunner, Depends(get_runner)]


async def recover_interrupted(sessionmaker: SessionMaker) -> None:
    """Fail activities a previous process left running; drop the groups they were creating."""
    async with sessionmaker() as session, session.begin():
        stale = await fail_interrupted(session)
        group_ids = {
            activity.taskgroupv2_id
            for activity in stale
            if activity.action == ActivityAction.COLLECT.value and activity.taskgroupv2_id
        }
        paths = []
        for group_id in sorted(group_ids):
            group = await session.get(TaskGroup, group_id)
            tasks = await session.scalar(
                select(func.count()).select_from(Task).where(Task.taskgroupv2_id == group_id)
            )
            if group is not None and not group.active and not tasks:
                paths.append(group.path)
                await session.execute(delete(TaskGroup).where(TaskGroup.id == group_id))
    for path in paths:
        if path:
            await remove_tree(path)
    if stale:
        logger.warning("marked %d interrupted task-group activities as failed", len(stale))


@asynccontextmanager
async def activity_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Recover from a previous run, then keep an ActivityRunner on `app.state` until shutdown."""
    sessionmaker = app.state.database.sessionmaker
    await recover_interrupted(sessionmaker)
    runner = ActivityRunner(sessionmaker)
    app.state.activity_runner = runner
    try:
        yield
    finally:
        await runner.shutdown()
