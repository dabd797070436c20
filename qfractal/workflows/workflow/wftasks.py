"""Workflow tasks: the steps of a workflow, each running one task with its own settings."""

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.workflows.models import Task, WorkflowTask
from qfractal.workflows.tasks.access import get_readable_task
from qfractal.workflows.workflow import rules
from qfractal.workflows.workflow.schemas import (
    WorkflowTaskCreate,
    WorkflowTaskSettings,
    WorkflowTaskUpdate,
)
from qfractal.workflows.workflow.service import find_step, get_workflow
from qfractal.workflows.workflow.steps import Step, step_of

SETTINGS_FIELDS = frozenset(WorkflowTaskSettings.model_fields)


def new_workflow_task(
    task: Task,
    *,
    workflow_id: int,
    order: int,
    settings: WorkflowTaskSettings,
    type_filters: Mapping[str, bool],
) -> WorkflowTask:
    """A workflow task for `task` (already checked against the rules): meta starts from the
    task's meta, args and meta of a side the task does not have are dropped."""
    return WorkflowTask(
        workflow_id=workflow_id,
        order=order,
        task_id=task.id,
        task_type=task.type,
        meta_non_parallel=rules.initial_meta(task, "non_parallel", settings.meta_non_parallel),
        meta_parallel=rules.initial_meta(task, "parallel", settings.meta_parallel),
        args_non_parallel=rules.side_args(task, "non_parallel", settings.args_non_parallel),
        args_parallel=rules.side_args(task, "parallel", settings.args_parallel),
        type_filters=dict(type_filters),
    )


async def create_wftask(
    session: AsyncSession,
    user: User,
    *,
    project_id: int,
    workflow_id: int,
    task_id: int,
    data: WorkflowTaskCreate,
) -> Step:
    """Append a task to the end of the workflow."""
    loaded = await get_workflow(
        session, user, project_id=project_id, workflow_id=workflow_id, for_update=True
    )
    task = await get_readable_task(session, user, task_id, require_active=True)
    rules.check_settings(task, data.model_dump(include=SETTINGS_FIELDS))
    rules.check_type_filters(task, data.type_filters)
    wftask = new_workflow_task(
        task,
        workflow_id=loaded.workflow.id,
        order=max((step.wftask.order for step in loaded.steps), default=-1) + 1,
        settings=data,
        type_filters=data.type_filters,
    )
    session.add(wftask)
    await session.flush()
    return await step_of(session, wftask, task)


async def get_wftask(
    session: AsyncSession,
    user: User,
    *,
    project_id: int,
    workflow_id: int,
    workflow_task_id: int,
) -> Step:
    loaded = await get_workflow(session, user, project_id=project_id, workflow_id=workflow_id)
    return find_step(loaded, workflow_task_id)


async def update_wftask(
    session: AsyncSession,
    user: User,
    *,
    project_id: int,
    workflow_id: int,
    workflow_task_id: int,
    data: WorkflowTaskUpdate,
) -> Step:
    """Replace the given args, meta and type filters; empty args are stored as null."""
    step = await get_wftask(
        session,
        user,
        project_id=project_id,
        workflow_id=workflow_id,
        workflow_task_id=workflow_task_id,
    )
    wftask, task = step.wftask, step.task
    if data.type_filters is not None:
        rules.check_type_filters(task, data.type_filters)
        wftask.type_filters = dict(data.type_filters)
    changes = data.model_dump(include=SETTINGS_FIELDS, exclude_unset=True)
    rules.check_settings(task, changes)
    for key, value in changes.items():
        side = key.split("_", 1)[1]
        setattr(wftask, key, (value or None) if rules.has_side(task.type, side) else None)
    await session.flush()
    return step


async def delete_wftask(
    session: AsyncSession,
    user: User,
    *,
    project_id: int,
    workflow_id: int,
    workflow_task_id: int,
) -> None:
    """Remove a step; the ones after it move up, so that `order` stays 0..n-1."""
    loaded = await get_workflow(
        session, user, project_id=project_id, workflow_id=workflow_id, for_update=True
    )
    doomed = find_step(loaded, workflow_task_id)
    await session.delete(doomed.wftask)
    remaining = [step for step in loaded.steps if step is not doomed]
    for order, step in enumerate(remaining):
        step.wftask.order = order
    await session.flush()
