"""Workflows as portable documents: tasks named by package, version and name, not by ID."""

from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.errors import InvalidInput
from qfractal.workflows.models import Task
from qfractal.workflows.projects.service import get_project
from qfractal.workflows.workflow import rules
from qfractal.workflows.workflow.schemas import TaskImportLegacy, WorkflowImport, WorkflowTaskImport
from qfractal.workflows.workflow.service import add_workflow, check_unique_name, get_workflow
from qfractal.workflows.workflow.steps import LoadedWorkflow, load_workflow, with_warnings
from qfractal.workflows.workflow.task_choice import (
    Candidate,
    Preference,
    find_by_name,
    find_by_source,
    load_preference,
    readable_candidates,
)
from qfractal.workflows.workflow.wftasks import SETTINGS_FIELDS, new_workflow_task


async def export_workflow(
    session: AsyncSession, user: User, *, project_id: int, workflow_id: int
) -> LoadedWorkflow:
    """The workflow with its steps, to be written out without IDs."""
    return await get_workflow(session, user, project_id=project_id, workflow_id=workflow_id)


def _match(
    index: int, item: WorkflowTaskImport, candidates: list[Candidate], preference: Preference
) -> Task:
    ref = item.task
    if isinstance(ref, TaskImportLegacy):
        task = find_by_source(candidates, preference, source=ref.source)
        wanted = f"source={ref.source!r}"
    else:
        task = find_by_name(
            candidates, preference, pkg_name=ref.pkg_name, name=ref.name, version=ref.version
        )
        wanted = f"pkg_name={ref.pkg_name!r}, version={ref.version!r}, name={ref.name!r}"
    if task is None:
        raise InvalidInput(f"Could not find a task matching with {wanted} (task_list[{index}]).")
    rules.check_sides(task, item.model_dump(include=SETTINGS_FIELDS))
    rules.check_type_filters(task, item.type_filters or {})
    return task


async def import_workflow(
    session: AsyncSession,
    user: User,
    *,
    project_id: int,
    data: WorkflowImport,
    default_group_name: str,
) -> LoadedWorkflow:
    """Create a workflow from an exported one, matching each task among the task groups the
    user can read; nothing is created unless every task is found."""
    project = await get_project(session, user, project_id)
    await check_unique_name(session, project_id=project.id, name=data.name)
    candidates = await readable_candidates(session, user)
    preference = await load_preference(session, user, default_group_name=default_group_name)
    tasks = [
        _match(index, item, candidates, preference) for index, item in enumerate(data.task_list)
    ]
    workflow = await add_workflow(session, project, name=data.name)
    for order, (task, item) in enumerate(zip(tasks, data.task_list, strict=True)):
        session.add(
            new_workflow_task(
                task,
                workflow_id=workflow.id,
                order=order,
                settings=item,
                type_filters=item.type_filters or {},
            )
        )
    await session.flush()
    return await with_warnings(session, user, await load_workflow(session, workflow, project))
