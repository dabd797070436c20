"""Reading and stopping a user's jobs (those of the projects they are linked to).

A job of a project the user is not linked to is not found (404), as if it did not exist.
"""

import asyncio
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.compute.engine import queue
from qfractal.errors import InvalidInput, NotFound
from qfractal.workflows.datasets.service import get_dataset
from qfractal.workflows.jobs import files
from qfractal.workflows.jobs.schemas import JobRead, JobStatus
from qfractal.workflows.jobs.submission import WORKFLOW_JOB_KIND
from qfractal.workflows.models import Job, LinkUserProject
from qfractal.workflows.projects.service import get_project
from qfractal.workflows.workflow.service import get_workflow


def _ordered(query: Select[tuple[Job]]) -> Select[tuple[Job]]:
    return query.order_by(Job.start_timestamp.desc(), Job.id.desc())


async def list_user_jobs(session: AsyncSession, user: User) -> Sequence[Job]:
    """Jobs of every project the user is linked to, oldest first."""
    query = select(Job).join(LinkUserProject, LinkUserProject.project_id == Job.project_id)
    return (await session.scalars(_ordered(query.where(LinkUserProject.user_id == user.id)))).all()


async def list_project_jobs(session: AsyncSession, user: User, *, project_id: int) -> Sequence[Job]:
    project = await get_project(session, user, project_id)
    return (await session.scalars(_ordered(select(Job).where(Job.project_id == project.id)))).all()


async def list_workflow_jobs(
    session: AsyncSession, user: User, *, project_id: int, workflow_id: int
) -> Sequence[Job]:
    await get_workflow(session, user, project_id=project_id, workflow_id=workflow_id)
    return (
        await session.scalars(_ordered(select(Job).where(Job.workflow_id == workflow_id)))
    ).all()


async def latest_job(
    session: AsyncSession, user: User, *, project_id: int, workflow_id: int, dataset_id: int
) -> Job:
    """The most recently submitted job of this workflow on this dataset (404 if none)."""
    loaded = await get_workflow(session, user, project_id=project_id, workflow_id=workflow_id)
    await get_dataset(session, loaded.project, dataset_id)
    job = await session.scalar(
        select(Job)
        .where(Job.workflow_id == workflow_id, Job.dataset_id == dataset_id)
        .order_by(Job.start_timestamp.desc(), Job.id.desc())
        .limit(1)
    )
    if job is None:
        raise NotFound(f"No job of workflow {workflow_id} on dataset {dataset_id}.")
    return job


async def get_job(session: AsyncSession, user: User, *, project_id: int, job_id: int) -> Job:
    project = await get_project(session, user, project_id)
    job = await session.scalar(select(Job).where(Job.id == job_id, Job.project_id == project.id))
    if job is None:
        raise NotFound(f"Job {job_id} not found in project {project_id}.")
    return job


async def read_job(job: Job, *, show_tmp_logs: bool) -> JobRead:
    """The job; with `show_tmp_logs`, a running job's log is its `workflow.log` so far."""
    live = None
    if show_tmp_logs and job.status == JobStatus.SUBMITTED:
        live = await asyncio.to_thread(files.read_live_log, job.working_dir)
    return JobRead.of(job, live_log=live)


async def stop_job(session: AsyncSession, job: Job) -> None:
    """Ask the engine to stop a submitted job; the runner then ends it as failed."""
    if job.status != JobStatus.SUBMITTED:
        raise InvalidInput(f"Job {job.id} is {job.status}: only a submitted job can be stopped.")
    if not await queue.request_stop(session, kind=WORKFLOW_JOB_KIND, ref_id=job.id):
        raise InvalidInput(f"Job {job.id} is not running in the job engine: nothing to stop.")


async def job_archive(job: Job) -> files.JobArchive:
    return await asyncio.to_thread(files.job_archive, job.id, job.working_dir)
