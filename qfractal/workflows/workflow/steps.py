"""A workflow's tasks in order, loaded together with their tasks and task groups."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.compute.service import resource_id_of_user
from qfractal.workflows.models import Project, Task, TaskGroup, Workflow, WorkflowTask
from qfractal.workflows.tasks.access import readable_task_groups
from qfractal.workflows.workflow.type_filters import FlowStep

NO_ACCESS = "Current user has no access to this task."
INACTIVE = "Task is not active."


@dataclass(frozen=True)
class Step:
    """One workflow task with the task it runs and that task's group."""

    wftask: WorkflowTask
    task: Task
    task_group: TaskGroup
    warning: str | None = None
    """Why the current user could not run this step now (fractal's `warning`)."""


@dataclass(frozen=True)
class LoadedWorkflow:
    workflow: Workflow
    project: Project
    steps: list[Step]


def flow_steps(steps: Sequence[Step]) -> list[FlowStep]:
    """What the type-filter flow needs to know about each step."""
    return [
        FlowStep(
            workflowtask_id=step.wftask.id,
            input_types=step.task.input_types,
            type_filters=step.wftask.type_filters,
            output_types=step.task.output_types,
        )
        for step in steps
    ]


async def load_steps(session: AsyncSession, workflow_ids: Sequence[int]) -> dict[int, list[Step]]:
    """The steps of each workflow, in `order`; workflows without tasks map to []."""
    rows = await session.execute(
        select(WorkflowTask, Task, TaskGroup)
        .join(Task, Task.id == WorkflowTask.task_id)
        .join(TaskGroup, TaskGroup.id == Task.taskgroupv2_id)
        .where(WorkflowTask.workflow_id.in_(workflow_ids))
        .order_by(WorkflowTask.workflow_id, WorkflowTask.order, WorkflowTask.id)
    )
    steps: dict[int, list[Step]] = defaultdict(list)
    for wftask, task, task_group in rows:
        steps[wftask.workflow_id].append(Step(wftask=wftask, task=task, task_group=task_group))
    return {workflow_id: steps[workflow_id] for workflow_id in workflow_ids}


async def step_of(session: AsyncSession, wftask: WorkflowTask, task: Task) -> Step:
    """The step of a workflow task that was just added or changed to run `task`."""
    task_group = await session.get(TaskGroup, task.taskgroupv2_id)
    assert task_group is not None  # a task always has a group (foreign key)
    return Step(wftask=wftask, task=task, task_group=task_group)


async def load_workflow(
    session: AsyncSession, workflow: Workflow, project: Project
) -> LoadedWorkflow:
    steps = (await load_steps(session, [workflow.id]))[workflow.id]
    return LoadedWorkflow(workflow=workflow, project=project, steps=steps)


async def with_warnings(
    session: AsyncSession, user: User, loaded: LoadedWorkflow
) -> LoadedWorkflow:
    """Mark the steps whose task the user cannot read, or whose task group is inactive."""
    group_ids = {step.task_group.id for step in loaded.steps}
    if not group_ids:
        return loaded
    readable_query = readable_task_groups(user, await resource_id_of_user(session, user))
    readable = {
        group.id
        for group in await session.scalars(readable_query.where(TaskGroup.id.in_(group_ids)))
    }

    def warning(step: Step) -> str | None:
        if step.task_group.id not in readable:
            return NO_ACCESS
        return None if step.task_group.active else INACTIVE

    steps = [replace(step, warning=warning(step)) for step in loaded.steps]
    return replace(loaded, steps=steps)
