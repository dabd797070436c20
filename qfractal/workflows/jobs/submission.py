"""Submitting a job: the rules a submission must pass, the job row, and its engine job.

The job is recorded with dumps of its project, workflow (with its task list) and dataset
(without images), and queued for the engine in the same transaction: the engine sees it
once the request commits. "One submitted job per dataset" is checked first, for a clear
message, and enforced by a partial unique index, so two submissions racing past the
check still end with one job and one 422.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.compute.engine import queue
from qfractal.compute.models import Profile, Resource
from qfractal.compute.service import get_profile, get_resource
from qfractal.db.integrity import flush_or_raise
from qfractal.db.types import utc_now
from qfractal.errors import InvalidInput
from qfractal.workflows.datasets.service import get_dataset
from qfractal.workflows.jobs.schemas import JobCreate, JobStatus
from qfractal.workflows.models import Dataset, Job, Project
from qfractal.workflows.workflow.schemas import WorkflowTaskRead
from qfractal.workflows.workflow.service import get_workflow
from qfractal.workflows.workflow.steps import LoadedWorkflow, Step, flow_steps, with_warnings
from qfractal.workflows.workflow.type_filters import TypeFilterConflict, type_filters_flow

WORKFLOW_JOB_KIND = "workflow_job"
"""The engine handler that runs a `jobv2` row (the workflow runner)."""


def dataset_busy(dataset_id: int) -> InvalidInput:
    return InvalidInput(
        f"Dataset {dataset_id} is already in use by a submitted job "
        "(a dataset runs one job at a time)."
    )


def task_range(num_tasks: int, first: int | None, last: int | None) -> tuple[int, int]:
    """The first and last index of the tasks to run (default: all of them)."""
    first = 0 if first is None else first
    last = num_tasks - 1 if last is None else last
    if last >= num_tasks or first > last:
        raise InvalidInput(
            f"Invalid values: first_task_index={first} and last_task_index={last} for a "
            f"workflow of {num_tasks} task(s) (need 0 <= first <= last < {num_tasks})."
        )
    return first, last


def choose_slurm_account(accounts: list[str], asked: str | None) -> str | None:
    """The SLURM account to charge: the one asked for (if it is the user's), else the
    user's first one, else none."""
    if asked is None:
        return accounts[0] if accounts else None
    if asked not in accounts:
        raise InvalidInput(
            f"SLURM account {asked!r} is not one of the user's SLURM accounts {accounts}."
        )
    return asked


def job_folder_name(*, project_id: int, workflow_id: int, job_id: int, started: datetime) -> str:
    return f"proj_v2_{project_id:07d}_wf_{workflow_id:07d}_job_{job_id:07d}_{started:%Y%m%d_%H%M%S}"


def user_working_dir(
    name: str, *, working_dir: str, resource: Resource, profile: Profile, user: User
) -> str:
    """Where the job's files are as the user's jobs see them: the same folder on a local
    resource, the user's cache folder with sudo, the profile's remote folder over SSH."""
    if resource.type == "slurm_ssh":
        return f"{profile.jobs_remote_dir}/{name}"
    if resource.type == "slurm_sudo":
        if not user.project_dirs:
            raise InvalidInput(f"User {user.email} has no project folder for SLURM job files.")
        return f"{user.project_dirs[0]}/.fractal_cache/{name}"
    return working_dir


def _check_steps(loaded: LoadedWorkflow, steps: list[Step], type_filters: dict[str, bool]) -> None:
    for step in steps:
        if step.warning is not None:
            raise InvalidInput(
                f"Cannot submit workflow {loaded.workflow.id}: task {step.task.id} "
                f"({step.task.name!r}, workflow task {step.wftask.id}): {step.warning}"
            )
    try:
        type_filters_flow(flow_steps(steps), start=type_filters)
    except TypeFilterConflict as exc:
        raise InvalidInput(f"Cannot submit workflow {loaded.workflow.id}: {exc}") from exc


async def _check_dataset_free(session: AsyncSession, dataset: Dataset) -> None:
    busy = await session.scalar(
        select(Job.id).where(Job.dataset_id == dataset.id, Job.status == JobStatus.SUBMITTED)
    )
    if busy is not None:
        raise dataset_busy(dataset.id)


def _dumps(loaded: LoadedWorkflow, dataset: Dataset) -> dict[str, dict[str, Any]]:
    project: Project = loaded.project
    workflow = loaded.workflow
    return {
        "project_dump": {
            "id": project.id,
            "name": project.name,
            "timestamp_created": project.timestamp_created.isoformat(),
        },
        "workflow_dump": {
            "id": workflow.id,
            "name": workflow.name,
            "project_id": workflow.project_id,
            "timestamp_created": workflow.timestamp_created.isoformat(),
            "task_list": [
                WorkflowTaskRead.of(step).model_dump(mode="json") for step in loaded.steps
            ],
        },
        "dataset_dump": {
            "id": dataset.id,
            "name": dataset.name,
            "project_id": dataset.project_id,
            "timestamp_created": dataset.timestamp_created.isoformat(),
            "zarr_dir": dataset.zarr_dir,
        },
    }


@dataclass(frozen=True)
class Submission:
    job: Job
    engine_job_id: int
    """The engine's row for the job: wake the engine with it once committed."""


async def submit_job(
    session: AsyncSession,
    user: User,
    *,
    project_id: int,
    workflow_id: int,
    dataset_id: int,
    data: JobCreate,
) -> Submission:
    """Check every rule, record the job and queue it for the engine (422 for a broken
    rule, 404 for a workflow or dataset not in the user's project)."""
    loaded = await get_workflow(session, user, project_id=project_id, workflow_id=workflow_id)
    dataset = await get_dataset(session, loaded.project, dataset_id)
    assert user.profile_id is not None  # WorkflowsUser has a profile
    profile = await get_profile(session, user.profile_id)
    if profile.resource_id != loaded.project.resource_id:
        raise InvalidInput(
            f"Project {project_id} is on resource {loaded.project.resource_id}, but user "
            f"{user.email} works on resource {profile.resource_id}."
        )
    resource = await get_resource(session, profile.resource_id)
    if not loaded.steps:
        raise InvalidInput(f"Workflow {workflow_id} has no tasks.")
    first, last = task_range(len(loaded.steps), data.first_task_index, data.last_task_index)
    loaded = await with_warnings(session, user, loaded)
    steps = loaded.steps[first : last + 1]
    _check_steps(loaded, steps, data.type_filters)
    await _check_dataset_free(session, dataset)
    slurm_account = choose_slurm_account(user.slurm_accounts, data.slurm_account)

    started = utc_now()
    job = Job(
        project_id=project_id,
        workflow_id=workflow_id,
        dataset_id=dataset_id,
        user_email=user.email,
        slurm_account=slurm_account,
        worker_init=data.worker_init,
        first_task_index=first,
        last_task_index=last,
        attribute_filters=data.attribute_filters,
        type_filters=data.type_filters,
        start_timestamp=started,
        status=JobStatus.SUBMITTED.value,
        **_dumps(loaded, dataset),
    )
    session.add(job)
    await flush_or_raise(session, dataset_busy(dataset_id))  # the partial unique index

    name = job_folder_name(
        project_id=project_id, workflow_id=workflow_id, job_id=job.id, started=started
    )
    job.working_dir = f"{resource.jobs_local_dir}/{name}"
    if Path(job.working_dir).exists():
        raise InvalidInput(f"The job folder {job.working_dir} already exists.")
    job.working_dir_user = user_working_dir(
        name, working_dir=job.working_dir, resource=resource, profile=profile, user=user
    )
    for step in steps:
        step.task_group.timestamp_last_used = started
    engine_job = await queue.enqueue(session, kind=WORKFLOW_JOB_KIND, ref_id=job.id)
    await session.flush()
    return Submission(job=job, engine_job_id=engine_job.id)
