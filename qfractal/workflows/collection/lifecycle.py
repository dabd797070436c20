"""Deactivate, reactivate and delete task groups, each as an activity.

Callers resolve the group first: its owner through /api/v2, any group for a superuser
through /admin/v2.

Deactivation keeps `env_info` (the pip freeze) and the wheel and removes the venv;
reactivation rebuilds the venv from that freeze; deletion removes the rows (tasks
cascade) and then the folder. Groups of origin `other` have nothing on disk: their
activity is done at once.
"""

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.db.types import utc_now
from qfractal.errors import Conflict, InvalidInput
from qfractal.workflows.collection.activity import (
    ActivityLog,
    SessionMaker,
    StepFailed,
    load_task_group,
    log_line,
    run_activity,
)
from qfractal.workflows.collection.background import Work
from qfractal.workflows.collection.resource import task_resource
from qfractal.workflows.collection.venv import Venv, remove_tree
from qfractal.workflows.jobs.guards import check_task_group_idle
from qfractal.workflows.models import Task, TaskGroup, TaskGroupActivity, WorkflowTask
from qfractal.workflows.tasks.schemas import ActivityAction, ActivityStatus, TaskGroupOrigin

FREEZE_FILENAME = "pip-freeze.txt"


async def _check_idle(session: AsyncSession, group: TaskGroup) -> None:
    running = await session.scalar(
        select(TaskGroupActivity.id).where(
            TaskGroupActivity.taskgroupv2_id == group.id,
            TaskGroupActivity.status.in_(
                [ActivityStatus.PENDING.value, ActivityStatus.ONGOING.value]
            ),
        )
    )
    if running is not None:
        raise Conflict(
            f"Task group {group.id} has an activity in progress (activity {running}); "
            "wait until it ends."
        )


def _new_activity(group: TaskGroup, action: ActivityAction, *, done_now: bool) -> TaskGroupActivity:
    now = utc_now()
    return TaskGroupActivity(
        user_id=group.user_id,
        taskgroupv2_id=group.id,
        pkg_name=group.pkg_name,
        version=group.version or "N/A",
        action=action.value,
        status=(ActivityStatus.OK if done_now else ActivityStatus.PENDING).value,
        timestamp_started=now,
        timestamp_ended=now if done_now else None,
        log=log_line(f"Task group has nothing on disk; {action.value} done.") if done_now else "",
    )


def _has_environment(group: TaskGroup) -> bool:
    return group.origin != TaskGroupOrigin.OTHER.value and group.path is not None


async def _start(
    session: AsyncSession, group: TaskGroup, action: ActivityAction
) -> TaskGroupActivity:
    await _check_idle(session, group)
    if action is ActivityAction.DEACTIVATE and not group.active:
        raise InvalidInput(f"Task group {group.id} is already inactive.")
    if action is ActivityAction.REACTIVATE and group.active:
        raise InvalidInput(f"Task group {group.id} is already active.")
    if action in (ActivityAction.DEACTIVATE, ActivityAction.DELETE):
        await check_task_group_idle(session, group.id, action=action.value)
    if action is ActivityAction.DELETE:
        used = await session.scalar(
            select(WorkflowTask.workflow_id)
            .join(Task, Task.id == WorkflowTask.task_id)
            .where(Task.taskgroupv2_id == group.id)
            .limit(1)
        )
        if used is not None:
            raise Conflict(
                f"Cannot delete task group {group.id}: its tasks are used in workflow {used}."
            )
    activity = _new_activity(group, action, done_now=not _has_environment(group))
    session.add(activity)
    await session.flush()
    return activity


async def request_deactivate(
    session: AsyncSession, group: TaskGroup, *, sessionmaker: SessionMaker
) -> tuple[TaskGroupActivity, Work | None]:
    """Mark the group inactive now; remove its venv in the background."""
    activity = await _start(session, group, ActivityAction.DEACTIVATE)
    group.active = False
    await session.flush()
    if not _has_environment(group):
        return activity, None
    job = EnvironmentJob(
        sessionmaker,
        activity.id,
        group.id,
        group.path or "",
        Venv(group.venv_path or ""),
        env_info=group.env_info,
    )
    return activity, job.deactivate


async def request_reactivate(
    session: AsyncSession, group: TaskGroup, *, sessionmaker: SessionMaker
) -> tuple[TaskGroupActivity, Work | None]:
    """Rebuild the venv from the group's pip freeze in the background, then mark it active."""
    activity = await _start(session, group, ActivityAction.REACTIVATE)
    if not _has_environment(group):
        group.active = True
        await session.flush()
        return activity, None
    if group.env_info is None:
        raise InvalidInput(f"Task group {group.id} has no pip freeze to rebuild its venv from.")
    resource = await task_resource(session, group.resource_id)
    _, base_python = resource.python(group.python_version)
    job = EnvironmentJob(
        sessionmaker,
        activity.id,
        group.id,
        group.path or "",
        Venv(group.venv_path or "", pip_cache_dir=resource.pip_cache_dir),
        base_python=base_python,
        env_info=group.env_info,
    )
    return activity, job.reactivate


async def request_delete(
    session: AsyncSession, group: TaskGroup, *, sessionmaker: SessionMaker
) -> tuple[TaskGroupActivity, Work | None]:
    """Delete the group's rows and folder (in the background when there is a folder)."""
    activity = await _start(session, group, ActivityAction.DELETE)
    if not _has_environment(group):
        await session.execute(delete(TaskGroup).where(TaskGroup.id == group.id))
        await session.flush()
        return activity, None
    job = EnvironmentJob(
        sessionmaker, activity.id, group.id, group.path or "", Venv(group.venv_path or "")
    )
    return activity, job.delete


@dataclass
class EnvironmentJob:
    """Background steps on an existing task group's folder."""

    sessionmaker: SessionMaker
    activity_id: int
    task_group_id: int
    path: str
    venv: Venv
    base_python: str | None = None
    env_info: str | None = None

    def _log(self) -> ActivityLog:
        return ActivityLog(self.sessionmaker, self.activity_id)

    async def deactivate(self) -> None:
        log = self._log()

        async def steps() -> None:
            await log.start(f"Deactivating task group {self.task_group_id}")
            env_info = self.env_info
            if env_info is None:
                async with log.step("pip freeze (kept to rebuild the venv)"):
                    env_info = await self.venv.freeze()
            async with log.step(f"remove the venv {self.venv.path}"):
                await remove_tree(self.venv.path)

            async def keep_freeze(session: AsyncSession) -> None:
                (await load_task_group(session, self.task_group_id)).env_info = env_info

            await log.succeed(
                "The venv is removed; its pip freeze is kept for reactivation.", also=keep_freeze
            )

        await run_activity(log, steps)

    async def reactivate(self) -> None:
        log = self._log()

        async def steps() -> None:
            await log.start(f"Reactivating task group {self.task_group_id}")
            freeze_file = Path(self.path, FREEZE_FILENAME)
            if Path(self.venv.path).exists():
                async with log.step("remove a leftover venv"):
                    await remove_tree(self.venv.path)
            async with log.step(f"create the venv with {self.base_python}"):
                await self.venv.create(self.base_python or "")
            async with log.step("upgrade pip"):
                await self.venv.upgrade_pip()
            async with log.step("install the packages of the pip freeze"):
                freeze_file.write_text(self.env_info or "", encoding="utf-8")
                await self.venv.install("-r", str(freeze_file))
            async with log.step("measure the venv"):
                size_kb, file_count = await self.venv.size()

            async def activate(session: AsyncSession) -> None:
                group = await load_task_group(session, self.task_group_id)
                group.active = True
                group.venv_size_in_kB = size_kb
                group.venv_file_number = file_count

            await log.succeed("The venv is rebuilt; the task group is active.", also=activate)

        await run_activity(log, steps, cleanup=lambda: remove_tree(self.venv.path))

    async def delete(self) -> None:
        log = self._log()

        async def steps() -> None:
            await log.start(f"Deleting task group {self.task_group_id}")
            async with log.step("delete the task group and its tasks"):
                try:
                    async with self.sessionmaker() as session, session.begin():
                        await session.execute(
                            delete(TaskGroup).where(TaskGroup.id == self.task_group_id)
                        )
                except IntegrityError as exc:
                    raise StepFailed("A workflow started using one of the tasks.") from exc
            async with log.step(f"remove the folder {self.path}"):
                await remove_tree(self.path)
            await log.succeed("The task group is deleted.")

        await run_activity(log, steps)
