"""Bodies of /api/v2/project/{project_id}/workflow/ (fractal-server 2.17 wire format)."""

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, model_validator

from qfractal.auth.schemas import NonEmptyStr
from qfractal.ids import DbId
from qfractal.workflows.projects.schemas import ProjectRead
from qfractal.workflows.tasks.schemas import TaskRead, TaskType
from qfractal.workflows.workflow.steps import LoadedWorkflow, Step

RESERVED_ARGUMENTS = frozenset({"zarr_dir", "zarr_url", "zarr_urls", "init_args"})
"""Arguments the runner passes to every task; a workflow task may not set them."""


def _strip_keys(value: dict[str, Any]) -> dict[str, Any]:
    stripped = {key.strip(): item for key, item in value.items()}
    if "" in stripped or len(stripped) != len(value):
        raise ValueError("keys must be non-empty and unique after stripping spaces")
    return stripped


def _no_reserved_keys(value: dict[str, Any]) -> dict[str, Any]:
    reserved = sorted(RESERVED_ARGUMENTS & value.keys())
    if reserved:
        raise ValueError(f"`args` contains the following forbidden keys: {reserved}")
    return value


def _unique(value: list[int]) -> list[int]:
    if len(set(value)) != len(value):
        raise ValueError(f"items must be unique, got {value}")
    return value


Meta = Annotated[dict[str, Any], AfterValidator(_strip_keys)]
"""Runner settings of a workflow task (cpus, memory, ...)."""
Args = Annotated[dict[str, Any], AfterValidator(_strip_keys), AfterValidator(_no_reserved_keys)]
"""Arguments of a workflow task, without the reserved ones."""
TypeFilters = Annotated[dict[str, StrictBool], AfterValidator(_strip_keys)]
"""Image types an input image must have (true) or not have (false); JSON booleans only."""


class WorkflowCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: NonEmptyStr


class WorkflowUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: NonEmptyStr | None = None
    reordered_workflowtask_ids: Annotated[list[DbId], AfterValidator(_unique)] | None = None
    """The IDs of all the workflow's tasks, in their new order."""


class WorkflowTaskSettings(BaseModel):
    """What a user sets on a workflow task; the task's type decides which sides apply."""

    model_config = ConfigDict(extra="forbid")

    meta_non_parallel: Meta | None = None
    meta_parallel: Meta | None = None
    args_non_parallel: Args | None = None
    args_parallel: Args | None = None


class WorkflowTaskCreate(WorkflowTaskSettings):
    type_filters: TypeFilters = Field(default_factory=dict)


class WorkflowTaskUpdate(WorkflowTaskSettings):
    """Set fields replace the stored ones; `{}` or null args clear them."""

    type_filters: TypeFilters | None = None


class WorkflowTaskReplace(BaseModel):
    """New arguments for the replacing task; unset sides keep the current arguments."""

    args_non_parallel: Args | None = None
    args_parallel: Args | None = None


class TaskImport(BaseModel):
    """A task named by package, version (null: the newest) and task name."""

    model_config = ConfigDict(extra="forbid")

    pkg_name: NonEmptyStr
    version: NonEmptyStr | None = None
    name: NonEmptyStr


class TaskImportLegacy(BaseModel):
    """A task named by its `source` (fractal-server < 2.9 exports)."""

    source: NonEmptyStr


class TaskExport(BaseModel):
    pkg_name: NonEmptyStr
    version: NonEmptyStr | None = None
    name: NonEmptyStr


class LegacyFilters(BaseModel):
    """`input_filters` of fractal-server < 2.11 exports; only `types` survive an import."""

    types: TypeFilters = Field(default_factory=dict)
    attributes: dict[str, Any] = Field(default_factory=dict)


class WorkflowTaskImport(WorkflowTaskSettings):
    type_filters: TypeFilters | None = None
    input_filters: LegacyFilters | None = None
    task: TaskImport | TaskImportLegacy

    @model_validator(mode="after")
    def _legacy_filters(self) -> Self:
        if self.input_filters is None:
            return self
        if self.type_filters is not None:
            raise ValueError(
                "Cannot set filters both through the legacy field ('input_filters') and the "
                "new one ('type_filters')."
            )
        if self.input_filters.attributes:
            raise ValueError("Cannot set attribute filters for workflow tasks.")
        self.type_filters = self.input_filters.types
        self.input_filters = None
        return self


class WorkflowImport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: NonEmptyStr
    task_list: list[WorkflowTaskImport]


class WorkflowTaskExport(BaseModel):
    meta_non_parallel: dict[str, Any] | None = None
    meta_parallel: dict[str, Any] | None = None
    args_non_parallel: dict[str, Any] | None = None
    args_parallel: dict[str, Any] | None = None
    type_filters: dict[str, bool] = Field(default_factory=dict)
    task: TaskExport

    @classmethod
    def of(cls, step: Step) -> Self:
        wftask = step.wftask
        return cls(
            meta_non_parallel=wftask.meta_non_parallel,
            meta_parallel=wftask.meta_parallel,
            args_non_parallel=wftask.args_non_parallel,
            args_parallel=wftask.args_parallel,
            type_filters=wftask.type_filters,
            task=TaskExport(
                pkg_name=step.task_group.pkg_name,
                version=step.task_group.version,
                name=step.task.name,
            ),
        )


class WorkflowExport(BaseModel):
    name: str
    task_list: list[WorkflowTaskExport]

    @classmethod
    def of(cls, loaded: LoadedWorkflow) -> Self:
        return cls(
            name=loaded.workflow.name,
            task_list=[WorkflowTaskExport.of(step) for step in loaded.steps],
        )


class WorkflowTaskRead(BaseModel):
    id: int
    workflow_id: int
    order: int | None = None
    meta_non_parallel: dict[str, Any] | None = None
    meta_parallel: dict[str, Any] | None = None
    args_non_parallel: dict[str, Any] | None = None
    args_parallel: dict[str, Any] | None = None
    type_filters: dict[str, bool]
    task_type: TaskType
    task_id: int
    task: TaskRead

    @classmethod
    def of(cls, step: Step) -> Self:
        return cls(**cls.fields_of(step))

    @staticmethod
    def fields_of(step: Step) -> dict[str, Any]:
        wftask = step.wftask
        return {
            "id": wftask.id,
            "workflow_id": wftask.workflow_id,
            "order": wftask.order,
            "meta_non_parallel": wftask.meta_non_parallel,
            "meta_parallel": wftask.meta_parallel,
            "args_non_parallel": wftask.args_non_parallel,
            "args_parallel": wftask.args_parallel,
            "type_filters": wftask.type_filters,
            "task_type": TaskType(wftask.task_type),
            "task_id": wftask.task_id,
            "task": TaskRead.model_validate(step.task),
        }


class WorkflowTaskReadWithWarning(WorkflowTaskRead):
    warning: str | None = None

    @classmethod
    def of(cls, step: Step) -> Self:
        return cls(**cls.fields_of(step), warning=step.warning)


class WorkflowRead(BaseModel):
    id: int
    name: str
    project_id: int
    task_list: list[WorkflowTaskRead]
    project: ProjectRead
    timestamp_created: datetime

    @classmethod
    def of(cls, loaded: LoadedWorkflow) -> Self:
        workflow = loaded.workflow
        return cls.model_validate(
            {
                "id": workflow.id,
                "name": workflow.name,
                "project_id": workflow.project_id,
                "task_list": [cls.step_model().of(step) for step in loaded.steps],
                "project": ProjectRead.model_validate(loaded.project),
                "timestamp_created": workflow.timestamp_created,
            }
        )

    @classmethod
    def step_model(cls) -> type[WorkflowTaskRead]:
        return WorkflowTaskRead


class WorkflowReadWithWarnings(WorkflowRead):
    task_list: list[WorkflowTaskReadWithWarning]

    @classmethod
    def step_model(cls) -> type[WorkflowTaskRead]:
        return WorkflowTaskReadWithWarning


class WorkflowTaskTypeFiltersInfo(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    workflowtask_id: int
    current_type_filters: dict[str, bool]
    input_type_filters: dict[str, bool]
    output_type_filters: dict[str, bool]


class TaskVersionRead(BaseModel):
    task_id: int
    version: str
