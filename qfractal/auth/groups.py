"""User groups and memberships; the default group holds every user."""

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import LinkUserGroup, User, UserGroup
from qfractal.auth.schemas import UserGroupCreate, UserGroupRead, UserGroupUpdate
from qfractal.db.integrity import flush_or_raise
from qfractal.errors import Conflict, InvalidInput, NotFound


async def ensure_default_group(session: AsyncSession, name: str) -> UserGroup:
    group = await session.scalar(select(UserGroup).where(UserGroup.name == name))
    if group is None:
        group = UserGroup(name=name, viewer_paths=[])
        session.add(group)
        await flush_or_raise(session, Conflict(f"Group {name!r} was created concurrently."))
    return group


async def get_group(session: AsyncSession, group_id: int) -> UserGroup:
    group = await session.get(UserGroup, group_id)
    if group is None:
        raise NotFound(f"Group {group_id} not found.")
    return group


async def _member_ids(session: AsyncSession, group_ids: Sequence[int]) -> dict[int, list[int]]:
    rows = await session.execute(
        select(LinkUserGroup.group_id, LinkUserGroup.user_id)
        .where(LinkUserGroup.group_id.in_(group_ids))
        .order_by(LinkUserGroup.user_id)
    )
    members: dict[int, list[int]] = defaultdict(list)
    for group_id, user_id in rows.all():
        members[group_id].append(user_id)
    return members


async def read_group(session: AsyncSession, group: UserGroup) -> UserGroupRead:
    members = await _member_ids(session, [group.id])
    return UserGroupRead(
        id=group.id,
        name=group.name,
        timestamp_created=group.timestamp_created,
        viewer_paths=list(group.viewer_paths),
        user_ids=members[group.id],
    )


async def list_groups(session: AsyncSession, *, with_user_ids: bool) -> list[UserGroupRead]:
    all_groups = (await session.scalars(select(UserGroup).order_by(UserGroup.id))).all()
    members = await _member_ids(session, [g.id for g in all_groups]) if with_user_ids else {}
    return [
        UserGroupRead(
            id=group.id,
            name=group.name,
            timestamp_created=group.timestamp_created,
            viewer_paths=list(group.viewer_paths),
            user_ids=members.get(group.id, []) if with_user_ids else None,
        )
        for group in all_groups
    ]


async def create_group(session: AsyncSession, *, data: UserGroupCreate) -> UserGroup:
    duplicate = Conflict(f"A group named {data.name!r} already exists.")
    if await session.scalar(select(UserGroup.id).where(UserGroup.name == data.name)):
        raise duplicate
    group = UserGroup(name=data.name, viewer_paths=list(dict.fromkeys(data.viewer_paths)))
    session.add(group)
    await flush_or_raise(session, duplicate)
    return group


async def update_group(session: AsyncSession, group: UserGroup, *, data: UserGroupUpdate) -> None:
    if data.viewer_paths is not None:
        group.viewer_paths = list(dict.fromkeys(data.viewer_paths))
    await session.flush()


async def delete_group(session: AsyncSession, group: UserGroup, *, default_group_name: str) -> None:
    if group.name == default_group_name:
        raise InvalidInput(f"The default group {default_group_name!r} cannot be deleted.")
    await session.delete(group)
    await session.flush()


async def _membership(session: AsyncSession, group_id: int, user_id: int) -> LinkUserGroup | None:
    return await session.get(LinkUserGroup, (group_id, user_id))


async def add_user(session: AsyncSession, group: UserGroup, user: User) -> None:
    already = Conflict(f"User {user.id} is already a member of group {group.id}.")
    if await _membership(session, group.id, user.id) is not None:
        raise already
    session.add(LinkUserGroup(group_id=group.id, user_id=user.id))
    await flush_or_raise(session, already)


async def remove_user(
    session: AsyncSession, group: UserGroup, user: User, *, default_group_name: str
) -> None:
    if group.name == default_group_name:
        raise InvalidInput(
            f"Users cannot be removed from the default group {default_group_name!r}."
        )
    link = await _membership(session, group.id, user.id)
    if link is None:
        raise InvalidInput(f"User {user.id} is not a member of group {group.id}.")
    await session.delete(link)
    await session.flush()


async def set_user_groups(
    session: AsyncSession, user: User, *, group_ids: Sequence[int], default_group_name: str
) -> None:
    """Replace the user's memberships; the default group must stay among them."""
    wanted = set(group_ids)
    found = await session.scalars(select(UserGroup).where(UserGroup.id.in_(wanted)))
    found_by_id = {group.id: group for group in found}
    missing = sorted(wanted - found_by_id.keys())
    if missing:
        raise NotFound(f"Groups not found: {missing}.")
    if not any(group.name == default_group_name for group in found_by_id.values()):
        raise InvalidInput(
            f"The default group {default_group_name!r} must be among the user's groups."
        )
    current = set(
        await session.scalars(
            select(LinkUserGroup.group_id).where(LinkUserGroup.user_id == user.id)
        )
    )
    await session.execute(
        delete(LinkUserGroup).where(
            LinkUserGroup.user_id == user.id, LinkUserGroup.group_id.not_in(wanted)
        )
    )
    for group_id in sorted(wanted - current):
        session.add(LinkUserGroup(group_id=group_id, user_id=user.id))
    await flush_or_raise(session, Conflict("Group memberships changed concurrently."))
