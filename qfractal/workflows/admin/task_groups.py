"""Superusers' view of every task and task group, whoever owns it."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.errors import NotFound
from qfractal.ids import id_query
from qfractal.workflows.admin.schemas import ProjectUser, TaskRelationship
from qfractal.workflows.models import (
    LinkUserProject,
    Project,
    Task,
    TaskGroup,
    Workflow,
    WorkflowTask,
)
from qfractal.workflows.pagination import PageRequest
from qfractal.workflows.tasks.schemas import TaskType


async def get_task_group(session: AsyncSession, task_group_id: int) -> TaskGroup:
    group = await session.get(TaskGroup, task_group_id)
    if group is None:
        raise NotFound(f"Task group {task_group_id} not found.")
    return group


@dataclass(frozen=True)
class TaskGroupFilters:
    user_id: int | None = None
    user_group_id: int | None = None
    private: bool | None = None
    active: bool | None = None
    pkg_name: str | None = None
    origin: str | None = None
    timestamp_last_used_min: datetime | None = None
    timestamp_last_used_max: datetime | None = None
    resource_id: int | None = None


async def list_task_groups(session: AsyncSession, filters: TaskGroupFilters) -> Sequence[TaskGroup]:
    query = select(TaskGroup)
    exact = {
        TaskGroup.user_id: filters.user_id,
        TaskGroup.user_group_id: filters.user_group_id,
        TaskGroup.active: filters.active,
        TaskGroup.origin: filters.origin,
        TaskGroup.resource_id: filters.resource_id,
    }
    for column, value in exact.items():
        if value is not None:
            query = query.where(column == value)
    if filters.private is not None:
        query = query.where(
            TaskGroup.user_group_id.is_(None)
            if filters.private
            else TaskGroup.user_group_id.is_not(None)
        )
    if filters.pkg_name is not None:
        query = query.where(TaskGroup.pkg_name.icontains(filters.pkg_name, autoescape=True))
    if filters.timestamp_last_used_min is not None:
        query = query.where(TaskGroup.timestamp_last_used >= filters.timestamp_last_used_min)
    if filters.timestamp_last_used_max is not None:
        query = query.where(TaskGroup.timestamp_last_used <= filters.timestamp_last_used_max)
    return (await session.scalars(query.order_by(TaskGroup.id))).all()


@dataclass(frozen=True)
class TaskFilters:
    """Query parameters of /admin/v2/task/ (a FastAPI dependency)."""

    id: Annotated[int | None, id_query("Only the task with this ID")] = None
    source: str | None = None
    version: str | None = None
    name: str | None = None
    task_type: TaskType | None = None
    category: str | None = None
    modality: str | None = None
    author: str | None = None
    resource_id: Annotated[int | None, id_query("Only tasks on this resource")] = None


def _task_query(filters: TaskFilters) -> Select[tuple[Task]]:
    query = select(Task).join(TaskGroup, TaskGroup.id == Task.taskgroupv2_id)
    exact = {
        Task.id: filters.id,
        Task.source: filters.source,
        Task.version: filters.version,
        Task.type: filters.task_type.value if filters.task_type else None,
        TaskGroup.resource_id: filters.resource_id,
    }
    for column, value in exact.items():
        if value is not None:
            query = query.where(column == value)
    for column, text in (
        (Task.name, filters.name),
        (Task.category, filters.category),
        (Task.modality, filters.modality),
        (Task.authors, filters.author),
    ):
        if text is not None:
            query = query.where(column.icontains(text, autoescape=True))
    return query


async def list_tasks(
    session: AsyncSession, filters: TaskFilters, page: PageRequest
) -> tuple[int, Sequence[Task]]:
    """Matching tasks by id, and how many match in all."""
    query = _task_query(filters)
    total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    tasks = await session.scalars(query.order_by(Task.id).offset(page.offset).limit(page.size))
    return total, tasks.all()


async def relationships(
    session: AsyncSession, task_ids: Sequence[int]
) -> dict[int, list[TaskRelationship]]:
    """For each task, the workflows that use it, with their project and its users."""
    rows = (
        await session.execute(
            select(WorkflowTask.task_id, Workflow, Project)
            .join(Workflow, Workflow.id == WorkflowTask.workflow_id)
            .join(Project, Project.id == Workflow.project_id)
            .where(WorkflowTask.task_id.in_(task_ids))
            .distinct()
            .order_by(WorkflowTask.task_id, Workflow.id)
        )
    ).all()
    project_ids = {project.id for _, _, project in rows}
    users: dict[int, list[ProjectUser]] = defaultdict(list)
    for project_id, user_id, email in await session.execute(
        select(LinkUserProject.project_id, User.id, User.email)
        .join(User, User.id == LinkUserProject.user_id)
        .where(LinkUserProject.project_id.in_(project_ids))
        .order_by(User.id)
    ):
        users[project_id].append(ProjectUser(id=user_id, email=email))
    result: dict[int, list[TaskRelationship]] = defaultdict(list)
    for task_id, workflow, project in rows:
        result[task_id].append(
            TaskRelationship(
                workflow_id=workflow.id,
                workflow_name=workflow.name,
                project_id=project.id,
                project_name=project.name,
                project_users=users[project.id],
            )
        )
    return result
