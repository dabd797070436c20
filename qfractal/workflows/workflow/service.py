"""Workflows: named, ordered lists of workflow tasks inside a project."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.db.integrity import flush_or_raise
from qfractal.errors import Conflict, InvalidInput, NotFound
from qfractal.workflows.jobs.guards import check_workflow_idle
from qfractal.workflows.models import Project, Workflow
from qfractal.workflows.projects.service import get_project
from qfractal.workflows.workflow.schemas import WorkflowCreate, WorkflowUpdate
from qfractal.workflows.workflow.steps import (
    LoadedWorkflow,
    Step,
    flow_steps,
    load_steps,
    load_workflow,
    with_warnings,
)
from qfractal.workflows.workflow.type_filters import (
    FlowItem,
    TypeFilterConflict,
    type_filters_flow,
)


def _duplicate_name(name: str, project_id: int) -> Conflict:
    return Conflict(f"Workflow with name={name!r} and project_id={project_id} already exists.")


async def check_unique_name(
    session: AsyncSession, *, project_id: int, name: str, own_id: int | None = None
) -> None:
    """422 if another workflow of the project has this name."""
    existing = await session.scalar(
        select(Workflow.id).where(Workflow.project_id == project_id, Workflow.name == name)
    )
    if existing is not None and existing != own_id:
        raise _duplicate_name(name, project_id)


async def add_workflow(session: AsyncSession, project: Project, *, name: str) -> Workflow:
    """A new, empty workflow; 422 for a name already used in the project."""
    await check_unique_name(session, project_id=project.id, name=name)
    workflow = Workflow(name=name, project_id=project.id)
    session.add(workflow)
    await flush_or_raise(session, _duplicate_name(name, project.id))
    return workflow


async def get_workflow(
    session: AsyncSession,
    user: User,
    *,
    project_id: int,
    workflow_id: int,
    for_update: bool = False,
) -> LoadedWorkflow:
    """A workflow of one of the user's projects, with its steps; 404 otherwise.

    `for_update` locks the workflow row (PostgreSQL) so that concurrent changes to its
    task list are applied one after the other.
    """
    project = await get_project(session, user, project_id)
    query = select(Workflow).where(Workflow.id == workflow_id, Workflow.project_id == project.id)
    workflow = await session.scalar(query.with_for_update() if for_update else query)
    if workflow is None:
        raise NotFound(f"Workflow {workflow_id} not found.")
    return await load_workflow(session, workflow, project)


def find_step(loaded: LoadedWorkflow, workflow_task_id: int) -> Step:
    for step in loaded.steps:
        if step.wftask.id == workflow_task_id:
            return step
    raise NotFound(f"Workflow task {workflow_task_id} not found.")


async def list_workflows(
    session: AsyncSession, user: User, *, project_id: int
) -> list[LoadedWorkflow]:
    project = await get_project(session, user, project_id)
    workflows = list(
        await session.scalars(
            select(Workflow).where(Workflow.project_id == project.id).order_by(Workflow.id)
        )
    )
    steps = await load_steps(session, [workflow.id for workflow in workflows])
    return [
        LoadedWorkflow(workflow=workflow, project=project, steps=steps[workflow.id])
        for workflow in workflows
    ]


async def create_workflow(
    session: AsyncSession, user: User, *, project_id: int, data: WorkflowCreate
) -> LoadedWorkflow:
    project = await get_project(session, user, project_id)
    workflow = await add_workflow(session, project, name=data.name)
    return LoadedWorkflow(workflow=workflow, project=project, steps=[])


async def read_workflow(
    session: AsyncSession, user: User, *, project_id: int, workflow_id: int
) -> LoadedWorkflow:
    """The workflow with a warning on each step the user could not run now."""
    loaded = await get_workflow(session, user, project_id=project_id, workflow_id=workflow_id)
    return await with_warnings(session, user, loaded)


def _reorder(loaded: LoadedWorkflow, new_ids: list[int]) -> None:
    current = [step.wftask.id for step in loaded.steps]
    if sorted(new_ids) != sorted(current):
        raise InvalidInput(
            f"`reordered_workflowtask_ids` must be a permutation of {current} (given {new_ids})"
        )
    position = {wftask_id: index for index, wftask_id in enumerate(new_ids)}
    for step in loaded.steps:
        step.wftask.order = position[step.wftask.id]


async def update_workflow(
    session: AsyncSession,
    user: User,
    *,
    project_id: int,
    workflow_id: int,
    data: WorkflowUpdate,
) -> LoadedWorkflow:
    """Rename the workflow and/or put its tasks in a new order."""
    loaded = await get_workflow(
        session, user, project_id=project_id, workflow_id=workflow_id, for_update=True
    )
    workflow = loaded.workflow
    if data.name is not None and data.name != workflow.name:
        await check_unique_name(session, project_id=project_id, name=data.name, own_id=workflow.id)
        workflow.name = data.name
    if data.reordered_workflowtask_ids is not None:
        await check_workflow_idle(session, workflow.id, action="reorder the tasks of")
        _reorder(loaded, data.reordered_workflowtask_ids)
    await flush_or_raise(session, _duplicate_name(workflow.name, project_id))
    return await with_warnings(
        session, user, await load_workflow(session, workflow, loaded.project)
    )


async def delete_workflow(
    session: AsyncSession, user: User, *, project_id: int, workflow_id: int
) -> None:
    """Delete the workflow and its workflow tasks (the database cascades); 422 while a
    job of it is submitted."""
    loaded = await get_workflow(session, user, project_id=project_id, workflow_id=workflow_id)
    await check_workflow_idle(session, loaded.workflow.id, action="delete")
    await session.delete(loaded.workflow)
    await session.flush()


async def workflow_type_filters_flow(
    session: AsyncSession, user: User, *, project_id: int, workflow_id: int
) -> list[FlowItem]:
    """The type filters before, into and out of each step of the workflow."""
    loaded = await get_workflow(session, user, project_id=project_id, workflow_id=workflow_id)
    try:
        return type_filters_flow(flow_steps(loaded.steps))
    except TypeFilterConflict as exc:
        raise InvalidInput(str(exc)) from exc
