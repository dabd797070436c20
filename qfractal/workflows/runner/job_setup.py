"""What a job run needs from the database, read once when it starts.

The workflow tasks run as they are when the job starts (like fractal-server); the
snapshot is plain data, so nothing the run holds is tied to a database session.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.auth.models import User
from qfractal.compute.models import Profile, Resource
from qfractal.workflows.models import Dataset, Job, Project, Workflow
from qfractal.workflows.runner.errors import JobExecutionError
from qfractal.workflows.runner.selection import JobImageFilters, split_job_attribute_filters
from qfractal.workflows.tasks.schemas import TaskRead, TaskType
from qfractal.workflows.workflow.schemas import WorkflowTaskRead
from qfractal.workflows.workflow.steps import Step, load_steps

_TASK_GROUP_DUMP_FIELDS = (
    "id",
    "origin",
    "pkg_name",
    "version",
    "python_version",
    "pip_extras",
    "pinned_package_versions_pre",
    "pinned_package_versions_post",
)


@dataclass(frozen=True)
class TaskSpec:
    """One workflow task of the job, with what its task says."""

    wftask_id: int
    order: int
    task_id: int
    name: str
    type: TaskType
    command_non_parallel: str | None
    command_parallel: str | None
    args_non_parallel: dict[str, Any] | None
    args_parallel: dict[str, Any] | None
    meta_non_parallel: dict[str, Any]
    meta_parallel: dict[str, Any]
    type_filters: dict[str, bool]
    input_types: dict[str, bool]
    output_types: dict[str, bool]
    workflowtask_dump: dict[str, Any]
    task_group_dump: dict[str, Any]

    @classmethod
    def of(cls, step: Step) -> "TaskSpec":
        wftask, task = step.wftask, step.task
        fields = WorkflowTaskRead.fields_of(step)
        fields["task"] = TaskRead.model_validate(task).without_args_schemas()
        return cls(
            wftask_id=wftask.id,
            order=wftask.order,
            task_id=task.id,
            name=task.name,
            type=TaskType(task.type),
            command_non_parallel=task.command_non_parallel,
            command_parallel=task.command_parallel,
            args_non_parallel=wftask.args_non_parallel,
            args_parallel=wftask.args_parallel,
            meta_non_parallel=wftask.meta_non_parallel or {},
            meta_parallel=wftask.meta_parallel or {},
            type_filters=dict(wftask.type_filters),
            input_types=dict(task.input_types),
            output_types=dict(task.output_types),
            workflowtask_dump=WorkflowTaskRead(**fields).model_dump(mode="json"),
            task_group_dump={
                name: getattr(step.task_group, name) for name in _TASK_GROUP_DUMP_FIELDS
            },
        )


@dataclass(frozen=True)
class ClusterSetup:
    """How a job on a SLURM resource reaches its cluster (resource and user profile)."""

    host: str | None
    """The ssh host (`slurm_ssh`), as `name` or `name:port`."""
    username: str
    ssh_key_path: str | None
    python_worker: str
    poll_interval: int
    slurm_account: str | None
    worker_init: str | None
    remote_root: str
    """The job folder as the cluster user sees it (the job's `working_dir_user`)."""


@dataclass(frozen=True)
class JobSetup:
    job_id: int
    user_id: int
    dataset_id: int
    zarr_dir: str
    working_dir: Path
    log_name: str
    """The job log's logger name, `WF{workflow_id}_job{job_id}` as in fractal-server."""
    workflow_name: str
    resource_type: str
    resource_name: str
    jobs_runner_config: dict[str, Any]
    cluster: ClusterSetup | None
    """None on a local resource."""
    tasks: list[TaskSpec]
    type_filters: dict[str, bool]
    filters: JobImageFilters


def _missing(what: str, job: Job) -> JobExecutionError:
    return JobExecutionError(f"The {what} of job {job.id} was deleted after its submission.")


async def _user(session: AsyncSession, job: Job) -> User:
    user = await session.scalar(select(User).where(User.email == job.user_email))
    if user is None:
        raise JobExecutionError(f"User {job.user_email} of job {job.id} no longer exists.")
    return user


async def _cluster(
    session: AsyncSession, job: Job, resource: Resource, user: User
) -> ClusterSetup | None:
    if resource.type == "local":
        return None
    profile = await session.get(Profile, user.profile_id) if user.profile_id else None
    if profile is None or profile.resource_id != resource.id:
        raise JobExecutionError(
            f'User {user.email} has no profile on resource "{resource.name}" any more.'
        )
    assert profile.username is not None  # check constraint on SLURM profiles
    assert resource.jobs_slurm_python_worker is not None  # check constraint too
    if not job.working_dir_user:
        raise JobExecutionError(f"Job {job.id} has no folder for the cluster user.")
    return ClusterSetup(
        host=resource.host,
        username=profile.username,
        ssh_key_path=profile.ssh_key_path,
        python_worker=resource.jobs_slurm_python_worker,
        poll_interval=resource.jobs_poll_interval,
        slurm_account=job.slurm_account,
        worker_init=job.worker_init,
        remote_root=job.working_dir_user,
    )


async def load_job_setup(session: AsyncSession, job: Job) -> JobSetup:
    """The job's dataset, workflow tasks, resource and user, as they are now.

    Raises JobExecutionError if one of them is gone, or if the workflow no longer has
    the tasks the job was submitted for.
    """
    if job.working_dir is None:
        raise JobExecutionError(f"Job {job.id} has no working folder.")
    dataset = await session.get(Dataset, job.dataset_id) if job.dataset_id else None
    if dataset is None:
        raise _missing("dataset", job)
    workflow = await session.get(Workflow, job.workflow_id) if job.workflow_id else None
    if workflow is None:
        raise _missing("workflow", job)
    project = await session.get(Project, job.project_id) if job.project_id else None
    if project is None:
        raise _missing("project", job)
    resource = await session.get(Resource, project.resource_id)
    assert resource is not None  # RESTRICT foreign key
    steps = (await load_steps(session, [workflow.id]))[workflow.id]
    if job.last_task_index >= len(steps):
        raise JobExecutionError(
            f"Workflow {workflow.id} has {len(steps)} task(s) now, but job {job.id} runs tasks "
            f"{job.first_task_index} to {job.last_task_index}."
        )
    user = await _user(session, job)
    return JobSetup(
        job_id=job.id,
        user_id=user.id,
        dataset_id=dataset.id,
        zarr_dir=dataset.zarr_dir,
        working_dir=Path(job.working_dir),
        log_name=f"WF{workflow.id}_job{job.id}",
        workflow_name=workflow.name,
        resource_type=resource.type,
        resource_name=resource.name,
        jobs_runner_config=dict(resource.jobs_runner_config),
        cluster=await _cluster(session, job, resource, user),
        tasks=[TaskSpec.of(step) for step in steps[job.first_task_index : job.last_task_index + 1]],
        type_filters=dict(job.type_filters),
        filters=split_job_attribute_filters(job.attribute_filters),
    )
