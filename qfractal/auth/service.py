"""Users: login, tokens, registration, profile and viewer paths."""

import posixpath
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth import groups
from qfractal.auth.models import LinkUserGroup, RevokedToken, User, UserGroup
from qfractal.auth.passwords import hash_password, password_problem, verify_password
from qfractal.auth.schemas import UserCreate, UserProfileInfo, UserUpdate, UserUpdateStrict
from qfractal.compute.models import Profile, Resource
from qfractal.config import Settings
from qfractal.db.integrity import flush_or_raise
from qfractal.db.types import utc_now
from qfractal.errors import BadRequest, NotFound

LOGIN_BAD_CREDENTIALS = "LOGIN_BAD_CREDENTIALS"


async def authenticate(session: AsyncSession, *, email: str, password: str) -> User:
    """The active user with these credentials, else BadRequest (same answer for every cause)."""
    user = await get_by_email(session, email)
    if not verify_password(password, user.hashed_password if user else None):
        raise BadRequest(LOGIN_BAD_CREDENTIALS)
    assert user is not None
    if not user.is_active:
        raise BadRequest(LOGIN_BAD_CREDENTIALS)
    return user


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.strip().lower()))


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} not found.")
    return user


async def list_users(session: AsyncSession, *, profile_id: int | None = None) -> Sequence[User]:
    query = select(User).order_by(User.id)
    if profile_id is not None:
        query = query.where(User.profile_id == profile_id)
    return (await session.scalars(query)).all()


async def revoke_token(session: AsyncSession, *, jti: str, expires_at: datetime) -> None:
    await session.execute(delete(RevokedToken).where(RevokedToken.expires_at < utc_now()))
    if await session.get(RevokedToken, jti) is None:
        session.add(RevokedToken(jti=jti, expires_at=expires_at))


async def is_revoked(session: AsyncSession, jti: str) -> bool:
    return await session.get(RevokedToken, jti) is not None


async def _require_profile(session: AsyncSession, profile_id: int) -> None:
    if await session.get(Profile, profile_id) is None:
        raise NotFound(f"Profile {profile_id} not found.")


async def create_user(session: AsyncSession, *, data: UserCreate, default_group_name: str) -> User:
    """Register a user; every user joins the default group."""
    problem = password_problem(data.password)
    if problem:
        raise BadRequest({"code": "REGISTER_INVALID_PASSWORD", "reason": problem})
    already_exists = BadRequest("REGISTER_USER_ALREADY_EXISTS")
    if await get_by_email(session, data.email) is not None:
        raise already_exists
    if data.profile_id is not None:
        await _require_profile(session, data.profile_id)
    user = User(
        email=data.email,
        hashed_password=hash_password(data.password),
        is_active=data.is_active,
        is_superuser=data.is_superuser,
        is_verified=data.is_verified,
        profile_id=data.profile_id,
        project_dirs=data.merged_project_dirs() or [],
        slurm_accounts=list(data.slurm_accounts),
    )
    session.add(user)
    await flush_or_raise(session, already_exists)
    default_group = await groups.ensure_default_group(session, default_group_name)
    session.add(LinkUserGroup(group_id=default_group.id, user_id=user.id))
    await session.flush()
    return user


async def update_user(session: AsyncSession, user: User, *, data: UserUpdate) -> User:
    """Superuser edit of any field of a user."""
    fields = data.model_fields_set
    if "password" in fields and data.password is not None:
        problem = password_problem(data.password)
        if problem:
            raise BadRequest({"code": "UPDATE_USER_INVALID_PASSWORD", "reason": problem})
        user.hashed_password = hash_password(data.password)
    email_taken = BadRequest("UPDATE_USER_EMAIL_ALREADY_EXISTS")
    if data.email is not None and data.email != user.email:
        if await get_by_email(session, data.email) is not None:
            raise email_taken
        user.email = data.email
    if "profile_id" in fields:
        if data.profile_id is not None:
            await _require_profile(session, data.profile_id)
        user.profile_id = data.profile_id
    for flag in ("is_active", "is_superuser", "is_verified"):
        if flag in fields:
            setattr(user, flag, getattr(data, flag))
    project_dirs = data.merged_project_dirs()
    if project_dirs is not None:
        user.project_dirs = project_dirs
    if data.slurm_accounts is not None:
        user.slurm_accounts = list(data.slurm_accounts)
    await flush_or_raise(session, email_taken)
    return user


async def update_self(session: AsyncSession, user: User, *, data: UserUpdateStrict) -> User:
    if data.slurm_accounts is not None:
        user.slurm_accounts = list(data.slurm_accounts)
    await session.flush()
    return user


async def group_ids_names(session: AsyncSession, user_id: int) -> list[tuple[int, str]]:
    rows = await session.execute(
        select(UserGroup.id, UserGroup.name)
        .join(LinkUserGroup, LinkUserGroup.group_id == UserGroup.id)
        .where(LinkUserGroup.user_id == user_id)
        .order_by(UserGroup.id)
    )
    return [(group_id, name) for group_id, name in rows.all()]


async def profile_info(session: AsyncSession, user: User) -> UserProfileInfo:
    if user.profile_id is None:
        return UserProfileInfo(has_profile=False)
    row = (
        await session.execute(
            select(Profile, Resource)
            .join(Resource, Resource.id == Profile.resource_id)
            .where(Profile.id == user.profile_id)
        )
    ).one()
    profile, resource = row
    return UserProfileInfo(
        has_profile=True,
        resource_name=resource.name,
        profile_name=profile.name,
        username=profile.username,
    )


async def allowed_viewer_paths(
    session: AsyncSession, user: User, *, settings: Settings
) -> list[str]:
    """Folders a data viewer may show this user, per the configured data-auth scheme."""
    if settings.data_auth_scheme == "none":
        return []
    if settings.data_auth_scheme == "users-folders":
        info = await profile_info(session, user)
        if settings.data_base_folder is None or info.username is None:
            return []
        return [posixpath.join(settings.data_base_folder, info.username)]
    group_paths = await session.scalars(
        select(UserGroup.viewer_paths)
        .join(LinkUserGroup, LinkUserGroup.group_id == UserGroup.id)
        .where(LinkUserGroup.user_id == user.id)
        .order_by(UserGroup.id)
    )
    paths = list(user.project_dirs)
    for viewer_paths in group_paths:
        paths.extend(viewer_paths)
    return list(dict.fromkeys(paths))
