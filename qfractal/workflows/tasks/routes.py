"""Routes /api/v2/task/ and /api/v2/task-group/ (fractal-server 2.17 wire format).

The activity routes are declared before `/task-group/{task_group_id}/`, so that
`/task-group/activity/` is not read as a task-group id.
"""

from typing import Annotated

from fastapi import APIRouter
from pydantic import AwareDatetime

from qfractal.auth.dependencies import SettingsDep
from qfractal.db.session import SessionDep
from qfractal.errors import QfractalError
from qfractal.ids import ActivityId, TaskGroupId, TaskId, id_query
from qfractal.workflows.dependencies import WorkflowsUser
from qfractal.workflows.tasks import activities, service
from qfractal.workflows.tasks.access import get_readable_task_group
from qfractal.workflows.tasks.params import FORBIDDEN, INVALID, NOT_FOUND, SharingDep
from qfractal.workflows.tasks.schemas import (
    ActivityAction,
    ActivityRead,
    ActivityStatus,
    TaskCreate,
    TaskGroupRead,
    TaskGroupUpdate,
    TaskRead,
    TaskUpdate,
)

router = APIRouter(prefix="/api/v2")

_403, _404, _422 = FORBIDDEN, NOT_FOUND, INVALID


class MethodNotAllowed(QfractalError):
    status_code = 405


# --- tasks -----------------------------------------------------------------------------------


@router.get("/task/", response_model=list[TaskRead], tags=["V2 Task"])
async def get_list_task(
    user: WorkflowsUser,
    session: SessionDep,
    args_schema: bool = True,
    category: str | None = None,
    modality: str | None = None,
    author: str | None = None,
) -> list[TaskRead]:
    """Tasks of the task groups the user can read on their compute resource.

    `category` and `modality` match case-insensitively, `author` is a case-insensitive
    substring of the task's authors; `args_schema=false` leaves the argument schemas out.
    """
    tasks = await service.list_tasks(
        session, user, category=category, modality=modality, author=author
    )
    reads = [TaskRead.model_validate(task) for task in tasks]
    return reads if args_schema else [task.without_args_schemas() for task in reads]


@router.post("/task/", status_code=201, response_model=TaskRead, tags=["V2 Task"], responses=_422)
async def create_task(
    data: TaskCreate, user: WorkflowsUser, session: SessionDep, sharing: SharingDep
) -> TaskRead:
    """Register a task whose commands already exist on the resource.

    The task gets a task group of its own (origin `other`, named after the task), shared
    with the default user group unless `private=true` or another `user_group_id` is given.
    Without `type`, the type follows from the commands given.
    """
    task = await service.create_task(session, user, data=data, sharing=sharing)
    return TaskRead.model_validate(task)


@router.get("/task/{task_id}/", response_model=TaskRead, tags=["V2 Task"], responses=_404)
async def get_task(task_id: TaskId, user: WorkflowsUser, session: SessionDep) -> TaskRead:
    """One task the user can read."""
    return TaskRead.model_validate(await service.get_task(session, user, task_id))


@router.patch(
    "/task/{task_id}/",
    response_model=TaskRead,
    tags=["V2 Task"],
    responses={**_403, **_404, **_422},
)
async def patch_task(
    task_id: TaskId, data: TaskUpdate, user: WorkflowsUser, session: SessionDep
) -> TaskRead:
    """Edit a task of a task group the user owns."""
    return TaskRead.model_validate(await service.update_task(session, user, task_id, data=data))


@router.delete(
    "/task/{task_id}/",
    status_code=204,
    tags=["V2 Task"],
    responses={405: {"description": "Always: delete the task group instead."}},
)
async def delete_task(task_id: TaskId, user: WorkflowsUser) -> None:
    """Not allowed: single tasks are never deleted, delete their task group instead."""
    raise MethodNotAllowed(
        "Cannot delete single tasks: delete their task group "
        "(POST /api/v2/task-group/{task_group_id}/delete/)."
    )


# --- task-group activities (before /task-group/{task_group_id}/) ----------------------------


@router.get("/task-group/activity/", response_model=list[ActivityRead], tags=["V2 TaskGroup"])
async def get_task_group_activity_list(
    user: WorkflowsUser,
    session: SessionDep,
    task_group_activity_id: Annotated[int | None, id_query("ID of an activity")] = None,
    taskgroupv2_id: Annotated[int | None, id_query("ID of a task group")] = None,
    pkg_name: str | None = None,
    status: ActivityStatus | None = None,
    action: ActivityAction | None = None,
    timestamp_started_min: AwareDatetime | None = None,
) -> list[ActivityRead]:
    """The user's own task-group activities (collections, deactivations, ...), filtered.

    `pkg_name` is a case-insensitive substring; `timestamp_started_min` needs a time zone.
    """
    found = await activities.list_activities(
        session,
        user_id=user.id,
        activity_id=task_group_activity_id,
        task_group_id=taskgroupv2_id,
        pkg_name=pkg_name,
        status=status,
        action=action,
        started_after=timestamp_started_min,
    )
    return [ActivityRead.model_validate(activity) for activity in found]


@router.get(
    "/task-group/activity/{task_group_activity_id}/",
    response_model=ActivityRead,
    tags=["V2 TaskGroup"],
    responses=_404,
)
async def get_task_group_activity(
    task_group_activity_id: ActivityId, user: WorkflowsUser, session: SessionDep
) -> ActivityRead:
    """One of the user's activities, with its log so far (poll it while it runs)."""
    activity = await activities.get_activity(session, user, task_group_activity_id)
    return ActivityRead.model_validate(activity)


# --- task groups -----------------------------------------------------------------------------


@router.get(
    "/task-group/",
    response_model=list[tuple[str, list[TaskGroupRead]]],
    tags=["V2 TaskGroup"],
)
async def get_task_group_list(
    user: WorkflowsUser,
    session: SessionDep,
    settings: SettingsDep,
    only_active: bool = False,
    only_owner: bool = False,
    args_schema: bool = True,
) -> list[tuple[str, list[TaskGroupRead]]]:
    """Readable task groups as `[pkg_name, [task groups]]` pairs, sorted by package name.

    Within a package, versions are newest first in PEP 440 order (non-PEP-440 versions
    after them, then groups without version), one task group per version: the user's own,
    else the default group's, else the one shared through the user's oldest membership.
    """
    return await service.list_task_groups(
        session,
        user,
        only_active=only_active,
        only_owner=only_owner,
        args_schema=args_schema,
        default_group_name=settings.default_group_name,
    )


@router.get(
    "/task-group/{task_group_id}/",
    response_model=TaskGroupRead,
    tags=["V2 TaskGroup"],
    responses=_404,
)
async def get_task_group(
    task_group_id: TaskGroupId, user: WorkflowsUser, session: SessionDep
) -> TaskGroupRead:
    """One task group the user can read, with its tasks."""
    group = await get_readable_task_group(session, user, task_group_id)
    return await service.read_task_group(session, group)


@router.patch(
    "/task-group/{task_group_id}/",
    response_model=TaskGroupRead,
    tags=["V2 TaskGroup"],
    responses={**_403, **_404, **_422},
)
async def patch_task_group(
    task_group_id: TaskGroupId, data: TaskGroupUpdate, user: WorkflowsUser, session: SessionDep
) -> TaskGroupRead:
    """Share a task group the user owns with one of the user's groups (`null`: private)."""
    group = await service.update_task_group(session, user, task_group_id, data=data)
    return await service.read_task_group(session, group)
