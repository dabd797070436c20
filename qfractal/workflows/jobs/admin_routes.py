"""Superuser routes /admin/v2/job/... (every user's jobs)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from qfractal.auth.dependencies import Superuser
from qfractal.compute.engine.wake import EngineWake
from qfractal.db.session import SessionDep
from qfractal.ids import JobId
from qfractal.workflows.jobs import admin, service
from qfractal.workflows.jobs.responses import ZIP, archive_response
from qfractal.workflows.jobs.routes import LogQuery, ShowTmpLogsQuery
from qfractal.workflows.jobs.schemas import JobPage, JobRead, JobUpdate
from qfractal.workflows.pagination import PageDep, PageInfo

router = APIRouter(prefix="/admin/v2", tags=["V2 Admin area"])

_404 = {404: {"description": "No such job."}}
_422 = {422: {"description": "Invalid input, or the job is not submitted."}}


@router.get("/job/", response_model=JobPage)
async def view_job(
    _admin: Superuser,
    session: SessionDep,
    page: PageDep,
    filters: Annotated[admin.JobFilters, Depends(admin.JobFilters)],
    log: LogQuery = True,
) -> JobPage:
    """Every user's jobs, newest first, filtered (all given filters must match) and
    paginated; `user_id` is the user who submitted the job."""
    total, jobs = await admin.list_jobs(session, filters, page)
    return JobPage(
        **PageInfo.of(page, total).model_dump(), items=[JobRead.of(j, log=log) for j in jobs]
    )


@router.get("/job/{job_id}/", response_model=JobRead, responses=_404)
async def view_single_job(
    job_id: JobId,
    _admin: Superuser,
    session: SessionDep,
    show_tmp_logs: ShowTmpLogsQuery = False,
) -> JobRead:
    """Any job."""
    job = await admin.get_any_job(session, job_id)
    return await service.read_job(job, show_tmp_logs=show_tmp_logs)


@router.patch("/job/{job_id}/", response_model=JobRead, responses={**_404, **_422})
async def update_job(
    job_id: JobId, data: JobUpdate, _admin: Superuser, session: SessionDep, engine: EngineWake
) -> JobRead:
    """Mark a submitted job `failed` (the only change allowed): its latest history run and
    that run's unfinished units fail too, and the job engine is asked to stop it."""
    job = await admin.fail_job(session, await admin.get_any_job(session, job_id), data=data)
    engine.after_commit()
    return JobRead.of(job)


@router.get("/job/{job_id}/stop/", status_code=202, responses={**_404, **_422})
async def stop_job(
    job_id: JobId, _admin: Superuser, session: SessionDep, engine: EngineWake
) -> Response:
    """Ask the job engine to stop any submitted job (empty 202)."""
    await service.stop_job(session, await admin.get_any_job(session, job_id))
    engine.after_commit()
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.get(
    "/job/{job_id}/download/",
    response_class=Response,
    responses={200: {"content": {ZIP: {}}}, **_404},
)
async def download_job_logs(job_id: JobId, _admin: Superuser, session: SessionDep) -> Response:
    """Any job's folder as a zip archive."""
    job = await admin.get_any_job(session, job_id)
    return archive_response(await service.job_archive(job))
