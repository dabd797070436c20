"""Which of the user's readable tasks a reference means: by package, version and name.

Packages are compared by their normalized names (PEP 503), versions as PEP 440 versions
(`0.10.0` is newer than `0.9.0`). When the same package version is readable through
several task groups, the user's own group wins, then the default group's, then the one
shared through the user's oldest group membership.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from packaging.utils import canonicalize_name
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import LinkUserGroup, User, UserGroup
from qfractal.compute.service import resource_id_of_user
from qfractal.workflows.models import Task, TaskGroup
from qfractal.workflows.tasks.access import readable_task_groups
from qfractal.workflows.tasks.ordering import preferred, version_key


@dataclass(frozen=True)
class Candidate:
    """A readable task and its group."""

    task: Task
    group: TaskGroup


@dataclass(frozen=True)
class Preference:
    """How the user ranks task groups that hold the same package version."""

    user_id: int
    default_group_id: int | None
    membership_order: Sequence[int]
    """The user's group IDs, oldest membership first."""

    def choose(self, candidates: Sequence[Candidate]) -> Candidate:
        group = preferred(
            [candidate.group for candidate in candidates],
            user_id=self.user_id,
            default_group_id=self.default_group_id,
            membership_order=self.membership_order,
        )
        return next(candidate for candidate in candidates if candidate.group is group)


async def load_preference(
    session: AsyncSession, user: User, *, default_group_name: str
) -> Preference:
    default_group_id = await session.scalar(
        select(UserGroup.id).where(UserGroup.name == default_group_name)
    )
    memberships = await session.scalars(
        select(LinkUserGroup.group_id)
        .where(LinkUserGroup.user_id == user.id)
        .order_by(LinkUserGroup.timestamp_created, LinkUserGroup.group_id)
    )
    return Preference(
        user_id=user.id, default_group_id=default_group_id, membership_order=list(memberships)
    )


async def readable_candidates(
    session: AsyncSession, user: User, *, names: Sequence[str] | None = None
) -> list[Candidate]:
    """The tasks the user may read (optionally only those with these names)."""
    query = readable_task_groups(user, await resource_id_of_user(session, user)).add_columns(Task)
    query = query.join(Task, Task.taskgroupv2_id == TaskGroup.id).order_by(Task.id)
    if names is not None:
        query = query.where(Task.name.in_(names))
    rows = await session.execute(query)
    return [Candidate(task=task, group=group) for group, task in rows]


def same_package(a: str, b: str) -> bool:
    return canonicalize_name(a) == canonicalize_name(b)


def same_version(a: str | None, b: str | None) -> bool:
    """Equal as PEP 440 versions (1.0 == 1.0.0), else as strings."""
    return version_key(a) == version_key(b)


def find_by_name(
    candidates: Sequence[Candidate],
    preference: Preference,
    *,
    pkg_name: str,
    name: str,
    version: str | None,
) -> Task | None:
    """The task `name` of package `pkg_name` at `version`, or at its newest version."""
    named = [
        c for c in candidates if c.task.name == name and same_package(c.group.pkg_name, pkg_name)
    ]
    if not named:
        return None
    if version is None:
        version = max((c.group.version for c in named), key=version_key)
    matching = [c for c in named if same_version(c.group.version, version)]
    return preference.choose(matching).task if matching else None


def find_by_source(
    candidates: Sequence[Candidate], preference: Preference, *, source: str
) -> Task | None:
    """The task with this legacy `source` string."""
    matching = [c for c in candidates if c.task.source == source]
    return preference.choose(matching).task if matching else None
