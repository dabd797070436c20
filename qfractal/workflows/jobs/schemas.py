"""Bodies of the job, status and history routes (fractal-server 2.17 wire format)."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from qfractal.auth.schemas import NonEmptyStr, no_nul
from qfractal.ids import DbId
from qfractal.workflows.images.filters import AttributeFilters, TypeFilters
from qfractal.workflows.images.schemas import lenient_zarr_path
from qfractal.workflows.models import HistoryRun, HistoryUnit, Job
from qfractal.workflows.pagination import PageInfo


class JobStatus(StrEnum):
    """A job is `submitted` until the runner ends it `done` or `failed`."""

    SUBMITTED = "submitted"
    DONE = "done"
    FAILED = "failed"


class HistoryStatus(StrEnum):
    """Status of a history run or unit (fractal's HistoryUnitStatus)."""

    SUBMITTED = "submitted"
    DONE = "done"
    FAILED = "failed"


UNSET = "unset"
"""Status of an image that no unit of the workflow task has touched."""

TaskIndex = Annotated[int, Field(ge=0, le=2**31 - 1)]


class JobCreate(BaseModel):
    """What to run: the slice `[first_task_index, last_task_index]` of the workflow (default:
    all of it), over the dataset's images that pass the filters."""

    model_config = ConfigDict(extra="forbid")

    first_task_index: TaskIndex | None = None
    last_task_index: TaskIndex | None = None
    slurm_account: Annotated[NonEmptyStr, AfterValidator(no_nul)] | None = None
    """One of the user's SLURM accounts (default: the first one)."""
    worker_init: Annotated[str, Field(min_length=1), AfterValidator(no_nul)] | None = None
    """Shell lines run before each task on a SLURM node."""
    attribute_filters: AttributeFilters = Field(default_factory=dict)
    type_filters: TypeFilters = Field(default_factory=dict)


class JobUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: JobStatus


class ProjectDump(BaseModel):
    id: int
    name: str
    timestamp_created: str


class WorkflowDump(BaseModel):
    """The workflow at submission. The stored dump also holds its `task_list`, which the
    2.17 wire format does not show."""

    id: int
    name: str
    project_id: int
    timestamp_created: str


class DatasetDump(BaseModel):
    """The dataset at submission, without its images."""

    id: int
    name: str
    project_id: int
    timestamp_created: str
    zarr_dir: str


class JobRead(BaseModel):
    id: int
    project_id: int | None
    project_dump: ProjectDump
    user_email: str
    slurm_account: str | None
    workflow_id: int | None
    workflow_dump: WorkflowDump
    dataset_id: int | None
    dataset_dump: DatasetDump
    start_timestamp: datetime
    end_timestamp: datetime | None
    status: JobStatus
    log: str | None
    executor_error_log: str | None
    working_dir: str | None
    working_dir_user: str | None
    first_task_index: int | None
    last_task_index: int | None
    worker_init: str | None
    attribute_filters: dict[str, list[Any]]
    type_filters: dict[str, bool]

    @classmethod
    def of(cls, job: Job, *, log: bool = True, live_log: str | None = None) -> Self:
        """`log=False` leaves the log out; `live_log` replaces it (a running job's log)."""
        shown = (live_log if live_log is not None else job.log) if log else None
        return cls(
            id=job.id,
            project_id=job.project_id,
            project_dump=ProjectDump.model_validate(job.project_dump),
            user_email=job.user_email,
            slurm_account=job.slurm_account,
            workflow_id=job.workflow_id,
            workflow_dump=WorkflowDump.model_validate(job.workflow_dump),
            dataset_id=job.dataset_id,
            dataset_dump=DatasetDump.model_validate(job.dataset_dump),
            start_timestamp=job.start_timestamp,
            end_timestamp=job.end_timestamp,
            status=JobStatus(job.status),
            log=shown,
            executor_error_log=job.executor_error_log,
            working_dir=job.working_dir,
            working_dir_user=job.working_dir_user,
            first_task_index=job.first_task_index,
            last_task_index=job.last_task_index,
            worker_init=job.worker_init,
            attribute_filters=job.attribute_filters,
            type_filters=job.type_filters,
        )


class JobPage(PageInfo):
    items: list[JobRead]


class HistoryRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset_id: int
    workflowtask_id: int | None
    job_id: int
    workflowtask_dump: dict[str, Any]
    task_group_dump: dict[str, Any]
    timestamp_started: datetime
    status: HistoryStatus
    num_available_images: int

    @classmethod
    def of(cls, run: HistoryRun) -> Self:
        return cls.model_validate(run)


class HistoryRunReadAggregated(BaseModel):
    """A run of a workflow task with how many of its units are in each status."""

    id: int
    timestamp_started: datetime
    workflowtask_dump: dict[str, Any]
    num_submitted_units: int
    num_done_units: int
    num_failed_units: int
    args_schema_parallel: dict[str, Any] | None = None
    args_schema_non_parallel: dict[str, Any] | None = None
    version: str | None = None


class HistoryUnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    logfile: str | None
    status: HistoryStatus
    zarr_urls: list[str]

    @classmethod
    def of(cls, unit: HistoryUnit) -> Self:
        return cls.model_validate(unit)


class HistoryUnitPage(PageInfo):
    items: list[HistoryUnitRead]


class WorkflowTaskStatus(BaseModel):
    """Where a workflow task stands for a dataset: its latest run, and how many images its
    units left in each status."""

    status: HistoryStatus
    num_available_images: int | None
    """Images the latest run started with; null when the counts below exceed it (images
    from earlier runs)."""
    num_submitted_images: int
    num_done_images: int
    num_failed_images: int


class LegacyStatusRead(BaseModel):
    """`{workflowtask_id: status}` (fractal's LegacyStatusReadV2)."""

    status: dict[str, HistoryStatus] = Field(default_factory=dict)


class ImageLogsRequest(BaseModel):
    workflowtask_id: DbId
    dataset_id: DbId
    zarr_url: Annotated[str, AfterValidator(lenient_zarr_path)]
