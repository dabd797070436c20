"""Superusers' view of every job: filtered lists, and marking a stuck job as failed."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import AwareDatetime
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.compute.engine import queue
from qfractal.db.types import utc_now
from qfractal.errors import InvalidInput, NotFound
from qfractal.ids import id_query
from qfractal.workflows.jobs.schemas import HistoryStatus, JobStatus, JobUpdate
from qfractal.workflows.jobs.submission import WORKFLOW_JOB_KIND
from qfractal.workflows.models import HistoryRun, HistoryUnit, Job
from qfractal.workflows.pagination import PageRequest


@dataclass(frozen=True)
class JobFilters:
    """Query parameters of /admin/v2/job/ (a FastAPI dependency); all must match."""

    id: Annotated[int | None, id_query("Only the job with this ID")] = None
    user_id: Annotated[int | None, id_query("Only jobs submitted by this user")] = None
    project_id: Annotated[int | None, id_query("Only jobs of this project")] = None
    dataset_id: Annotated[int | None, id_query("Only jobs on this dataset")] = None
    workflow_id: Annotated[int | None, id_query("Only jobs of this workflow")] = None
    status: JobStatus | None = None
    start_timestamp_min: AwareDatetime | None = None
    start_timestamp_max: AwareDatetime | None = None
    end_timestamp_min: AwareDatetime | None = None
    end_timestamp_max: AwareDatetime | None = None


async def list_jobs(
    session: AsyncSession, filters: JobFilters, page: PageRequest
) -> tuple[int, Sequence[Job]]:
    """Matching jobs, newest first, and how many match in all."""
    query = select(Job)
    exact = {
        Job.id: filters.id,
        Job.project_id: filters.project_id,
        Job.dataset_id: filters.dataset_id,
        Job.workflow_id: filters.workflow_id,
        Job.status: filters.status.value if filters.status else None,
    }
    for column, value in exact.items():
        if value is not None:
            query = query.where(column == value)
    if filters.user_id is not None:
        email = select(User.email).where(User.id == filters.user_id).scalar_subquery()
        query = query.where(Job.user_email == email)
    for column, low, high in (
        (Job.start_timestamp, filters.start_timestamp_min, filters.start_timestamp_max),
        (Job.end_timestamp, filters.end_timestamp_min, filters.end_timestamp_max),
    ):
        if low is not None:
            query = query.where(column >= low)
        if high is not None:
            query = query.where(column <= high)
    total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    jobs = await session.scalars(
        query.order_by(Job.start_timestamp.desc(), Job.id.desc())
        .offset(page.offset)
        .limit(page.size)
    )
    return total, jobs.all()


async def get_any_job(session: AsyncSession, job_id: int) -> Job:
    job = await session.get(Job, job_id)
    if job is None:
        raise NotFound(f"Job {job_id} not found.")
    return job


async def fail_job(session: AsyncSession, job: Job, *, data: JobUpdate) -> Job:
    """Mark a submitted job failed (e.g. one whose worker vanished): its latest run and
    that run's unfinished units fail with it, and the engine is asked to stop it."""
    if data.status != JobStatus.FAILED:
        raise InvalidInput(f"Only status 'failed' can be set, not {data.status.value!r}.")
    if job.status != JobStatus.SUBMITTED:
        raise InvalidInput(f"Job {job.id} is {job.status}: only a submitted job can be failed.")
    now = utc_now()
    job.status = JobStatus.FAILED.value
    job.end_timestamp = now
    job.log = (job.log or "") + (
        f"\nThis job was manually marked as 'failed' by an admin ({now.isoformat()}).\n"
    )
    run = await session.scalar(
        select(HistoryRun)
        .where(HistoryRun.job_id == job.id)
        .order_by(HistoryRun.timestamp_started.desc(), HistoryRun.id.desc())
        .limit(1)
    )
    if run is not None:
        run.status = HistoryStatus.FAILED.value
        await session.execute(
            update(HistoryUnit)
            .where(
                HistoryUnit.history_run_id == run.id,
                HistoryUnit.status == HistoryStatus.SUBMITTED.value,
            )
            .values(status=HistoryStatus.FAILED.value)
        )
    await queue.request_stop(session, kind=WORKFLOW_JOB_KIND, ref_id=job.id)
    await session.flush()
    return job
