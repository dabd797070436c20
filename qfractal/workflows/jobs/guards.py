"""What may not change while a job runs: its project, dataset, workflow and task groups.

Other services call these before deleting or reshaping an object; each raises 422 naming
the submitted jobs that use the object.
"""

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.errors import Conflict
from qfractal.workflows.models import Job, Task, WorkflowTask

SUBMITTED = "submitted"


async def _submitted_job_ids(
    session: AsyncSession, condition: ColumnElement[bool], *, join_tasks: bool = False
) -> Sequence[int]:
    query = select(Job.id).where(Job.status == SUBMITTED, condition)
    if join_tasks:
        query = (
            query.join(WorkflowTask, WorkflowTask.workflow_id == Job.workflow_id)
            .join(Task, Task.id == WorkflowTask.task_id)
            .distinct()
        )
    return (await session.scalars(query.order_by(Job.id))).all()


def _refuse(what: str, action: str, job_ids: Sequence[int]) -> None:
    if job_ids:
        raise Conflict(
            f"Cannot {action} {what}: it is used by submitted job(s) {list(job_ids)}; "
            "wait until they end or stop them."
        )


async def check_project_idle(session: AsyncSession, project_id: int, *, action: str) -> None:
    _refuse(
        f"project {project_id}",
        action,
        await _submitted_job_ids(session, Job.project_id == project_id),
    )


async def check_dataset_idle(session: AsyncSession, dataset_id: int, *, action: str) -> None:
    _refuse(
        f"dataset {dataset_id}",
        action,
        await _submitted_job_ids(session, Job.dataset_id == dataset_id),
    )


async def check_workflow_idle(session: AsyncSession, workflow_id: int, *, action: str) -> None:
    _refuse(
        f"workflow {workflow_id}",
        action,
        await _submitted_job_ids(session, Job.workflow_id == workflow_id),
    )


async def check_task_group_idle(session: AsyncSession, task_group_id: int, *, action: str) -> None:
    """422 while a submitted job's workflow uses a task of the group."""
    job_ids = await _submitted_job_ids(
        session, Task.taskgroupv2_id == task_group_id, join_tasks=True
    )
    _refuse(f"task group {task_group_id}", action, job_ids)
