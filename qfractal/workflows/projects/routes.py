"""Routes /api/v2/project/ (fractal-server 2.17 wire format)."""

from fastapi import APIRouter, Response, status

from qfractal.db.session import SessionDep
from qfractal.ids import ProjectId
from qfractal.workflows.dependencies import WorkflowsUser
from qfractal.workflows.projects import service
from qfractal.workflows.projects.schemas import ProjectCreate, ProjectRead, ProjectUpdate

router = APIRouter(prefix="/api/v2", tags=["V2 Project"])

_404 = {404: {"description": "No such project among the user's projects."}}
_422 = {422: {"description": "Invalid body or duplicate project name."}}


@router.get("/project/", response_model=list[ProjectRead])
async def list_projects(user: WorkflowsUser, session: SessionDep) -> list[ProjectRead]:
    """The projects the current user is linked to."""
    return [ProjectRead.model_validate(p) for p in await service.list_projects(session, user)]


@router.post("/project/", status_code=201, response_model=ProjectRead, responses=_422)
async def create_project(
    data: ProjectCreate, user: WorkflowsUser, session: SessionDep
) -> ProjectRead:
    """Create a project on the user's compute resource; names are unique per user."""
    return ProjectRead.model_validate(await service.create_project(session, user, data=data))


@router.get("/project/{project_id}/", response_model=ProjectRead, responses=_404)
async def get_project(
    project_id: ProjectId, user: WorkflowsUser, session: SessionDep
) -> ProjectRead:
    """One of the user's projects."""
    return ProjectRead.model_validate(await service.get_project(session, user, project_id))


@router.patch("/project/{project_id}/", response_model=ProjectRead, responses={**_404, **_422})
async def update_project(
    project_id: ProjectId, data: ProjectUpdate, user: WorkflowsUser, session: SessionDep
) -> ProjectRead:
    """Rename a project."""
    project = await service.get_project(session, user, project_id)
    return ProjectRead.model_validate(
        await service.update_project(session, user, project, data=data)
    )


@router.delete("/project/{project_id}/", status_code=204, responses=_404)
async def delete_project(
    project_id: ProjectId, user: WorkflowsUser, session: SessionDep
) -> Response:
    """Delete a project with its datasets, images and workflows."""
    await service.delete_project(session, await service.get_project(session, user, project_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
