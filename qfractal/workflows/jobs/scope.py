"""The dataset and workflow task a history question is about, checked against the user.

Both must belong to one of the user's projects (the one in the path); anything else is
not found (404).
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.errors import NotFound
from qfractal.workflows.datasets.service import get_dataset
from qfractal.workflows.models import Dataset, Task, Workflow, WorkflowTask
from qfractal.workflows.projects.service import get_project


@dataclass(frozen=True)
class HistoryScope:
    dataset: Dataset
    wftask: WorkflowTask
    task: Task


async def user_dataset(
    session: AsyncSession, user: User, *, project_id: int, dataset_id: int
) -> Dataset:
    return await get_dataset(session, await get_project(session, user, project_id), dataset_id)


async def history_scope(
    session: AsyncSession, user: User, *, project_id: int, dataset_id: int, workflowtask_id: int
) -> HistoryScope:
    dataset = await user_dataset(session, user, project_id=project_id, dataset_id=dataset_id)
    row = (
        await session.execute(
            select(WorkflowTask, Task)
            .join(Workflow, Workflow.id == WorkflowTask.workflow_id)
            .join(Task, Task.id == WorkflowTask.task_id)
            .where(WorkflowTask.id == workflowtask_id, Workflow.project_id == dataset.project_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"Workflow task {workflowtask_id} not found in project {project_id}.")
    wftask, task = row
    return HistoryScope(dataset=dataset, wftask=wftask, task=task)
