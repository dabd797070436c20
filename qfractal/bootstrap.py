"""`qfractal init`: the data every server needs, created once and kept on re-runs."""

import sys
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth import groups
from qfractal.auth import service as users
from qfractal.auth.schemas import UserCreate
from qfractal.compute import service as compute
from qfractal.compute.models import Profile, Resource
from qfractal.compute.schemas import ProfileLocal, ResourceLocal, TasksPythonSettings
from qfractal.config import Settings
from qfractal.quantum.devices.seed import seed_standard_providers

DEFAULT_RESOURCE_NAME = "local"
DEFAULT_PROFILE_NAME = "local"


@dataclass
class InitReport:
    lines: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)


def _local_python() -> TasksPythonSettings:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return TasksPythonSettings.model_validate(
        {"default_version": version, "versions": {version: sys.executable}}
    )


async def _ensure_local_resource(
    session: AsyncSession, settings: Settings, report: InitReport
) -> Resource:
    resource = await session.scalar(select(Resource).where(Resource.name == DEFAULT_RESOURCE_NAME))
    if resource is not None:
        report.say(f"resource {resource.name!r} (id {resource.id}) already exists")
        return resource
    resource = await compute.create_resource(
        session,
        data=ResourceLocal(
            type="local",
            name=DEFAULT_RESOURCE_NAME,
            tasks_python_config=_local_python(),
            tasks_local_dir=str(settings.tasks_dir),
            jobs_local_dir=str(settings.jobs_dir),
        ),
    )
    report.say(f"created resource {resource.name!r} (id {resource.id}, type local)")
    return resource


async def _ensure_local_profile(
    session: AsyncSession, resource: Resource, report: InitReport
) -> Profile:
    profile = await session.scalar(select(Profile).where(Profile.name == DEFAULT_PROFILE_NAME))
    if profile is not None:
        report.say(f"profile {profile.name!r} (id {profile.id}) already exists")
        return profile
    profile = await compute.create_profile(
        session, resource, data=ProfileLocal(name=DEFAULT_PROFILE_NAME, resource_type="local")
    )
    report.say(f"created profile {profile.name!r} (id {profile.id}) on {resource.name!r}")
    return profile


async def default_profile_id(session: AsyncSession) -> int | None:
    return await session.scalar(select(Profile.id).where(Profile.name == DEFAULT_PROFILE_NAME))


async def initialize(
    session: AsyncSession,
    settings: Settings,
    *,
    admin_email: str | None,
    admin_password: str | None,
) -> InitReport:
    """Default group, local resource and profile, the quantum providers and their standard
    devices, and the first superuser if asked for."""
    report = InitReport()
    group = await groups.ensure_default_group(session, settings.default_group_name)
    report.say(f"default group {group.name!r} (id {group.id}) is ready")
    resource = await _ensure_local_resource(session, settings, report)
    profile = await _ensure_local_profile(session, resource, report)
    report.say((await seed_standard_providers(session)).line())
    if admin_email is None or admin_password is None:
        report.say("no admin e-mail/password given: no superuser created")
        return report
    existing = await users.get_by_email(session, admin_email)
    if existing is not None:
        report.say(f"user {existing.email} already exists (password unchanged)")
        return report
    admin = await users.create_user(
        session,
        data=UserCreate(
            email=admin_email,
            password=admin_password,
            is_superuser=True,
            is_verified=True,
            profile_id=profile.id,
            project_dir=str(settings.projects_dir / "admin"),
        ),
        default_group_name=settings.default_group_name,
    )
    report.say(f"created superuser {admin.email} (id {admin.id})")
    return report
