"""Moving workflow tasks to other versions of their tasks."""

from dataclasses import dataclass
from itertools import groupby

from packaging.version import InvalidVersion, Version
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.workflows.models import Task
from qfractal.workflows.tasks.access import get_readable_task
from qfractal.workflows.tasks.schemas import TaskType
from qfractal.workflows.workflow import rules
from qfractal.workflows.workflow.schemas import WorkflowTaskReplace
from qfractal.workflows.workflow.service import find_step, get_workflow
from qfractal.workflows.workflow.steps import Step, step_of
from qfractal.workflows.workflow.task_choice import (
    Candidate,
    Preference,
    load_preference,
    readable_candidates,
    same_package,
)


@dataclass(frozen=True)
class TaskVersion:
    task_id: int
    version: str


def _parsed(version: str | None) -> Version | None:
    try:
        return Version(version) if version is not None else None
    except InvalidVersion:
        return None


def _has_args_schema(task: Task) -> bool:
    return bool(task.args_schema_non_parallel or task.args_schema_parallel)


def newer_versions(
    step: Step, candidates: list[Candidate], preference: Preference
) -> list[TaskVersion]:
    """Newer versions of the step's task, oldest first, one task per version.

    Like fractal-server, only tasks with an args schema take part (the clients move the
    arguments over by comparing schemas), and versions must be PEP 440 versions.
    """
    current = _parsed(step.task_group.version)
    if current is None or not _has_args_schema(step.task):
        return []
    newer = sorted(
        (
            (version, candidate)
            for candidate in candidates
            if candidate.task.name == step.task.name
            and candidate.group.active
            and same_package(candidate.group.pkg_name, step.task_group.pkg_name)
            and _has_args_schema(candidate.task)
            and (TaskType(step.task.type), TaskType(candidate.task.type)) in rules.TYPE_CHANGES
            and (version := _parsed(candidate.group.version)) is not None
            and version > current
        ),
        key=lambda pair: pair[0],
    )
    return [
        TaskVersion(task_id=chosen.task.id, version=chosen.group.version or "")
        for chosen in (
            preference.choose([candidate for _, candidate in run])
            for _, run in groupby(newer, key=lambda pair: pair[0])
        )
    ]


async def update_candidates(
    session: AsyncSession,
    user: User,
    *,
    project_id: int,
    workflow_id: int,
    default_group_name: str,
) -> list[list[TaskVersion]]:
    """For each step of the workflow, the newer versions its task could be replaced with."""
    loaded = await get_workflow(session, user, project_id=project_id, workflow_id=workflow_id)
    names = sorted({step.task.name for step in loaded.steps})
    candidates = await readable_candidates(session, user, names=names) if names else []
    preference = await load_preference(session, user, default_group_name=default_group_name)
    return [newer_versions(step, candidates, preference) for step in loaded.steps]


async def replace_task(
    session: AsyncSession,
    user: User,
    *,
    project_id: int,
    workflow_id: int,
    workflow_task_id: int,
    task_id: int,
    data: WorkflowTaskReplace,
) -> Step:
    """Make a step run another task (usually a newer version), keeping its place.

    Given args replace the current ones; meta becomes the new task's meta with the user's
    own changes to the old task's meta carried over; type filters stay.
    """
    loaded = await get_workflow(
        session, user, project_id=project_id, workflow_id=workflow_id, for_update=True
    )
    step = find_step(loaded, workflow_task_id)
    wftask, old = step.wftask, step.task
    new = await get_readable_task(session, user, task_id, require_active=True)
    rules.check_type_change(wftask.task_type, new)
    args = data.model_dump()
    rules.check_settings(new, args)
    rules.check_type_filters(new, wftask.type_filters)
    for side in rules.SIDES:
        meta = rules.carried_meta(
            old_task_meta=getattr(old, f"meta_{side}"),
            old_wftask_meta=getattr(wftask, f"meta_{side}"),
            new_task_meta=getattr(new, f"meta_{side}"),
        )
        setattr(wftask, f"meta_{side}", meta or None)
        if args[f"args_{side}"] is not None:
            setattr(wftask, f"args_{side}", rules.side_args(new, side, args[f"args_{side}"]))
    wftask.task_id = new.id
    wftask.task_type = new.type
    await session.flush()
    return await step_of(session, wftask, new)
