"""`__FRACTAL_MANIFEST__.json`: the list of tasks a package provides (manifest version 2)."""

import json
import shlex
from pathlib import Path, PurePosixPath
from typing import Any, Literal, Self

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from qfractal.workflows.models import Task
from qfractal.workflows.tasks.schemas import TaskType

MANIFEST_FILENAME = "__FRACTAL_MANIFEST__.json"


class ManifestError(Exception):
    """The manifest is missing, unreadable or breaks a rule (the message says which)."""


def _check_executable(value: str | None) -> str | None:
    if value is None:
        return value
    path = PurePosixPath(value)
    if not value.strip() or path.is_absolute() or ".." in path.parts:
        raise ValueError(f"must be a path inside the package, got {value!r}")
    if any(char.isspace() for char in value) or shlex.quote(value) != value:
        raise ValueError(f"must not contain spaces or shell characters, got {value!r}")
    return value


class TaskManifest(BaseModel):
    """One task of a manifest (fractal-server's TaskManifestV2)."""

    name: str = Field(min_length=1)
    executable_non_parallel: str | None = None
    executable_parallel: str | None = None
    input_types: dict[str, bool] = Field(default_factory=dict)
    output_types: dict[str, bool] = Field(default_factory=dict)
    meta_non_parallel: dict[str, Any] = Field(default_factory=dict)
    meta_parallel: dict[str, Any] = Field(default_factory=dict)
    args_schema_non_parallel: dict[str, Any] | None = None
    args_schema_parallel: dict[str, Any] | None = None
    docs_info: str | None = None
    docs_link: str | None = Field(default=None, min_length=1)
    category: str | None = None
    modality: str | None = None
    tags: list[str] = Field(default_factory=list)
    type: TaskType | None = None

    _check_executables = field_validator("executable_non_parallel", "executable_parallel")(
        _check_executable
    )

    @model_validator(mode="after")
    def _sides_are_consistent(self) -> Self:
        non_parallel = self.executable_non_parallel is not None
        parallel = self.executable_parallel is not None
        if not (non_parallel or parallel):
            raise ValueError(
                f"task {self.name!r} needs executable_non_parallel, executable_parallel or both"
            )
        for side, present in (("non_parallel", non_parallel), ("parallel", parallel)):
            if not present and (
                getattr(self, f"meta_{side}") or getattr(self, f"args_schema_{side}") is not None
            ):
                raise ValueError(
                    f"task {self.name!r} has no executable_{side}, so meta_{side} must be "
                    f"{{}} and args_schema_{side} null"
                )
        if self.type is not None:
            try:
                self.type.check_sides(
                    non_parallel=non_parallel, parallel=parallel, what="executable"
                )
            except ValueError as exc:
                raise ValueError(f"task {self.name!r}: {exc}") from exc
        return self

    @property
    def task_type(self) -> TaskType:
        return self.type or TaskType.infer(
            non_parallel=self.executable_non_parallel is not None,
            parallel=self.executable_parallel is not None,
        )

    def executables(self) -> list[str]:
        return [e for e in (self.executable_non_parallel, self.executable_parallel) if e]


class Manifest(BaseModel):
    """A whole manifest (fractal-server's ManifestV2)."""

    manifest_version: Literal["2"]
    task_list: list[TaskManifest]
    has_args_schemas: bool = False
    args_schema_version: str | None = None
    authors: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _unique_names_and_schemas(self) -> Self:
        names = [task.name for task in self.task_list]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"task names must be unique, repeated: {duplicates}")
        if self.has_args_schemas:
            for task in self.task_list:
                for side in ("non_parallel", "parallel"):
                    if (
                        getattr(task, f"executable_{side}") is not None
                        and getattr(task, f"args_schema_{side}") is None
                    ):
                        raise ValueError(
                            f"has_args_schemas is true but task {task.name!r} has no "
                            f"args_schema_{side}"
                        )
        return self


def parse_manifest(data: Any) -> Manifest:
    """Validate manifest data; ManifestError lists every broken rule."""
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'manifest'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ManifestError(f"Invalid manifest: {problems}") from exc


def read_manifest(path: Path) -> Manifest:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ManifestError(f"Cannot read {path}: {exc}") from exc
    return parse_manifest(data)


def check_executables(manifest: Manifest, package_dir: Path) -> None:
    """Every executable named by the manifest must be a file inside `package_dir`."""
    missing = [
        f"{task.name}: {executable}"
        for task in manifest.task_list
        for executable in task.executables()
        if not (package_dir / executable).is_file()
    ]
    if missing:
        raise ManifestError(f"Executables missing in {package_dir}: {', '.join(missing)}")


def build_tasks(
    manifest: Manifest, *, python: str, package_dir: str, version: str | None, task_group_id: int
) -> list[Task]:
    """Task rows for the manifest; commands are `{python} {package_dir}/{executable}`."""

    def command(executable: str | None) -> str | None:
        if executable is None:
            return None
        return f"{shlex.quote(python)} {shlex.quote(f'{package_dir}/{executable}')}"

    return [
        Task(
            taskgroupv2_id=task_group_id,
            name=entry.name,
            type=entry.task_type.value,
            version=version,
            command_non_parallel=command(entry.executable_non_parallel),
            command_parallel=command(entry.executable_parallel),
            meta_non_parallel=entry.meta_non_parallel,
            meta_parallel=entry.meta_parallel,
            args_schema_non_parallel=entry.args_schema_non_parallel,
            args_schema_parallel=entry.args_schema_parallel,
            args_schema_version=manifest.args_schema_version,
            docs_info=entry.docs_info,
            docs_link=entry.docs_link,
            input_types=entry.input_types,
            output_types=entry.output_types,
            category=entry.category,
            modality=entry.modality,
            authors=manifest.authors,
            tags=entry.tags,
        )
        for entry in manifest.task_list
    ]
