"""Routes of jobs under /api/v2 (fractal-server 2.17 wire format).

A submitted job is queued for the job engine in the request's transaction; the engine is
woken once the response (and so the commit) is done, and again after a stop request.
"""

from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from qfractal.compute.engine.wake import EngineWake
from qfractal.db.session import SessionDep
from qfractal.ids import JobId, ProjectId, WorkflowId, id_query
from qfractal.workflows.dependencies import WorkflowsUser
from qfractal.workflows.jobs import service, submission
from qfractal.workflows.jobs.responses import ZIP, archive_response
from qfractal.workflows.jobs.schemas import JobCreate, JobRead
from qfractal.workflows.models import Job

router = APIRouter(prefix="/api/v2", tags=["V2 Job"])

_404 = {404: {"description": "No such project, workflow, dataset or job for this user."}}
_422 = {422: {"description": "Invalid input, or a rule of the request is broken (detail)."}}

WorkflowIdQuery = Annotated[int, id_query("ID of a workflow of the project")]
DatasetIdQuery = Annotated[int, id_query("ID of a dataset of the project")]
LogQuery = Annotated[bool, Query(description="Include each job's log (false: log is null).")]
ShowTmpLogsQuery = Annotated[
    bool, Query(description="While the job runs, show its log as written so far.")
]


def _reads(jobs: Iterable[Job], *, log: bool) -> list[JobRead]:
    return [JobRead.of(job, log=log) for job in jobs]


@router.get("/job/", response_model=list[JobRead])
async def get_user_jobs(
    user: WorkflowsUser, session: SessionDep, log: LogQuery = True
) -> list[JobRead]:
    """The jobs of every project the user is linked to, oldest first."""
    return _reads(await service.list_user_jobs(session, user), log=log)


@router.post(
    "/project/{project_id}/job/submit/",
    status_code=202,
    response_model=JobRead,
    responses={**_404, **_422},
)
async def apply_workflow(
    project_id: ProjectId,
    workflow_id: WorkflowIdQuery,
    dataset_id: DatasetIdQuery,
    data: JobCreate,
    user: WorkflowsUser,
    session: SessionDep,
    engine: EngineWake,
) -> JobRead:
    """Run the workflow (or the tasks `first_task_index`..`last_task_index`) over the
    dataset's images that pass the filters.

    Refused (422) when the project is on another resource than the user's, the workflow
    is empty, the indices are out of range, a task is inactive or not readable, type
    filters conflict, the dataset already has a submitted job, or `slurm_account` is not
    one of the user's. The answer is the `submitted` job; poll it for its status and log.
    """
    submitted = await submission.submit_job(
        session,
        user,
        project_id=project_id,
        workflow_id=workflow_id,
        dataset_id=dataset_id,
        data=data,
    )
    engine.after_commit(submitted.engine_job_id)
    return JobRead.of(submitted.job)


@router.get("/project/{project_id}/job/", response_model=list[JobRead], responses=_404)
async def get_job_list(
    project_id: ProjectId, user: WorkflowsUser, session: SessionDep, log: LogQuery = True
) -> list[JobRead]:
    """The jobs of a project, oldest first."""
    return _reads(await service.list_project_jobs(session, user, project_id=project_id), log=log)


@router.get(
    "/project/{project_id}/workflow/{workflow_id}/job/",
    response_model=list[JobRead],
    responses=_404,
)
async def get_workflow_jobs(
    project_id: ProjectId, workflow_id: WorkflowId, user: WorkflowsUser, session: SessionDep
) -> list[JobRead]:
    """The jobs of a workflow, oldest first."""
    jobs = await service.list_workflow_jobs(
        session, user, project_id=project_id, workflow_id=workflow_id
    )
    return _reads(jobs, log=True)


@router.get("/project/{project_id}/latest-job/", response_model=JobRead, responses=_404)
async def get_latest_job(
    project_id: ProjectId,
    workflow_id: WorkflowIdQuery,
    dataset_id: DatasetIdQuery,
    user: WorkflowsUser,
    session: SessionDep,
) -> JobRead:
    """The last job submitted for this workflow and dataset (404 if there is none)."""
    job = await service.latest_job(
        session, user, project_id=project_id, workflow_id=workflow_id, dataset_id=dataset_id
    )
    return JobRead.of(job)


@router.get("/project/{project_id}/job/{job_id}/", response_model=JobRead, responses=_404)
async def read_job(
    project_id: ProjectId,
    job_id: JobId,
    user: WorkflowsUser,
    session: SessionDep,
    show_tmp_logs: ShowTmpLogsQuery = False,
) -> JobRead:
    """One job of the project."""
    job = await service.get_job(session, user, project_id=project_id, job_id=job_id)
    return await service.read_job(job, show_tmp_logs=show_tmp_logs)


@router.get(
    "/project/{project_id}/job/{job_id}/download/",
    response_class=Response,
    responses={200: {"content": {ZIP: {}}}, **_404},
)
async def download_job_logs(
    project_id: ProjectId, job_id: JobId, user: WorkflowsUser, session: SessionDep
) -> Response:
    """The job's folder (logs, task arguments and outputs) as a zip archive; 404 if the
    job has no folder or archive on disk."""
    job = await service.get_job(session, user, project_id=project_id, job_id=job_id)
    return archive_response(await service.job_archive(job))


@router.get("/project/{project_id}/job/{job_id}/stop/", status_code=202, responses={**_404, **_422})
async def stop_job(
    project_id: ProjectId,
    job_id: JobId,
    user: WorkflowsUser,
    session: SessionDep,
    engine: EngineWake,
) -> Response:
    """Ask the job engine to stop a submitted job (empty 202); it then ends as failed.
    422 if the job is no longer submitted."""
    job = await service.get_job(session, user, project_id=project_id, job_id=job_id)
    await service.stop_job(session, job)
    engine.after_commit()
    return Response(status_code=status.HTTP_202_ACCEPTED)
