"""Bodies of the /admin/v2/resource and /admin/v2/profile routes (fractal-server 2.17)."""

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from qfractal.auth.schemas import AbsolutePath, NonEmptyStr

PositiveInt = Annotated[int, Field(gt=0)]
Memory = PositiveInt | NonEmptyStr
PythonVersion = Literal["3.9", "3.10", "3.11", "3.12", "3.13", "3.14"]


class SlurmConfigSet(BaseModel):
    """Options of the default or GPU SLURM config."""

    model_config = ConfigDict(extra="forbid")

    partition: NonEmptyStr | None = None
    cpus_per_task: PositiveInt | None = None
    mem: Memory | None = None
    constraint: NonEmptyStr | None = None
    gres: NonEmptyStr | None = None
    exclude: NonEmptyStr | None = None
    nodelist: NonEmptyStr | None = None
    time: NonEmptyStr | None = None
    account: NonEmptyStr | None = None
    extra_lines: list[NonEmptyStr] = Field(default_factory=list)
    gpus: NonEmptyStr | None = None


class BatchingConfigSet(BaseModel):
    """How several task units are packed into one SLURM job."""

    model_config = ConfigDict(extra="forbid")

    target_num_jobs: PositiveInt
    max_num_jobs: PositiveInt
    target_cpus_per_job: PositiveInt
    max_cpus_per_job: PositiveInt
    target_mem_per_job: Memory
    max_mem_per_job: Memory


class JobRunnerConfigLocal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parallel_tasks_per_job: PositiveInt | None = None
    """At most this many task units of one job run at once; None means no limit."""


class JobRunnerConfigSLURM(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_slurm_config: SlurmConfigSet
    gpu_slurm_config: SlurmConfigSet | None = None
    batching_config: BatchingConfigSet
    user_local_exports: dict[str, NonEmptyStr] = Field(default_factory=dict)


class TasksPythonSettings(BaseModel):
    """Base interpreters for task environments, by Python version."""

    default_version: PythonVersion
    versions: dict[PythonVersion, AbsolutePath]
    pip_cache_dir: AbsolutePath | None = None

    @model_validator(mode="after")
    def _default_is_listed(self) -> Self:
        if self.default_version not in self.versions:
            raise ValueError(f"default_version {self.default_version!r} is not a key of versions")
        return self


class _ResourceBase(BaseModel):
    name: NonEmptyStr
    tasks_python_config: TasksPythonSettings
    tasks_pixi_config: dict[NonEmptyStr, Any] = Field(default_factory=dict)
    tasks_local_dir: AbsolutePath
    jobs_local_dir: AbsolutePath
    jobs_poll_interval: PositiveInt = 5


class ResourceLocal(_ResourceBase):
    type: Literal["local"]
    jobs_runner_config: JobRunnerConfigLocal = Field(default_factory=JobRunnerConfigLocal)
    jobs_slurm_python_worker: None = None
    host: None = None


class ResourceSlurmSudo(_ResourceBase):
    type: Literal["slurm_sudo"]
    jobs_runner_config: JobRunnerConfigSLURM
    jobs_slurm_python_worker: AbsolutePath
    host: None = None


class ResourceSlurmSSH(_ResourceBase):
    type: Literal["slurm_ssh"]
    jobs_runner_config: JobRunnerConfigSLURM
    jobs_slurm_python_worker: AbsolutePath
    host: NonEmptyStr


ResourceCreate = Annotated[
    ResourceLocal | ResourceSlurmSudo | ResourceSlurmSSH, Field(discriminator="type")
]


class ResourceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    type: str
    name: str
    timestamp_created: datetime
    host: str | None
    jobs_local_dir: str
    jobs_runner_config: dict[str, Any]
    jobs_slurm_python_worker: str | None
    jobs_poll_interval: int
    tasks_local_dir: str
    tasks_python_config: dict[str, Any]
    tasks_pixi_config: dict[str, Any]


class ProfileLocal(BaseModel):
    name: NonEmptyStr
    resource_type: Literal["local"]
    username: None = None
    ssh_key_path: None = None
    jobs_remote_dir: None = None
    tasks_remote_dir: None = None


class ProfileSlurmSudo(BaseModel):
    name: NonEmptyStr
    resource_type: Literal["slurm_sudo"]
    username: NonEmptyStr
    ssh_key_path: None = None
    jobs_remote_dir: None = None
    tasks_remote_dir: None = None


class ProfileSlurmSSH(BaseModel):
    name: NonEmptyStr
    resource_type: Literal["slurm_ssh"]
    username: NonEmptyStr
    ssh_key_path: AbsolutePath
    jobs_remote_dir: AbsolutePath
    tasks_remote_dir: AbsolutePath


ProfileCreate = Annotated[
    ProfileLocal | ProfileSlurmSudo | ProfileSlurmSSH, Field(discriminator="resource_type")
]


class ProfileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    resource_id: int
    resource_type: str
    username: str | None
    ssh_key_path: str | None
    jobs_remote_dir: str | None
    tasks_remote_dir: str | None
