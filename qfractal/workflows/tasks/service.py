"""Tasks and task groups: listing, registering a single task, editing, sharing."""

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import LinkUserGroup, User, UserGroup
from qfractal.compute.service import resource_id_of_user
from qfractal.db.integrity import flush_or_raise
from qfractal.errors import Conflict, InvalidInput
from qfractal.workflows.models import Task, TaskGroup
from qfractal.workflows.tasks import access, ordering
from qfractal.workflows.tasks.schemas import (
    TaskCreate,
    TaskGroupOrigin,
    TaskGroupRead,
    TaskGroupUpdate,
    TaskRead,
    TaskUpdate,
)


async def list_tasks(
    session: AsyncSession,
    user: User,
    *,
    category: str | None = None,
    modality: str | None = None,
    author: str | None = None,
) -> Sequence[Task]:
    """Tasks of the readable task groups; category and modality match case-insensitively,
    author is a case-insensitive substring of the authors."""
    groups = access.readable_task_groups(user, await resource_id_of_user(session, user)).subquery()
    query = select(Task).join(groups, groups.c.id == Task.taskgroupv2_id).order_by(Task.id)
    if category is not None:
        query = query.where(func.lower(Task.category) == category.lower())
    if modality is not None:
        query = query.where(func.lower(Task.modality) == modality.lower())
    if author is not None:
        query = query.where(Task.authors.icontains(author, autoescape=True))
    return (await session.scalars(query)).all()


async def get_task(session: AsyncSession, user: User, task_id: int) -> Task:
    return await access.get_readable_task(session, user, task_id)


async def create_other_group(
    session: AsyncSession,
    user: User,
    sharing: access.Sharing,
    *,
    resource_id: int,
    pkg_name: str,
    version: str | None,
) -> TaskGroup:
    """A new, active task group of origin `other` (tasks installed outside the server)."""
    group = TaskGroup(
        user_id=user.id,
        user_group_id=await access.place_new_group(
            session, user, sharing, resource_id=resource_id, pkg_name=pkg_name, version=version
        ),
        resource_id=resource_id,
        origin=TaskGroupOrigin.OTHER.value,
        pkg_name=pkg_name,
        version=version,
        active=True,
    )
    session.add(group)
    await flush_or_raise(session, Conflict(f"Task group {pkg_name!r} was created concurrently."))
    return group


async def create_task(
    session: AsyncSession, user: User, *, data: TaskCreate, sharing: access.Sharing
) -> Task:
    """Register one task in a task group of its own (origin `other`, named after the task)."""
    group = await create_other_group(
        session,
        user,
        sharing,
        resource_id=await resource_id_of_user(session, user),
        pkg_name=data.name,
        version=data.version,
    )
    fields = data.model_dump()
    fields["meta_non_parallel"] = fields["meta_non_parallel"] or {}
    fields["meta_parallel"] = fields["meta_parallel"] or {}
    task = Task(taskgroupv2_id=group.id, **fields)
    session.add(task)
    await session.flush()
    return task


async def update_task(session: AsyncSession, user: User, task_id: int, *, data: TaskUpdate) -> Task:
    """Change a task of a group the user owns; a command may only replace an existing one."""
    task = await access.get_owned_task(session, user, task_id)
    changes = data.model_dump(exclude_unset=True)
    for side in ("non_parallel", "parallel"):
        if f"command_{side}" in changes and getattr(task, f"command_{side}") is None:
            raise InvalidInput(f"Cannot set command_{side} on a task of type {task.type!r}.")
    if "tags" in changes and changes["tags"] is None:
        changes["tags"] = []
    for key, value in changes.items():
        setattr(task, key, value)
    await session.flush()
    return task


async def _tasks_by_group(session: AsyncSession, group_ids: Sequence[int]) -> dict[int, list[Task]]:
    tasks = await session.scalars(
        select(Task).where(Task.taskgroupv2_id.in_(group_ids)).order_by(Task.id)
    )
    result: dict[int, list[Task]] = defaultdict(list)
    for task in tasks:
        result[task.taskgroupv2_id].append(task)
    return result


async def read_task_groups(
    session: AsyncSession, groups: Sequence[TaskGroup], *, args_schema: bool = True
) -> list[TaskGroupRead]:
    """Response bodies of task groups, each with its task list."""
    tasks = await _tasks_by_group(session, [group.id for group in groups])
    result = []
    for group in groups:
        task_list = [TaskRead.model_validate(task) for task in tasks.get(group.id, [])]
        if not args_schema:
            task_list = [task.without_args_schemas() for task in task_list]
        result.append(
            TaskGroupRead.model_validate(
                {
                    **{
                        name: getattr(group, name)
                        for name in TaskGroupRead.model_fields
                        if name != "task_list"
                    },
                    "task_list": task_list,
                }
            )
        )
    return result


async def read_task_group(session: AsyncSession, group: TaskGroup) -> TaskGroupRead:
    return (await read_task_groups(session, [group]))[0]


async def _membership_order(session: AsyncSession, user: User) -> list[int]:
    rows = await session.scalars(
        select(LinkUserGroup.group_id)
        .where(LinkUserGroup.user_id == user.id)
        .order_by(LinkUserGroup.timestamp_created, LinkUserGroup.group_id)
    )
    return list(rows)


async def list_task_groups(
    session: AsyncSession,
    user: User,
    *,
    only_active: bool,
    only_owner: bool,
    args_schema: bool,
    default_group_name: str,
) -> list[tuple[str, list[TaskGroupRead]]]:
    """Readable task groups as `[pkg_name, [groups newest version first]]` pairs, one group
    per version (own > default user group > oldest membership)."""
    resource_id = await resource_id_of_user(session, user)
    query = access.readable_task_groups(user, resource_id, only_owner=only_owner)
    if only_active:
        query = query.where(TaskGroup.active.is_(True))
    groups = (await session.scalars(query.order_by(TaskGroup.pkg_name, TaskGroup.id))).all()
    default_group_id = await session.scalar(
        select(UserGroup.id).where(UserGroup.name == default_group_name)
    )
    membership = await _membership_order(session, user)
    by_package: dict[str, list[TaskGroup]] = defaultdict(list)
    for group in groups:
        by_package[group.pkg_name].append(group)
    chosen = {
        pkg_name: [
            ordering.preferred(
                same_version,
                user_id=user.id,
                default_group_id=default_group_id,
                membership_order=membership,
            )
            for same_version in ordering.by_version(ordering.newest_first(package_groups))
        ]
        for pkg_name, package_groups in by_package.items()
    }
    reads = await read_task_groups(
        session, [group for groups in chosen.values() for group in groups], args_schema=args_schema
    )
    read_by_id = {read.id: read for read in reads}
    return [
        (pkg_name, [read_by_id[group.id] for group in package_groups])
        for pkg_name, package_groups in sorted(chosen.items())
    ]


async def update_task_group(
    session: AsyncSession, user: User, task_group_id: int, *, data: TaskGroupUpdate
) -> TaskGroup:
    """Share the group with another user group (the owner must belong to it) or unshare it."""
    group = await access.get_owned_task_group(session, user, task_group_id)
    if data.user_group_id is not None and data.user_group_id != group.user_group_id:
        await access.check_membership(session, user, data.user_group_id)
    return await share_task_group(session, group, data=data)


async def share_task_group(
    session: AsyncSession, group: TaskGroup, *, data: TaskGroupUpdate
) -> TaskGroup:
    """Set the group's user group, unless that group has this package version already."""
    if "user_group_id" in data.model_fields_set and data.user_group_id != group.user_group_id:
        if data.user_group_id is not None:
            clash = await session.scalar(
                select(TaskGroup.id).where(
                    TaskGroup.resource_id == group.resource_id,
                    TaskGroup.user_group_id == data.user_group_id,
                    TaskGroup.pkg_name == group.pkg_name,
                    TaskGroup.version == group.version,
                    TaskGroup.id != group.id,
                )
            )
            if clash is not None:
                raise Conflict(
                    f"User group {data.user_group_id} already has a task group with "
                    f"name={group.pkg_name!r} and version={group.version!r}."
                )
        group.user_group_id = data.user_group_id
        await session.flush()
    return group
