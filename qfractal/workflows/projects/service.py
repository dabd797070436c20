"""Projects: owned through a link row, pinned to the creator's compute resource."""

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.compute.service import resource_id_of_user
from qfractal.errors import Conflict, NotFound
from qfractal.workflows.jobs.guards import check_project_idle
from qfractal.workflows.models import LinkUserProject, Project
from qfractal.workflows.projects.schemas import ProjectCreate, ProjectUpdate


def _linked_projects(user: User) -> Select[tuple[Project]]:
    return (
        select(Project)
        .join(LinkUserProject, LinkUserProject.project_id == Project.id)
        .where(LinkUserProject.user_id == user.id)
    )


async def list_projects(session: AsyncSession, user: User) -> Sequence[Project]:
    return (await session.scalars(_linked_projects(user).order_by(Project.id))).all()


async def get_project(session: AsyncSession, user: User, project_id: int) -> Project:
    """The project if the user is linked to it; another user's project is not found (404)."""
    project = await session.scalar(_linked_projects(user).where(Project.id == project_id))
    if project is None:
        raise NotFound(f"Project {project_id} not found.")
    return project


async def _check_unique_name(
    session: AsyncSession, user: User, name: str, own_id: int | None = None
) -> None:
    existing = await session.scalar(_linked_projects(user).where(Project.name == name))
    if existing is not None and existing.id != own_id:
        raise Conflict(f"Project name ({name}) already in use")


async def create_project(session: AsyncSession, user: User, *, data: ProjectCreate) -> Project:
    await _check_unique_name(session, user, data.name)
    project = Project(name=data.name, resource_id=await resource_id_of_user(session, user))
    session.add(project)
    await session.flush()
    session.add(LinkUserProject(project_id=project.id, user_id=user.id))
    await session.flush()
    return project


async def update_project(
    session: AsyncSession, user: User, project: Project, *, data: ProjectUpdate
) -> Project:
    if data.name is not None:
        await _check_unique_name(session, user, data.name, project.id)
        project.name = data.name
    await session.flush()
    return project


async def delete_project(session: AsyncSession, project: Project) -> None:
    """Delete the project with its datasets, images and workflows (database cascades);
    422 while one of its jobs is submitted."""
    await check_project_idle(session, project.id, action="delete")
    await session.delete(project)
    await session.flush()
