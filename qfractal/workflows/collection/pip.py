"""Collecting a task package with pip: from the package index by name, or from a wheel.

The request checks everything it can (names, versions, duplicates, the target folder),
records the task group (inactive) and a pending activity, and returns the work to run
after the commit. The work builds the venv step by step; on failure it removes the folder
and the task group, so nothing half-written stays behind.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.db.integrity import flush_or_raise
from qfractal.errors import Conflict, InvalidInput
from qfractal.workflows.collection import commands
from qfractal.workflows.collection.activity import (
    ActivityLog,
    SessionMaker,
    StepFailed,
    load_task_group,
    run_activity,
)
from qfractal.workflows.collection.background import Work
from qfractal.workflows.collection.manifest import build_tasks, check_executables, read_manifest
from qfractal.workflows.collection.resource import user_task_resource
from qfractal.workflows.collection.schemas import PipCollect, pin_requirements
from qfractal.workflows.collection.venv import Venv, remove_tree
from qfractal.workflows.models import TaskGroup, TaskGroupActivity
from qfractal.workflows.tasks import access
from qfractal.workflows.tasks.schemas import ActivityAction, ActivityStatus, TaskGroupOrigin

RESOLVE_TIMEOUT = 180.0


async def resolve_version(python: str, package: str, *, cache_dir: str | None) -> str:
    """The version pip would install for `package` (the latest its configuration allows)."""
    argv = commands.pip_resolve(python, package, cache_dir=cache_dir)
    try:
        result = await commands.run(argv, timeout=RESOLVE_TIMEOUT)
    except commands.CommandFailed as exc:
        raise InvalidInput(f"Could not find package {package!r} through pip.\n{exc}") from exc
    try:
        return str(json.loads(result.stdout)["install"][0]["metadata"]["version"])
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise InvalidInput(
            f"Could not read the version of {package!r} from pip's report: {result.stdout[:500]!r}"
        ) from exc


async def _check_free_path(session: AsyncSession, path: str) -> None:
    if await session.scalar(select(TaskGroup.id).where(TaskGroup.path == path)) is not None:
        raise Conflict(f"Another task group already uses the folder {path}.")
    if Path(path).exists():
        raise Conflict(f"The folder {path} already exists.")


async def request_collection(
    session: AsyncSession,
    user: User,
    *,
    data: PipCollect,
    sharing: access.Sharing,
    sessionmaker: SessionMaker,
) -> tuple[TaskGroupActivity, Work]:
    """Check a pip collection, record its task group and pending activity, return the work."""
    resource = await user_task_resource(session, user)
    resource.check_local()
    python_version, python = resource.python(data.python_version)
    if data.file is not None:
        version = data.file.version
    else:
        version = data.package_version or await resolve_version(
            python, data.package or "", cache_dir=resource.pip_cache_dir
        )
    pkg_name = data.pkg_name
    target_group = await access.place_new_group(
        session, user, sharing, resource_id=resource.id, pkg_name=pkg_name, version=version
    )
    path = resource.group_path(user, pkg_name, version)
    await _check_free_path(session, path)
    archive_path = f"{path}/{data.file.filename}" if data.file else None
    group = TaskGroup(
        user_id=user.id,
        user_group_id=target_group,
        resource_id=resource.id,
        origin=(TaskGroupOrigin.WHEEL_FILE if data.file else TaskGroupOrigin.PYPI).value,
        pkg_name=pkg_name,
        version=version,
        python_version=python_version,
        path=path,
        venv_path=f"{path}/venv",
        archive_path=archive_path,
        pip_extras=data.package_extras,
        pinned_package_versions_pre=data.pinned_package_versions_pre,
        pinned_package_versions_post=data.pinned_package_versions_post,
        active=False,
    )
    session.add(group)
    await flush_or_raise(
        session, Conflict(f"A task group {pkg_name} {version} was created concurrently.")
    )
    activity = TaskGroupActivity(
        user_id=user.id,
        taskgroupv2_id=group.id,
        pkg_name=pkg_name,
        version=version,
        status=ActivityStatus.PENDING.value,
        action=ActivityAction.COLLECT.value,
        log="",
    )
    session.add(activity)
    await session.flush()
    job = PipCollection(
        sessionmaker=sessionmaker,
        activity_id=activity.id,
        task_group_id=group.id,
        pkg_name=pkg_name,
        version=version,
        path=path,
        base_python=python,
        venv=Venv(f"{path}/venv", pip_cache_dir=resource.pip_cache_dir),
        requirement=data.requirement(archive_path, version),
        pins_pre=pin_requirements(data.pinned_package_versions_pre),
        pins_post=pin_requirements(data.pinned_package_versions_post),
        wheel=(archive_path, data.file.content) if data.file and archive_path else None,
    )
    return activity, job.run


@dataclass
class PipCollection:
    """The background steps of one pip collection (plain values only, no ORM objects)."""

    sessionmaker: SessionMaker
    activity_id: int
    task_group_id: int
    pkg_name: str
    version: str
    path: str
    base_python: str
    venv: Venv
    requirement: str
    pins_pre: list[str]
    pins_post: list[str]
    wheel: tuple[str, bytes] | None
    _created_folder: bool = field(default=False, init=False)

    async def run(self) -> None:
        log = ActivityLog(self.sessionmaker, self.activity_id)
        await run_activity(log, lambda: self._steps(log), cleanup=self._remove_everything)

    async def _steps(self, log: ActivityLog) -> None:
        await log.start(f"Collecting {self.pkg_name} {self.version} into {self.path}")
        async with log.step("create the task-group folder"):
            self._create_folder()
        async with log.step(f"create the venv with {self.base_python}"):
            await self.venv.create(self.base_python)
        async with log.step("upgrade pip"):
            await self.venv.upgrade_pip()
        if self.pins_pre:
            async with log.step(f"install pinned versions {' '.join(self.pins_pre)}"):
                await self.venv.install(*self.pins_pre)
        async with log.step(f"install {self.requirement}"):
            await self.venv.install(self.requirement)
        if self.pins_post:
            async with log.step(f"install pinned versions {' '.join(self.pins_post)}"):
                await self.venv.install(*self.pins_post)
        async with log.step("pip freeze"):
            env_info = await self.venv.freeze()
        async with log.step("locate the manifest (pip show)"):
            manifest_path = await self.venv.manifest_path(self.pkg_name)
            await log.write(f"manifest: {manifest_path}")
        async with log.step("validate the manifest"):
            manifest = read_manifest(manifest_path)
            check_executables(manifest, manifest_path.parent)
        async with log.step("measure the venv"):
            size_kb, file_count = await self.venv.size()
            await log.write(f"venv: {size_kb} kB in {file_count} files")

        async def register(session: AsyncSession) -> None:
            group = await load_task_group(session, self.task_group_id)
            group.env_info = env_info
            group.venv_size_in_kB = size_kb
            group.venv_file_number = file_count
            group.active = True
            session.add_all(
                build_tasks(
                    manifest,
                    python=self.venv.python,
                    package_dir=str(manifest_path.parent),
                    version=self.version,
                    task_group_id=self.task_group_id,
                )
            )

        await log.succeed(f"Collected {len(manifest.task_list)} tasks.", also=register)

    def _create_folder(self) -> None:
        try:
            Path(self.path).mkdir(parents=True)
        except FileExistsError as exc:
            raise StepFailed(f"The folder {self.path} already exists.") from exc
        self._created_folder = True
        if self.wheel is not None:
            archive_path, content = self.wheel
            Path(archive_path).write_bytes(content)

    async def _remove_everything(self) -> None:
        if self._created_folder:
            await remove_tree(self.path)
        async with self.sessionmaker() as session, session.begin():
            await session.execute(delete(TaskGroup).where(TaskGroup.id == self.task_group_id))
