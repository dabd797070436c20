"""Tables of the workflows face: projects, datasets, images, tasks, workflows, accounting.

Names and columns follow fractal-server 2.17 (ProjectV2, DatasetV2, ...), except that a
dataset's images are rows of `image` instead of one JSON array in the dataset row.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from qfractal.db.base import Base
from qfractal.db.types import JSONType, utc_now

TASK_TYPES = (
    "compound",
    "converter_compound",
    "non_parallel",
    "converter_non_parallel",
    "parallel",
)
TASK_GROUP_ORIGINS = ("pypi", "wheel-file", "pixi", "other")
ACTIVITY_STATUSES = ("pending", "ongoing", "failed", "OK")
ACTIVITY_ACTIONS = ("collect", "deactivate", "reactivate", "delete")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Project(Base):
    __tablename__ = "projectv2"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resource.id", ondelete="RESTRICT"), index=True
    )
    timestamp_created: Mapped[datetime] = mapped_column(default=utc_now)


class LinkUserProject(Base):
    __tablename__ = "linkuserprojectv2"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projectv2.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Dataset(Base):
    __tablename__ = "datasetv2"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projectv2.id", ondelete="CASCADE"), index=True
    )
    zarr_dir: Mapped[str] = mapped_column(Text)
    timestamp_created: Mapped[datetime] = mapped_column(default=utc_now)


class Image(Base):
    """One image of a dataset (fractal-server keeps these as a JSON array in the dataset)."""

    __tablename__ = "image"
    __table_args__ = (
        UniqueConstraint("dataset_id", "zarr_url", name="uq_image_dataset_zarr_url"),
        Index("ix_image_dataset_id_id", "dataset_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasetv2.id", ondelete="CASCADE"))
    zarr_url: Mapped[str] = mapped_column(Text)
    origin: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    types: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TaskGroup(Base):
    __tablename__ = "taskgroupv2"
    __table_args__ = (
        CheckConstraint(_one_of("origin", TASK_GROUP_ORIGINS), name="origin"),
        UniqueConstraint(
            "resource_id", "user_id", "pkg_name", "version", name="uq_taskgroupv2_owner_pkg"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    user_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_group.id", ondelete="SET NULL"), index=True
    )
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resource.id", ondelete="RESTRICT"), index=True
    )
    origin: Mapped[str] = mapped_column(String(32))
    pkg_name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str | None] = mapped_column(String(255))
    python_version: Mapped[str | None] = mapped_column(String(32))
    pixi_version: Mapped[str | None] = mapped_column(String(32))
    path: Mapped[str | None] = mapped_column(Text)
    venv_path: Mapped[str | None] = mapped_column(Text)
    archive_path: Mapped[str | None] = mapped_column(Text)
    pip_extras: Mapped[str | None] = mapped_column(String(255))
    pinned_package_versions_pre: Mapped[dict[str, Any]] = mapped_column(default=dict)
    pinned_package_versions_post: Mapped[dict[str, Any]] = mapped_column(default=dict)
    env_info: Mapped[str | None] = mapped_column(Text)
    """`pip freeze --all` (or the pixi lock) of the environment, used to reactivate it."""
    venv_size_in_kB: Mapped[int | None]
    venv_file_number: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    timestamp_created: Mapped[datetime] = mapped_column(default=utc_now)
    timestamp_last_used: Mapped[datetime] = mapped_column(default=utc_now)


class Task(Base):
    __tablename__ = "taskv2"
    __table_args__ = (CheckConstraint(_one_of("type", TASK_TYPES), name="type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    taskgroupv2_id: Mapped[int] = mapped_column(
        ForeignKey("taskgroupv2.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(String(255))
    command_non_parallel: Mapped[str | None] = mapped_column(Text)
    command_parallel: Mapped[str | None] = mapped_column(Text)
    meta_non_parallel: Mapped[dict[str, Any]] = mapped_column(default=dict)
    meta_parallel: Mapped[dict[str, Any]] = mapped_column(default=dict)
    args_schema_non_parallel: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    args_schema_parallel: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    args_schema_version: Mapped[str | None] = mapped_column(String(255))
    docs_info: Mapped[str | None] = mapped_column(Text)
    docs_link: Mapped[str | None] = mapped_column(Text)
    input_types: Mapped[dict[str, Any]] = mapped_column(default=dict)
    output_types: Mapped[dict[str, Any]] = mapped_column(default=dict)
    category: Mapped[str | None] = mapped_column(String(255))
    modality: Mapped[str | None] = mapped_column(String(255))
    authors: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(default=list)


class TaskGroupActivity(Base):
    __tablename__ = "taskgroupactivityv2"
    __table_args__ = (
        CheckConstraint(_one_of("status", ACTIVITY_STATUSES), name="status"),
        CheckConstraint(_one_of("action", ACTIVITY_ACTIONS), name="action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    taskgroupv2_id: Mapped[int | None] = mapped_column(
        ForeignKey("taskgroupv2.id", ondelete="SET NULL"), index=True
    )
    timestamp_started: Mapped[datetime] = mapped_column(default=utc_now)
    timestamp_ended: Mapped[datetime | None]
    pkg_name: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    log: Mapped[str | None] = mapped_column(Text)


class Workflow(Base):
    __tablename__ = "workflowv2"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_workflowv2_project_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[int] = mapped_column(ForeignKey("projectv2.id", ondelete="CASCADE"))
    timestamp_created: Mapped[datetime] = mapped_column(default=utc_now)


class WorkflowTask(Base):
    __tablename__ = "workflowtaskv2"
    __table_args__ = (
        CheckConstraint(_one_of("task_type", TASK_TYPES), name="task_type"),
        Index("ix_workflowtaskv2_workflow_order", "workflow_id", "order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflowv2.id", ondelete="CASCADE"))
    order: Mapped[int]
    task_id: Mapped[int] = mapped_column(ForeignKey("taskv2.id", ondelete="RESTRICT"), index=True)
    task_type: Mapped[str] = mapped_column(String(32))
    meta_non_parallel: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    meta_parallel: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    args_non_parallel: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    args_parallel: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    type_filters: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AccountingRecord(Base):
    """One workflow-task execution of a job."""

    __tablename__ = "accountingrecord"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    timestamp: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    num_tasks: Mapped[int]
    num_new_images: Mapped[int]


class AccountingRecordSlurm(Base):
    """The SLURM job ids of one submission to a cluster."""

    __tablename__ = "accountingrecordslurm"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    timestamp: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    slurm_job_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)


JOB_STATUSES = ("submitted", "done", "failed")
HISTORY_STATUSES = ("submitted", "done", "failed")


class Job(Base):
    """A run of a workflow (or part of it) over a dataset (fractal-server's JobV2).

    Project, workflow and dataset may be deleted later: the job keeps their dumps.
    """

    __tablename__ = "jobv2"
    __table_args__ = (
        CheckConstraint(_one_of("status", JOB_STATUSES), name="status"),
        # One submitted job per dataset, enforced by the database (not only checked).
        Index(
            "uq_jobv2_one_submitted_per_dataset",
            "dataset_id",
            unique=True,
            sqlite_where=text("status = 'submitted'"),
            postgresql_where=text("status = 'submitted'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projectv2.id", ondelete="SET NULL"), index=True
    )
    workflow_id: Mapped[int | None] = mapped_column(
        ForeignKey("workflowv2.id", ondelete="SET NULL"), index=True
    )
    dataset_id: Mapped[int | None] = mapped_column(
        ForeignKey("datasetv2.id", ondelete="SET NULL"), index=True
    )
    user_email: Mapped[str] = mapped_column(String(320))
    slurm_account: Mapped[str | None] = mapped_column(String(255))
    project_dump: Mapped[dict[str, Any]] = mapped_column(default=dict)
    workflow_dump: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dataset_dump: Mapped[dict[str, Any]] = mapped_column(default=dict)
    worker_init: Mapped[str | None] = mapped_column(Text)
    working_dir: Mapped[str | None] = mapped_column(Text)
    working_dir_user: Mapped[str | None] = mapped_column(Text)
    first_task_index: Mapped[int]
    last_task_index: Mapped[int]
    attribute_filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    type_filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    start_timestamp: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    end_timestamp: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    log: Mapped[str | None] = mapped_column(Text)
    executor_error_log: Mapped[str | None] = mapped_column(Text)


class HistoryRun(Base):
    """One execution of a workflow task within a job."""

    __tablename__ = "historyrun"
    __table_args__ = (CheckConstraint(_one_of("status", HISTORY_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasetv2.id", ondelete="CASCADE"), index=True
    )
    workflowtask_id: Mapped[int | None] = mapped_column(
        ForeignKey("workflowtaskv2.id", ondelete="SET NULL"), index=True
    )
    job_id: Mapped[int] = mapped_column(ForeignKey("jobv2.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("taskv2.id", ondelete="SET NULL"))
    workflowtask_dump: Mapped[dict[str, Any]] = mapped_column(default=dict)
    task_group_dump: Mapped[dict[str, Any]] = mapped_column(default=dict)
    timestamp_started: Mapped[datetime] = mapped_column(default=utc_now)
    status: Mapped[str] = mapped_column(String(16))
    num_available_images: Mapped[int]


class HistoryUnit(Base):
    """One executable call of a run: a non-parallel call, one image, or a compound part."""

    __tablename__ = "historyunit"
    __table_args__ = (CheckConstraint(_one_of("status", HISTORY_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    history_run_id: Mapped[int] = mapped_column(
        ForeignKey("historyrun.id", ondelete="CASCADE"), index=True
    )
    logfile: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    zarr_urls: Mapped[list[str]] = mapped_column(default=list)


class HistoryImageCache(Base):
    """The latest unit that touched an image for a workflow task: the image's status."""

    __tablename__ = "historyimagecache"

    zarr_url: Mapped[str] = mapped_column(Text, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasetv2.id", ondelete="CASCADE"), primary_key=True
    )
    workflowtask_id: Mapped[int] = mapped_column(
        ForeignKey("workflowtaskv2.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    latest_history_unit_id: Mapped[int] = mapped_column(
        ForeignKey("historyunit.id", ondelete="CASCADE"), index=True
    )


class SlurmBatch(Base):
    """A SLURM job submitted for a workflow job: one batch of its units.

    Recorded before anything else happens to it, so that a server restarted while it
    runs follows it again instead of submitting it twice (fractal-server loses it).
    """

    __tablename__ = "slurm_batch"
    __table_args__ = (UniqueConstraint("job_id", "folder", name="uq_slurm_batch_job_folder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobv2.id", ondelete="CASCADE"), index=True)
    folder: Mapped[str] = mapped_column(String(1024))
    """The batch's folder, relative to the job folder."""
    slurm_job_id: Mapped[int]
    submitted_at: Mapped[datetime] = mapped_column(default=utc_now)
