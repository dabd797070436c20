"""Routes `/quantum/deployments/`: the current user's deployments, programs and their jobs."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import AfterValidator

from qfractal.auth.dependencies import CurrentUser
from qfractal.auth.schemas import no_nul
from qfractal.db.session import SessionDep
from qfractal.ids import id_path
from qfractal.quantum.deployments import service
from qfractal.quantum.deployments.schemas import (
    DeploymentCreate,
    DeploymentRead,
    DeploymentSimple,
    ProgramDetail,
)
from qfractal.quantum.errors import PREFIX
from qfractal.quantum.links import LinksDep
from qfractal.quantum.paging import PageDep
from qfractal.quantum.schemas import SimpleJob, error_responses

router = APIRouter(prefix=PREFIX, tags=["Quantum deployments"])

DeploymentId = Annotated[int, id_path("ID of a deployment")]
ProgramId = Annotated[int, id_path("ID of a program of the deployment")]
NamePattern = Annotated[
    str | None,
    Query(
        max_length=255,
        description="Name pattern: `%` matches any text, `\\` makes the next character "
        "literal; case-insensitive.",
        examples=["QASM%"],
    ),
    AfterValidator(lambda value: value if value is None else no_nul(value)),
]


@router.get("/deployments/", response_model=list[DeploymentSimple], responses=error_responses(404))
async def list_deployments(
    user: CurrentUser, session: SessionDep, links: LinksDep, page: PageDep, name: NamePattern = None
) -> list[DeploymentSimple]:
    """The user's deployments, by id, one page at a time (404 for an empty page after the
    first)."""
    deployments = await service.list_deployments(session, user, name=name, page=page)
    return [DeploymentSimple.of(deployment, links) for deployment in deployments]


@router.post(
    "/deployments/", status_code=201, response_model=DeploymentSimple, responses=error_responses()
)
async def create_deployment(
    data: DeploymentCreate, user: CurrentUser, session: SessionDep, links: LinksDep
) -> DeploymentSimple:
    """Deploy a named list of programs; each program's language must be known."""
    deployment = await service.create_deployment(session, user, data=data)
    return DeploymentSimple.of(deployment, links)


@router.get(
    "/deployments/{deployment_id}/", response_model=DeploymentRead, responses=error_responses(404)
)
async def get_deployment(
    deployment_id: DeploymentId, user: CurrentUser, session: SessionDep, links: LinksDep
) -> DeploymentRead:
    """One of the user's deployments with its programs."""
    return DeploymentRead.of(await service.get_deployment(session, user, deployment_id), links)


@router.put(
    "/deployments/{deployment_id}/",
    response_model=DeploymentRead,
    responses=error_responses(400, 404),
)
async def update_deployment(
    deployment_id: DeploymentId,
    data: DeploymentCreate,
    user: CurrentUser,
    session: SessionDep,
    links: LinksDep,
) -> DeploymentRead:
    """Rename the deployment; with `programs`, replace its programs (400 while it has
    jobs)."""
    deployment = await service.update_deployment(session, user, deployment_id, data=data)
    return DeploymentRead.of(deployment, links)


@router.delete("/deployments/{deployment_id}/", status_code=204, responses=error_responses(400))
async def delete_deployment(
    deployment_id: DeploymentId, user: CurrentUser, session: SessionDep
) -> Response:
    """Delete the deployment and its programs: 204, also when it is already gone; 400
    while it has jobs."""
    await service.delete_deployment(session, user, deployment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/deployments/{deployment_id}/programs/",
    response_model=list[ProgramDetail],
    responses=error_responses(404),
)
async def list_programs(
    deployment_id: DeploymentId, user: CurrentUser, session: SessionDep, links: LinksDep
) -> list[ProgramDetail]:
    """The deployment's programs, in the order they were deployed."""
    programs = await service.list_programs(session, user, deployment_id)
    return [ProgramDetail.of(program, links) for program in programs]


@router.get(
    "/deployments/{deployment_id}/programs/{program_id}/",
    response_model=ProgramDetail,
    responses=error_responses(404),
)
async def get_program(
    deployment_id: DeploymentId,
    program_id: ProgramId,
    user: CurrentUser,
    session: SessionDep,
    links: LinksDep,
) -> ProgramDetail:
    """One program of the deployment."""
    program = await service.get_program(session, user, deployment_id, program_id)
    return ProgramDetail.of(program, links)


async def list_deployment_jobs(
    deployment_id: DeploymentId, user: CurrentUser, session: SessionDep, links: LinksDep
) -> list[SimpleJob]:
    """The deployment's jobs."""
    jobs = await service.list_deployment_jobs(session, user, deployment_id)
    return [SimpleJob.of(job, links) for job in jobs]


async def delete_deployment_jobs(
    deployment_id: DeploymentId, user: CurrentUser, session: SessionDep, links: LinksDep
) -> list[SimpleJob]:
    """Delete the deployment's jobs and their results, and list what was deleted; 400
    (nothing deleted) while one of them is READY or RUNNING."""
    jobs = await service.delete_deployment_jobs(session, user, deployment_id)
    return [SimpleJob.of(job, links) for job in jobs]


# qunicorn v1.0.4 has these with a trailing slash; the 2023 API without (deprecated).
for _suffix, _deprecated in (("/", False), ("", True)):
    router.add_api_route(
        "/deployments/{deployment_id}/jobs" + _suffix,
        list_deployment_jobs,
        methods=["GET"],
        response_model=list[SimpleJob],
        responses=error_responses(404),
        deprecated=_deprecated,
        name=f"list_deployment_jobs{'' if _suffix else '_seed'}",
    )
    router.add_api_route(
        "/deployments/{deployment_id}/jobs" + _suffix,
        delete_deployment_jobs,
        methods=["DELETE"],
        response_model=list[SimpleJob],
        responses=error_responses(400, 404),
        deprecated=_deprecated,
        name=f"delete_deployment_jobs{'' if _suffix else '_seed'}",
    )
