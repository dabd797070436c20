"""Routes `/quantum/jobs/`: the current user's jobs, their results and commands.

A job never runs in the request: POST records it READY, the response gives its id, and
the job engine runs it once the transaction is committed.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.dependencies import CurrentUser
from qfractal.compute.engine.wake import EngineWake
from qfractal.db.session import SessionDep
from qfractal.ids import id_path, id_query
from qfractal.quantum.enums import JobState
from qfractal.quantum.errors import PREFIX
from qfractal.quantum.jobs import service
from qfractal.quantum.jobs.dependencies import ServerSecret
from qfractal.quantum.jobs.schemas import (
    JobCommand,
    JobRead,
    JobRequest,
    QueuedJobs,
    ResultRead,
    RunBody,
    TokenBody,
)
from qfractal.quantum.links import Links, LinksDep
from qfractal.quantum.models import QuantumJob
from qfractal.quantum.paging import PageDep
from qfractal.quantum.schemas import SimpleJob, error_responses

router = APIRouter(prefix=PREFIX, tags=["Quantum jobs"])

JobId = Annotated[int, id_path("ID of a quantum job")]
ResultId = Annotated[int, id_path("ID of a result of the job")]
DeploymentQuery = Annotated[int | None, id_query("ID of a deployment.")]


async def _read(session: AsyncSession, job: QuantumJob, links: Links) -> JobRead:
    found = await service.view(session, job)
    return JobRead.of(found.job, links, device=found.device, results=found.results)


@router.get("/jobs/", response_model=list[SimpleJob], responses=error_responses(404))
async def list_jobs(
    user: CurrentUser,
    session: SessionDep,
    links: LinksDep,
    page: PageDep,
    status: Annotated[JobState | None, Query(description="Only jobs in this state.")] = None,
    deployment: DeploymentQuery = None,
    device: Annotated[int | None, id_query("Only jobs on this device (ID).")] = None,
) -> list[SimpleJob]:
    """The user's jobs by id, filtered by state, deployment and device, one page at a
    time (404 for an empty page after the first)."""
    jobs = await service.list_jobs(
        session, user, state=status, deployment_id=deployment, device_id=device, page=page
    )
    return [SimpleJob.of(job, links) for job in jobs]


@router.post(
    "/jobs/", status_code=201, response_model=SimpleJob, responses=error_responses(404, 501)
)
async def create_job(
    data: JobRequest,
    user: CurrentUser,
    session: SessionDep,
    links: LinksDep,
    engine: EngineWake,
    secret: ServerSecret,
    deployment: DeploymentQuery = None,
) -> SimpleJob:
    """Run the programs of one of the user's deployments on a device: the job is
    recorded READY and queued; poll it for its state and results.

    `?deployment=` wins over `deploymentId`. 422 for an unknown device of the provider
    (`deviceName`), a missing deployment id, a deployment without programs, or
    observables that do not fit the type; 404 for a deployment the user does not have;
    501 for IBM_RUNNER/IBM_UPLOAD jobs and circuit cutting.
    """
    submitted = await service.create_job(
        session, user, data=data, deployment_id=deployment, secret=secret
    )
    engine.after_commit(submitted.engine_job_id)
    return SimpleJob.of(submitted.job, links)


@router.get("/jobs/queue/", response_model=QueuedJobs, responses=error_responses(), deprecated=True)
async def get_queue(user: CurrentUser, session: SessionDep, links: LinksDep) -> QueuedJobs:
    """The user's jobs in the job engine's queue: the first running one and those
    waiting, in the order the engine takes them."""
    running, queued = await service.queue_state(session, user)
    return QueuedJobs(
        running_job=None if running is None else SimpleJob.of(running, links),
        queued_jobs=[SimpleJob.of(job, links) for job in queued],
    )


@router.get("/jobs/{job_id}/", response_model=JobRead, responses=error_responses(404))
async def get_job(
    job_id: JobId, user: CurrentUser, session: SessionDep, links: LinksDep
) -> JobRead:
    """One of the user's jobs, with its device and results."""
    return await _read(session, await service.get_job(session, user, job_id), links)


@router.delete("/jobs/{job_id}/", status_code=204, responses=error_responses(400))
async def delete_job(job_id: JobId, user: CurrentUser, session: SessionDep) -> Response:
    """Delete the job and its results: 204, also when it is already gone; 400 while it is
    READY or RUNNING (cancel it first)."""
    await service.delete_job(session, user, job_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/jobs/{job_id}/", response_model=JobRead, responses=error_responses(400, 404))
async def command(
    job_id: JobId,
    body: JobCommand,
    user: CurrentUser,
    session: SessionDep,
    links: LinksDep,
    engine: EngineWake,
    secret: ServerSecret,
) -> JobRead:
    """`cancel`: a READY or RUNNING job becomes CANCELED at once and its simulation is
    killed (400 for a FINISHED or ERROR job). `rerun`: a new job like this one, owned by
    the user, with `token`; the answer is the new job. `run`: a READY job is already
    queued; 400 for a job that ran (use `rerun`)."""
    if body.command == "cancel":
        job = await service.cancel_job(session, user, job_id)
        engine.after_commit()
    else:
        if body.command == "rerun":
            submitted = await service.rerun_job(
                session, user, job_id, token=body.token, secret=secret
            )
        else:
            submitted = await service.run_job(session, user, job_id)
        engine.after_commit(submitted.engine_job_id)
        job = submitted.job
    return await _read(session, job, links)


@router.get(
    "/jobs/{job_id}/results/", response_model=list[ResultRead], responses=error_responses(404)
)
async def list_results(
    job_id: JobId, user: CurrentUser, session: SessionDep, links: LinksDep
) -> list[ResultRead]:
    """The job's results so far, in the order they were saved."""
    job = await service.get_job(session, user, job_id)
    results = await service.results_of(session, job.id)
    return [ResultRead.of(result, links, deployment_id=job.deployment_id) for result in results]


@router.get(
    "/jobs/{job_id}/results/{result_id}/",
    response_model=ResultRead,
    responses=error_responses(404),
)
async def get_result(
    job_id: JobId, result_id: ResultId, user: CurrentUser, session: SessionDep, links: LinksDep
) -> ResultRead:
    """One result of the job."""
    job, result = await service.get_result(session, user, job_id, result_id)
    return ResultRead.of(result, links, deployment_id=job.deployment_id)


@router.post(
    "/jobs/run/{job_id}/",
    response_model=SimpleJob,
    responses=error_responses(400, 404),
    deprecated=True,
)
async def run_job_seed(
    job_id: JobId,
    user: CurrentUser,
    session: SessionDep,
    links: LinksDep,
    engine: EngineWake,
    body: RunBody | None = None,
) -> SimpleJob:
    """2023 form of the command `run` (the Python file fields are ignored)."""
    submitted = await service.run_job(session, user, job_id)
    engine.after_commit(submitted.engine_job_id)
    return SimpleJob.of(submitted.job, links)


@router.post(
    "/jobs/rerun/{job_id}/",
    response_model=SimpleJob,
    responses=error_responses(400, 404),
    deprecated=True,
)
async def rerun_job_seed(
    job_id: JobId,
    user: CurrentUser,
    session: SessionDep,
    links: LinksDep,
    engine: EngineWake,
    secret: ServerSecret,
    body: TokenBody | None = None,
) -> SimpleJob:
    """2023 form of the command `rerun`: answers the new job."""
    token = body.token if body else None
    submitted = await service.rerun_job(session, user, job_id, token=token, secret=secret)
    engine.after_commit(submitted.engine_job_id)
    return SimpleJob.of(submitted.job, links)


@router.post(
    "/jobs/cancel/{job_id}/",
    response_model=SimpleJob,
    responses=error_responses(400, 404),
    deprecated=True,
)
async def cancel_job_seed(
    job_id: JobId,
    user: CurrentUser,
    session: SessionDep,
    links: LinksDep,
    engine: EngineWake,
    body: TokenBody | None = None,
) -> SimpleJob:
    """2023 form of the command `cancel`."""
    job = await service.cancel_job(session, user, job_id)
    engine.after_commit()
    return SimpleJob.of(job, links)
