"""Compute resources (where jobs and task environments live) and user profiles on them."""

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qfractal.db.base import Base
from qfractal.db.types import utc_now

RESOURCE_TYPES = ("local", "slurm_sudo", "slurm_ssh")
_TYPE_LIST = ", ".join(f"'{t}'" for t in RESOURCE_TYPES)


class Resource(Base):
    __tablename__ = "resource"
    __table_args__ = (
        CheckConstraint(f"type IN ({_TYPE_LIST})", name="type"),
        CheckConstraint(
            "(type = 'slurm_ssh' AND host IS NOT NULL) OR (type <> 'slurm_ssh' AND host IS NULL)",
            name="host_iff_ssh",
        ),
        CheckConstraint(
            "(type = 'local' AND jobs_slurm_python_worker IS NULL)"
            " OR (type <> 'local' AND jobs_slurm_python_worker IS NOT NULL)",
            name="slurm_worker_iff_slurm",
        ),
        CheckConstraint("jobs_poll_interval > 0", name="poll_interval_positive"),
        # Target of the profile's (resource_id, resource_type) key.
        UniqueConstraint("id", "type", name="uq_resource_id_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255), unique=True)
    timestamp_created: Mapped[datetime] = mapped_column(default=utc_now)
    host: Mapped[str | None] = mapped_column(String(255))
    jobs_local_dir: Mapped[str] = mapped_column(String(4096))
    jobs_runner_config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    jobs_slurm_python_worker: Mapped[str | None] = mapped_column(String(4096))
    jobs_poll_interval: Mapped[int] = mapped_column(default=5)
    tasks_local_dir: Mapped[str] = mapped_column(String(4096))
    tasks_python_config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tasks_pixi_config: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Profile(Base):
    __tablename__ = "profile"
    __table_args__ = (
        CheckConstraint(f"resource_type IN ({_TYPE_LIST})", name="resource_type"),
        CheckConstraint(
            "resource_type = 'local' OR username IS NOT NULL", name="slurm_needs_username"
        ),
        CheckConstraint(
            "resource_type <> 'slurm_ssh' OR (ssh_key_path IS NOT NULL"
            " AND jobs_remote_dir IS NOT NULL AND tasks_remote_dir IS NOT NULL)",
            name="ssh_needs_key_and_dirs",
        ),
        # A profile's type is its resource's type, enforced by the database.
        ForeignKeyConstraint(
            ["resource_id", "resource_type"],
            ["resource.id", "resource.type"],
            name="fk_profile_resource_id_type",
            ondelete="RESTRICT",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(index=True)
    resource_type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255), unique=True)
    username: Mapped[str | None] = mapped_column(String(255))
    ssh_key_path: Mapped[str | None] = mapped_column(String(4096))
    jobs_remote_dir: Mapped[str | None] = mapped_column(String(4096))
    tasks_remote_dir: Mapped[str | None] = mapped_column(String(4096))


ENGINE_JOB_STATUSES = ("queued", "running", "done", "failed")


class EngineJob(Base):
    """A unit of background work handed to the job engine (embedded or Celery).

    The engine knows only `kind` (which registered handler runs it) and `ref_id` (the id
    the handler understands, e.g. a workflow job). A running job carries a lease: the
    worker that claimed it and its last heartbeat; a stale lease means the worker died.
    """

    __tablename__ = "engine_job"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in ENGINE_JOB_STATUSES) + ")", name="status"
        ),
        UniqueConstraint("kind", "ref_id", name="uq_engine_job_kind_ref_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    ref_id: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    worker_id: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime | None]
    stop_requested: Mapped[bool] = mapped_column(default=False)
    queued_at: Mapped[datetime] = mapped_column(default=utc_now)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
