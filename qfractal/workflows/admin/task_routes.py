"""Superuser routes /admin/v2/task/ and /admin/v2/task-group/... (any owner's groups).

The activity list is declared before `/task-group/{task_group_id}/`, so that
`/task-group/activity/` is not read as a task-group id.
"""

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.dependencies import Superuser, current_superuser
from qfractal.auth.groups import get_group
from qfractal.auth.models import User
from qfractal.db.session import SessionDep
from qfractal.ids import TaskGroupId, id_query
from qfractal.workflows.admin import task_groups
from qfractal.workflows.admin.schemas import (
    TaskGroupReadSuperuser,
    TaskInfo,
    TaskInfoPage,
    TaskMinimal,
)
from qfractal.workflows.collection.lifecycle_routes import add_lifecycle_routes
from qfractal.workflows.models import TaskGroup
from qfractal.workflows.pagination import PageDep, PageInfo
from qfractal.workflows.tasks import activities, service
from qfractal.workflows.tasks.schemas import (
    ActivityAction,
    ActivityRead,
    ActivityStatus,
    TaskGroupOrigin,
    TaskGroupUpdate,
)

router = APIRouter(prefix="/admin/v2", tags=["V2 Admin area"])

_404 = {404: {"description": "No such task group."}}
_422 = {422: {"description": "Invalid input, or the group is busy or in use."}}

OptionalId = Annotated[int | None, id_query("Only objects with this ID")]


@router.get("/task/", response_model=TaskInfoPage)
async def list_tasks(
    _admin: Superuser,
    session: SessionDep,
    page: PageDep,
    filters: Annotated[task_groups.TaskFilters, Depends(task_groups.TaskFilters)],
) -> TaskInfoPage:
    """Every task, with the workflows, projects and users that use it (paginated).

    `name`, `category`, `modality` and `author` are case-insensitive substrings.
    """
    total, tasks = await task_groups.list_tasks(session, filters, page)
    related = await task_groups.relationships(session, [task.id for task in tasks])
    return TaskInfoPage(
        **PageInfo.of(page, total).model_dump(),
        items=[
            TaskInfo(task=TaskMinimal.model_validate(t), relationships=related.get(t.id, []))
            for t in tasks
        ],
    )


@router.get("/task-group/activity/", response_model=list[ActivityRead])
async def list_activities(
    _admin: Superuser,
    session: SessionDep,
    task_group_activity_id: OptionalId = None,
    user_id: OptionalId = None,
    taskgroupv2_id: OptionalId = None,
    pkg_name: str | None = None,
    status: ActivityStatus | None = None,
    action: ActivityAction | None = None,
    timestamp_started_min: AwareDatetime | None = None,
) -> list[ActivityRead]:
    """Every user's task-group activities, filtered."""
    found = await activities.list_activities(
        session,
        user_id=user_id,
        activity_id=task_group_activity_id,
        task_group_id=taskgroupv2_id,
        pkg_name=pkg_name,
        status=status,
        action=action,
        started_after=timestamp_started_min,
    )
    return [ActivityRead.model_validate(activity) for activity in found]


async def _superuser_read(session: SessionDep, group: TaskGroup) -> TaskGroupReadSuperuser:
    read = await service.read_task_group(session, group)
    return TaskGroupReadSuperuser(**read.model_dump(), resource_id=group.resource_id)


@router.get("/task-group/", response_model=list[TaskGroupReadSuperuser])
async def list_task_groups(
    _admin: Superuser,
    session: SessionDep,
    user_id: OptionalId = None,
    user_group_id: OptionalId = None,
    private: bool | None = None,
    active: bool | None = None,
    pkg_name: str | None = None,
    origin: TaskGroupOrigin | None = None,
    timestamp_last_used_min: AwareDatetime | None = None,
    timestamp_last_used_max: AwareDatetime | None = None,
    resource_id: OptionalId = None,
) -> list[TaskGroupReadSuperuser]:
    """Every task group, filtered; `private=true` means shared with no user group."""
    filters = task_groups.TaskGroupFilters(
        user_id=user_id,
        user_group_id=user_group_id,
        private=private,
        active=active,
        pkg_name=pkg_name,
        origin=origin.value if origin else None,
        timestamp_last_used_min=timestamp_last_used_min,
        timestamp_last_used_max=timestamp_last_used_max,
        resource_id=resource_id,
    )
    groups = await task_groups.list_task_groups(session, filters)
    reads = await service.read_task_groups(session, groups)
    return [
        TaskGroupReadSuperuser(**read.model_dump(), resource_id=group.resource_id)
        for read, group in zip(reads, groups, strict=True)
    ]


@router.get("/task-group/{task_group_id}/", response_model=TaskGroupReadSuperuser, responses=_404)
async def get_task_group(
    task_group_id: TaskGroupId, _admin: Superuser, session: SessionDep
) -> TaskGroupReadSuperuser:
    """Any task group."""
    return await _superuser_read(session, await task_groups.get_task_group(session, task_group_id))


@router.patch(
    "/task-group/{task_group_id}/",
    response_model=TaskGroupReadSuperuser,
    responses={**_404, **_422},
)
async def patch_task_group(
    task_group_id: TaskGroupId, data: TaskGroupUpdate, _admin: Superuser, session: SessionDep
) -> TaskGroupReadSuperuser:
    """Share any task group with any user group (or make it private with null)."""
    group = await task_groups.get_task_group(session, task_group_id)
    if data.user_group_id is not None:
        await get_group(session, data.user_group_id)
    await service.share_task_group(session, group, data=data)
    return await _superuser_read(session, group)


async def _any_task_group(session: AsyncSession, _admin: User, task_group_id: int) -> TaskGroup:
    return await task_groups.get_task_group(session, task_group_id)


add_lifecycle_routes(
    router,
    caller=current_superuser,
    load_group=_any_task_group,
    name_prefix="admin_",
    responses={**_404, **_422},
)
