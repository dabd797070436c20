"""Superuser routes under /auth: users and groups."""

from typing import Annotated

from fastapi import APIRouter, Response, status

from qfractal.auth import groups, service
from qfractal.auth.dependencies import SettingsDep, Superuser
from qfractal.auth.schemas import (
    UserGroupCreate,
    UserGroupRead,
    UserGroupUpdate,
    UserRead,
    UserUpdate,
    UserUpdateGroups,
    user_read,
)
from qfractal.db.session import SessionDep
from qfractal.ids import GroupId, UserId, id_query

router = APIRouter(prefix="/auth", tags=["Authentication"])

_404 = {404: {"description": "No such user or group."}}
_422 = {422: {"description": "Invalid body, or a rule about groups was broken."}}


@router.get("/users/", response_model=list[UserRead])
async def list_users(
    _admin: Superuser,
    session: SessionDep,
    profile_id: Annotated[int | None, id_query("Only users on this profile")] = None,
) -> list[UserRead]:
    """All users, optionally only those on one profile."""
    return [user_read(user) for user in await service.list_users(session, profile_id=profile_id)]


@router.get("/users/{user_id}/", response_model=UserRead, responses=_404)
async def get_user(
    user_id: UserId, _admin: Superuser, session: SessionDep, group_ids_names: bool = True
) -> UserRead:
    """One user, with their groups unless `group_ids_names=false`."""
    user = await service.get_user(session, user_id)
    names = await service.group_ids_names(session, user.id) if group_ids_names else None
    return user_read(user, names)


@router.patch(
    "/users/{user_id}/",
    response_model=UserRead,
    responses={**_404, 400: {"description": "E-mail taken or password refused."}},
)
async def patch_user(
    user_id: UserId, data: UserUpdate, _admin: Superuser, session: SessionDep
) -> UserRead:
    """Edit any field of a user, including password and flags."""
    user = await service.get_user(session, user_id)
    await service.update_user(session, user, data=data)
    return user_read(user, await service.group_ids_names(session, user.id))


@router.post("/users/{user_id}/set-groups/", response_model=UserRead, responses={**_404, **_422})
async def set_user_groups(
    user_id: UserId,
    data: UserUpdateGroups,
    _admin: Superuser,
    session: SessionDep,
    settings: SettingsDep,
) -> UserRead:
    """Replace the user's groups; the default group cannot be dropped."""
    user = await service.get_user(session, user_id)
    await groups.set_user_groups(
        session, user, group_ids=data.group_ids, default_group_name=settings.default_group_name
    )
    return user_read(user, await service.group_ids_names(session, user.id))


@router.get("/group/", response_model=list[UserGroupRead])
async def list_groups(
    _admin: Superuser, session: SessionDep, user_ids: bool = False
) -> list[UserGroupRead]:
    """All groups; `user_ids=true` adds their members."""
    return await groups.list_groups(session, with_user_ids=user_ids)


@router.post("/group/", status_code=201, response_model=UserGroupRead, responses=_422)
async def create_group(
    data: UserGroupCreate, _admin: Superuser, session: SessionDep
) -> UserGroupRead:
    """Create a group (names are unique)."""
    group = await groups.create_group(session, data=data)
    return await groups.read_group(session, group)


@router.get("/group/{group_id}/", response_model=UserGroupRead, responses=_404)
async def get_group(group_id: GroupId, _admin: Superuser, session: SessionDep) -> UserGroupRead:
    """One group with its members."""
    return await groups.read_group(session, await groups.get_group(session, group_id))


@router.patch("/group/{group_id}/", response_model=UserGroupRead, responses=_404)
async def patch_group(
    group_id: GroupId, data: UserGroupUpdate, _admin: Superuser, session: SessionDep
) -> UserGroupRead:
    """Change a group's viewer paths."""
    group = await groups.get_group(session, group_id)
    await groups.update_group(session, group, data=data)
    return await groups.read_group(session, group)


@router.delete("/group/{group_id}/", status_code=204, responses={**_404, **_422})
async def delete_group(
    group_id: GroupId, _admin: Superuser, session: SessionDep, settings: SettingsDep
) -> Response:
    """Delete a group (not the default group)."""
    group = await groups.get_group(session, group_id)
    await groups.delete_group(session, group, default_group_name=settings.default_group_name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/group/{group_id}/add-user/{user_id}/",
    response_model=UserGroupRead,
    responses={**_404, **_422},
)
async def add_user_to_group(
    group_id: GroupId, user_id: UserId, _admin: Superuser, session: SessionDep
) -> UserGroupRead:
    """Add a user to a group (422 if already a member)."""
    group = await groups.get_group(session, group_id)
    await groups.add_user(session, group, await service.get_user(session, user_id))
    return await groups.read_group(session, group)


@router.post(
    "/group/{group_id}/remove-user/{user_id}/",
    response_model=UserGroupRead,
    responses={**_404, **_422},
)
async def remove_user_from_group(
    group_id: GroupId,
    user_id: UserId,
    _admin: Superuser,
    session: SessionDep,
    settings: SettingsDep,
) -> UserGroupRead:
    """Remove a user from a group (not from the default group)."""
    group = await groups.get_group(session, group_id)
    user = await service.get_user(session, user_id)
    await groups.remove_user(session, group, user, default_group_name=settings.default_group_name)
    return await groups.read_group(session, group)
