"""Bodies of /api/v2/task/ and /api/v2/task-group/ (fractal-server 2.17 wire format)."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from qfractal.auth.schemas import NonEmptyStr
from qfractal.ids import DbId

FORBIDDEN_COMMAND_CHARS = frozenset("`#$&*()\\|[]{};<>?!")
"""Characters refused in task commands: commands are split into words, never run by a shell."""


class TaskType(StrEnum):
    COMPOUND = "compound"
    CONVERTER_COMPOUND = "converter_compound"
    NON_PARALLEL = "non_parallel"
    CONVERTER_NON_PARALLEL = "converter_non_parallel"
    PARALLEL = "parallel"

    @property
    def has_non_parallel(self) -> bool:
        return self is not TaskType.PARALLEL

    @property
    def has_parallel(self) -> bool:
        return self in (TaskType.COMPOUND, TaskType.CONVERTER_COMPOUND, TaskType.PARALLEL)

    @classmethod
    def infer(cls, *, non_parallel: bool, parallel: bool) -> "TaskType":
        """The type implied by which commands (or executables) a task has."""
        if non_parallel and parallel:
            return cls.COMPOUND
        return cls.NON_PARALLEL if non_parallel else cls.PARALLEL

    def check_sides(self, *, non_parallel: bool, parallel: bool, what: str) -> None:
        """Raise ValueError unless exactly the sides this type needs are present."""
        if (non_parallel, parallel) != (self.has_non_parallel, self.has_parallel):
            needs = " and ".join(
                f"{what}_{side}"
                for side, needed in (
                    ("non_parallel", self.has_non_parallel),
                    ("parallel", self.has_parallel),
                )
                if needed
            )
            raise ValueError(f"a task of type {self.value!r} needs exactly {needs}")


class TaskGroupOrigin(StrEnum):
    PYPI = "pypi"
    WHEEL_FILE = "wheel-file"
    PIXI = "pixi"
    OTHER = "other"


class ActivityStatus(StrEnum):
    PENDING = "pending"
    ONGOING = "ongoing"
    FAILED = "failed"
    OK = "OK"


class ActivityAction(StrEnum):
    COLLECT = "collect"
    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"
    DELETE = "delete"


def _check_command(value: str) -> str:
    bad = sorted(set(value) & FORBIDDEN_COMMAND_CHARS)
    if bad:
        raise ValueError(f"must not contain any of the characters {''.join(bad)!r}")
    return value


def _check_type_keys(value: dict[str, bool]) -> dict[str, bool]:
    stripped = {key.strip(): flag for key, flag in value.items()}
    if "" in stripped or len(stripped) != len(value):
        raise ValueError("type names must be non-empty and unique after stripping spaces")
    return stripped


def _check_unique(value: list[str]) -> list[str]:
    if len(set(value)) != len(value):
        raise ValueError(f"items must be unique, got {value}")
    return value


def _check_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"must be an http(s) URL, got {value!r}")
    return value


Command = Annotated[NonEmptyStr, AfterValidator(_check_command)]
TypeFlags = Annotated[dict[str, bool], AfterValidator(_check_type_keys)]
Tags = Annotated[list[NonEmptyStr], AfterValidator(_check_unique)]
Url = Annotated[NonEmptyStr, AfterValidator(_check_url)]


class TaskCreate(BaseModel):
    """A task registered by hand; it gets a task group of its own (origin `other`)."""

    model_config = ConfigDict(extra="forbid")

    name: NonEmptyStr
    command_non_parallel: Command | None = None
    command_parallel: Command | None = None
    meta_non_parallel: dict[str, Any] | None = None
    meta_parallel: dict[str, Any] | None = None
    version: NonEmptyStr | None = None
    args_schema_non_parallel: dict[str, Any] | None = None
    args_schema_parallel: dict[str, Any] | None = None
    args_schema_version: NonEmptyStr | None = None
    docs_info: str | None = None
    docs_link: Url | None = None
    input_types: TypeFlags = Field(default_factory=dict)
    output_types: TypeFlags = Field(default_factory=dict)
    category: NonEmptyStr | None = None
    modality: NonEmptyStr | None = None
    tags: Tags = Field(default_factory=list)
    authors: NonEmptyStr | None = None
    type: TaskType | None = None

    @model_validator(mode="after")
    def _commands_match_type(self) -> Self:
        non_parallel = self.command_non_parallel is not None
        parallel = self.command_parallel is not None
        if not (non_parallel or parallel):
            raise ValueError("a task needs command_non_parallel, command_parallel or both")
        if self.type is None:
            self.type = TaskType.infer(non_parallel=non_parallel, parallel=parallel)
        self.type.check_sides(non_parallel=non_parallel, parallel=parallel, what="command")
        for side, present in (("non_parallel", non_parallel), ("parallel", parallel)):
            if not present and (
                getattr(self, f"meta_{side}") or getattr(self, f"args_schema_{side}") is not None
            ):
                raise ValueError(
                    f"meta_{side} and args_schema_{side} must be unset without command_{side}"
                )
        return self


class TaskUpdate(BaseModel):
    """Fields of a task its owner may change; unset fields are left alone."""

    model_config = ConfigDict(extra="forbid")

    command_parallel: Command | None = None
    command_non_parallel: Command | None = None
    input_types: TypeFlags | None = None
    output_types: TypeFlags | None = None
    category: NonEmptyStr | None = None
    modality: NonEmptyStr | None = None
    authors: NonEmptyStr | None = None
    tags: Tags | None = None

    @model_validator(mode="after")
    def _no_explicit_nulls(self) -> Self:
        for name in ("command_parallel", "command_non_parallel", "input_types", "output_types"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    type: TaskType
    source: str | None = None
    version: str | None = None
    command_non_parallel: str | None = None
    command_parallel: str | None = None
    meta_parallel: dict[str, Any]
    meta_non_parallel: dict[str, Any]
    args_schema_non_parallel: dict[str, Any] | None = None
    args_schema_parallel: dict[str, Any] | None = None
    args_schema_version: str | None = None
    docs_info: str | None = None
    docs_link: str | None = None
    input_types: dict[str, bool]
    output_types: dict[str, bool]
    taskgroupv2_id: int | None = None
    category: str | None = None
    modality: str | None = None
    authors: str | None = None
    tags: list[str]

    def without_args_schemas(self) -> "TaskRead":
        return self.model_copy(
            update={"args_schema_non_parallel": None, "args_schema_parallel": None}
        )


class TaskGroupRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    task_list: list[TaskRead]
    user_id: int
    user_group_id: int | None = None
    origin: TaskGroupOrigin
    pkg_name: str
    version: str | None = None
    python_version: str | None = None
    pixi_version: str | None = None
    path: str | None = None
    venv_path: str | None = None
    archive_path: str | None = None
    pip_extras: str | None = None
    pinned_package_versions_pre: dict[str, str]
    pinned_package_versions_post: dict[str, str]
    venv_size_in_kB: int | None = None
    venv_file_number: int | None = None
    active: bool
    timestamp_created: datetime
    timestamp_last_used: datetime


class TaskGroupUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_group_id: DbId | None = None
    """Share the group with this user group; null makes it private."""


class ActivityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    taskgroupv2_id: int | None = None
    timestamp_started: datetime
    timestamp_ended: datetime | None = None
    pkg_name: str
    version: str
    status: ActivityStatus
    action: ActivityAction
    log: str | None = None
