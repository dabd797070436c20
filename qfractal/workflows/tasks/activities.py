"""Reading task-group activities (collections, deactivations, ...): a user sees their own."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.errors import NotFound
from qfractal.workflows.models import TaskGroupActivity
from qfractal.workflows.tasks.schemas import ActivityAction, ActivityStatus


async def list_activities(
    session: AsyncSession,
    *,
    user_id: int | None,
    activity_id: int | None = None,
    task_group_id: int | None = None,
    pkg_name: str | None = None,
    status: ActivityStatus | None = None,
    action: ActivityAction | None = None,
    started_after: datetime | None = None,
) -> Sequence[TaskGroupActivity]:
    """Activities of one user (every user's if `user_id` is None), filtered;
    `pkg_name` is a case-insensitive substring."""
    query = select(TaskGroupActivity)
    if user_id is not None:
        query = query.where(TaskGroupActivity.user_id == user_id)
    if activity_id is not None:
        query = query.where(TaskGroupActivity.id == activity_id)
    if task_group_id is not None:
        query = query.where(TaskGroupActivity.taskgroupv2_id == task_group_id)
    if pkg_name is not None:
        query = query.where(TaskGroupActivity.pkg_name.icontains(pkg_name, autoescape=True))
    if status is not None:
        query = query.where(TaskGroupActivity.status == status.value)
    if action is not None:
        query = query.where(TaskGroupActivity.action == action.value)
    if started_after is not None:
        query = query.where(TaskGroupActivity.timestamp_started >= started_after)
    return (await session.scalars(query.order_by(TaskGroupActivity.id))).all()


async def get_activity(session: AsyncSession, user: User, activity_id: int) -> TaskGroupActivity:
    activity = await session.get(TaskGroupActivity, activity_id)
    if activity is None or activity.user_id != user.id:
        raise NotFound(f"Task-group activity {activity_id} not found.")
    return activity
