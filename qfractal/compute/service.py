"""Compute resources and profiles: create, overwrite, delete (only when unused)."""

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.compute.models import Profile, Resource
from qfractal.compute.schemas import (
    ProfileLocal,
    ProfileSlurmSSH,
    ProfileSlurmSudo,
    ResourceLocal,
    ResourceSlurmSSH,
    ResourceSlurmSudo,
)
from qfractal.db.integrity import flush_or_raise
from qfractal.errors import Conflict, InvalidInput, NotFound

ResourceData = ResourceLocal | ResourceSlurmSudo | ResourceSlurmSSH
ProfileData = ProfileLocal | ProfileSlurmSudo | ProfileSlurmSSH


async def list_resources(session: AsyncSession) -> Sequence[Resource]:
    return (await session.scalars(select(Resource).order_by(Resource.id))).all()


async def get_resource(session: AsyncSession, resource_id: int) -> Resource:
    resource = await session.get(Resource, resource_id)
    if resource is None:
        raise NotFound(f"Resource {resource_id} not found.")
    return resource


async def _count(session: AsyncSession, query: object) -> int:
    return int(await session.scalar(query) or 0)  # type: ignore[arg-type]


async def _check_unique_name(
    session: AsyncSession, model: type[Resource] | type[Profile], name: str, own_id: int | None
) -> Conflict:
    duplicate = Conflict(f"A {model.__tablename__} named {name!r} already exists.")
    existing = await session.scalar(select(model.id).where(model.name == name))
    if existing is not None and existing != own_id:
        raise duplicate
    return duplicate


def _apply_resource(resource: Resource, data: ResourceData) -> None:
    values = data.model_dump(mode="json")
    for key, value in values.items():
        setattr(resource, key, value)


async def create_resource(session: AsyncSession, *, data: ResourceData) -> Resource:
    duplicate = await _check_unique_name(session, Resource, data.name, None)
    resource = Resource()
    _apply_resource(resource, data)
    session.add(resource)
    await flush_or_raise(session, duplicate)
    return resource


async def replace_resource(
    session: AsyncSession, resource: Resource, *, data: ResourceData
) -> Resource:
    duplicate = await _check_unique_name(session, Resource, data.name, resource.id)
    if data.type != resource.type:
        profiles = await _count(
            session, select(func.count()).where(Profile.resource_id == resource.id)
        )
        if profiles:
            raise InvalidInput(
                f"Cannot change the type of resource {resource.id} from {resource.type!r} "
                f"to {data.type!r}: it has {profiles} profile(s)."
            )
    _apply_resource(resource, data)
    await flush_or_raise(session, duplicate)
    return resource


async def delete_resource(session: AsyncSession, resource: Resource) -> None:
    profiles = await _count(session, select(func.count()).where(Profile.resource_id == resource.id))
    if profiles:
        raise Conflict(
            f"Resource {resource.id} is in use by {profiles} profile(s); delete them first."
        )
    await session.delete(resource)
    await flush_or_raise(session, Conflict(f"Resource {resource.id} is in use."))


async def list_profiles(
    session: AsyncSession, *, resource_id: int | None = None
) -> Sequence[Profile]:
    query = select(Profile).order_by(Profile.id)
    if resource_id is not None:
        query = query.where(Profile.resource_id == resource_id)
    return (await session.scalars(query)).all()


async def get_profile(session: AsyncSession, profile_id: int) -> Profile:
    profile = await session.get(Profile, profile_id)
    if profile is None:
        raise NotFound(f"Profile {profile_id} not found.")
    return profile


def _check_profile_type(resource: Resource, data: ProfileData) -> None:
    if data.resource_type != resource.type:
        raise InvalidInput(
            f"resource_type {data.resource_type!r} does not match the type "
            f"{resource.type!r} of resource {resource.id}."
        )


async def create_profile(
    session: AsyncSession, resource: Resource, *, data: ProfileData
) -> Profile:
    _check_profile_type(resource, data)
    duplicate = await _check_unique_name(session, Profile, data.name, None)
    profile = Profile(resource_id=resource.id, **data.model_dump())
    session.add(profile)
    await flush_or_raise(session, duplicate)
    return profile


async def replace_profile(session: AsyncSession, profile: Profile, *, data: ProfileData) -> Profile:
    resource = await get_resource(session, profile.resource_id)
    _check_profile_type(resource, data)
    duplicate = await _check_unique_name(session, Profile, data.name, profile.id)
    for key, value in data.model_dump().items():
        setattr(profile, key, value)
    await flush_or_raise(session, duplicate)
    return profile


async def delete_profile(session: AsyncSession, profile: Profile) -> None:
    users = await _count(session, select(func.count()).where(User.profile_id == profile.id))
    if users:
        raise Conflict(f"Profile {profile.id} is in use by {users} user(s).")
    await session.delete(profile)
    await flush_or_raise(session, Conflict(f"Profile {profile.id} is in use."))


async def resource_id_of_user(session: AsyncSession, user: User) -> int:
    """The resource the user's profile is on (callers ensure the user has a profile)."""
    if user.profile_id is None:
        raise InvalidInput(f"User {user.email} has no compute profile.")
    return (await get_profile(session, user.profile_id)).resource_id
