"""POST .../task-group/{task_group_id}/{deactivate,reactivate,delete}/ on a router.

Used twice: under /api/v2 for the group's owner and under /admin/v2 for superusers; only
who is asking and how the group is found differ.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.db.session import SessionDep
from qfractal.ids import TaskGroupId
from qfractal.workflows.collection import lifecycle
from qfractal.workflows.collection.background import RunnerDep, Work
from qfractal.workflows.models import TaskGroup, TaskGroupActivity
from qfractal.workflows.tasks.schemas import ActivityRead

LifecycleStart = Callable[..., Awaitable[tuple[TaskGroupActivity, Work | None]]]
GroupLoader = Callable[[AsyncSession, User, int], Awaitable[TaskGroup]]

ACTIONS: tuple[tuple[str, LifecycleStart, str], ...] = (
    (
        "deactivate",
        lifecycle.request_deactivate,
        "Make a task group inactive and remove its venv (its pip freeze and wheel are kept).",
    ),
    (
        "reactivate",
        lifecycle.request_reactivate,
        "Rebuild an inactive task group's venv from its pip freeze, then make it active.",
    ),
    (
        "delete",
        lifecycle.request_delete,
        "Delete a task group, its tasks and its folder; refused while a workflow uses a task.",
    ),
)


def _endpoint(start: LifecycleStart, load_group: GroupLoader, caller: Any) -> Callable[..., Any]:
    async def endpoint(
        task_group_id: TaskGroupId,
        user: Annotated[User, Depends(caller)],
        session: SessionDep,
        runner: RunnerDep,
        background: BackgroundTasks,
    ) -> ActivityRead:
        group = await load_group(session, user, task_group_id)
        activity, work = await start(session, group, sessionmaker=runner.sessionmaker)
        if work is not None:  # started after the request's commit
            background.add_task(runner.spawn, work)
        return ActivityRead.model_validate(activity)

    return endpoint


def add_lifecycle_routes(
    router: APIRouter,
    *,
    caller: Any,
    load_group: GroupLoader,
    name_prefix: str,
    responses: dict[int | str, dict[str, Any]],
) -> None:
    """Add the three lifecycle routes; `caller` is the dependency that resolves the user."""
    for action, start, doc in ACTIONS:
        endpoint = _endpoint(start, load_group, caller)
        endpoint.__doc__ = doc
        router.add_api_route(
            f"/task-group/{{task_group_id}}/{action}/",
            endpoint,
            methods=["POST"],
            name=f"{name_prefix}{action}_task_group",
            summary=f"{action.capitalize()} Task Group",
            status_code=202,
            response_model=ActivityRead,
            responses=responses,
        )
