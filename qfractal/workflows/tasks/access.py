"""Who may see and change task groups and tasks, and where new ones may go.

A user reads the task groups of their compute resource that they own or that are shared
with one of their user groups; only the owner changes a group. An unreadable group or task
is not found (404); a readable one that the user does not own is forbidden (403).
"""

from dataclasses import dataclass

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import LinkUserGroup, User, UserGroup
from qfractal.compute.service import resource_id_of_user
from qfractal.errors import Conflict, Forbidden, InvalidInput, NotFound
from qfractal.workflows.models import Task, TaskGroup


def member_group_ids(user: User) -> Select[tuple[int]]:
    return select(LinkUserGroup.group_id).where(LinkUserGroup.user_id == user.id)


def readable_task_groups(
    user: User, resource_id: int, *, only_owner: bool = False
) -> Select[tuple[TaskGroup]]:
    """The task groups of the user's resource that the user owns or shares through a group."""
    owned = TaskGroup.user_id == user.id
    condition = (
        owned if only_owner else or_(owned, TaskGroup.user_group_id.in_(member_group_ids(user)))
    )
    return select(TaskGroup).where(TaskGroup.resource_id == resource_id, condition)


async def get_readable_task_group(
    session: AsyncSession, user: User, task_group_id: int
) -> TaskGroup:
    resource_id = await resource_id_of_user(session, user)
    group = await session.scalar(
        readable_task_groups(user, resource_id).where(TaskGroup.id == task_group_id)
    )
    if group is None:
        raise NotFound(f"Task group {task_group_id} not found.")
    return group


async def get_owned_task_group(session: AsyncSession, user: User, task_group_id: int) -> TaskGroup:
    group = await get_readable_task_group(session, user, task_group_id)
    if group.user_id != user.id:
        raise Forbidden(f"Only the owner of task group {task_group_id} may change it.")
    return group


async def get_readable_task(
    session: AsyncSession, user: User, task_id: int, *, require_active: bool = False
) -> Task:
    """A task of a readable group; with `require_active`, 422 if its group is inactive."""
    resource_id = await resource_id_of_user(session, user)
    groups = readable_task_groups(user, resource_id).subquery()
    row = (
        await session.execute(
            select(Task, groups.c.active)
            .join(groups, groups.c.id == Task.taskgroupv2_id)
            .where(Task.id == task_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"Task {task_id} not found.")
    task, active = row
    if require_active and not active:
        raise InvalidInput(f"Task {task_id} ({task.name}) is not active.")
    return task


async def get_owned_task(session: AsyncSession, user: User, task_id: int) -> Task:
    task = await get_readable_task(session, user, task_id)
    group = await session.get(TaskGroup, task.taskgroupv2_id)
    if group is None or group.user_id != user.id:
        raise Forbidden(f"Only the owner of task {task_id} may change it.")
    return task


async def check_membership(session: AsyncSession, user: User, user_group_id: int) -> None:
    if await session.get(LinkUserGroup, (user_group_id, user.id)) is None:
        raise InvalidInput(f"User {user.email} is not a member of user group {user_group_id}.")


@dataclass(frozen=True)
class Sharing:
    """With whom a new task group is shared: `?private=` and `?user_group_id=`."""

    private: bool = False
    user_group_id: int | None = None
    default_group_name: str = "All"


async def target_user_group(session: AsyncSession, user: User, sharing: Sharing) -> int | None:
    """The user group new task groups are shared with: none, the one asked, or the default."""
    if sharing.private and sharing.user_group_id is not None:
        raise InvalidInput("Cannot set both private=true and user_group_id.")
    if sharing.private:
        return None
    user_group_id = sharing.user_group_id
    if user_group_id is None:
        user_group_id = await session.scalar(
            select(UserGroup.id).where(UserGroup.name == sharing.default_group_name)
        )
        if user_group_id is None:
            raise InvalidInput(
                f"The default user group {sharing.default_group_name!r} does not exist."
            )
    await check_membership(session, user, user_group_id)
    return user_group_id


async def place_new_group(
    session: AsyncSession,
    user: User,
    sharing: Sharing,
    *,
    resource_id: int,
    pkg_name: str,
    version: str | None,
) -> int | None:
    """The user group of a new task group; 422 if that place already has this version."""
    user_group_id = await target_user_group(session, user, sharing)
    await check_not_duplicate(
        session,
        user,
        resource_id=resource_id,
        user_group_id=user_group_id,
        pkg_name=pkg_name,
        version=version,
    )
    return user_group_id


async def check_not_duplicate(
    session: AsyncSession,
    user: User,
    *,
    resource_id: int,
    user_group_id: int | None,
    pkg_name: str,
    version: str | None,
) -> None:
    """422 if the user, or the target user group, already has this package version."""
    same_package = select(TaskGroup.id).where(
        TaskGroup.resource_id == resource_id,
        TaskGroup.pkg_name == pkg_name,
        TaskGroup.version.is_(None) if version is None else TaskGroup.version == version,
    )
    if await session.scalar(same_package.where(TaskGroup.user_id == user.id)) is not None:
        raise Conflict(
            f"User {user.email} already owns a task group with name={pkg_name!r} "
            f"and version={version!r}."
        )
    if user_group_id is not None:
        clash = await session.scalar(same_package.where(TaskGroup.user_group_id == user_group_id))
        if clash is not None:
            raise Conflict(
                f"User group {user_group_id} already has a task group with name={pkg_name!r} "
                f"and version={version!r}."
            )
