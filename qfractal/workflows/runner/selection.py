"""Which images a workflow task gets (fractal-server 2.17, §2.1 and §2.4 step 3).

* Converters get no images.
* Any other task gets the images whose types match the current type filters (the job's
  type filters, updated with each earlier task's output types) merged with its task's
  input types and its own type filters, and whose attributes match the job's attribute
  filters: these apply at every task.
* Re-running failed or unset images: if the job's attribute filters hold the key
  `__wftask_dataset_image_status__`, its values are image statuses, and the first task
  only gets the images whose status for that workflow task is one of them. The key is
  not an attribute: it is taken out of the filters that apply at every task (and out of
  what is saved). fractal-server instead writes the statuses into the images as an
  attribute for the rest of the job, which filters later tasks by a stale status and
  drops new images that have no origin.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from qfractal.workflows.runner.errors import JobExecutionError
from qfractal.workflows.tasks.schemas import TaskType
from qfractal.workflows.workflow.type_filters import TypeFilterConflict, merge_type_filters

IMAGE_STATUS_KEY = "__wftask_dataset_image_status__"
ImageStatus = Literal["done", "submitted", "failed", "unset"]
CONVERTER_TYPES = frozenset({TaskType.CONVERTER_NON_PARALLEL, TaskType.CONVERTER_COMPOUND})


def is_converter(task_type: TaskType | str) -> bool:
    """Whether the task creates images from nothing (it gets no input images)."""
    return task_type in CONVERTER_TYPES


@dataclass(frozen=True)
class JobImageFilters:
    """A job's attribute filters, split into the two rules they make."""

    attribute_filters: dict[str, list[Any]]
    """Applied at every task; the status key is not among them."""
    wanted_statuses: frozenset[str] | None = None
    """Statuses the first task's images must have; `None`: no status filter."""


def split_job_attribute_filters(
    attribute_filters: Mapping[str, Sequence[Any]],
) -> JobImageFilters:
    """The job's attribute filters without the status key, and the statuses it asks for."""
    plain = {key: list(values) for key, values in attribute_filters.items()}
    statuses = plain.pop(IMAGE_STATUS_KEY, None)
    return JobImageFilters(
        attribute_filters=plain,
        wanted_statuses=None if statuses is None else frozenset(statuses),
    )


def input_type_filters(
    *,
    current: Mapping[str, bool],
    task_input_types: Mapping[str, bool],
    wftask_type_filters: Mapping[str, bool],
) -> dict[str, bool]:
    """The type filters a non-converter task selects images with.

    Raises JobExecutionError if the workflow task's filters contradict its task's input
    types (the job's submission refuses such a workflow; this catches the rest).
    """
    try:
        own = merge_type_filters(
            task_input_types=task_input_types, wftask_type_filters=wftask_type_filters
        )
    except TypeFilterConflict as conflict:
        raise JobExecutionError(str(conflict)) from conflict
    return {**current, **own}


@dataclass(frozen=True)
class Selection:
    """The images a workflow task runs on."""

    zarr_urls: list[str]
    """In the order the images were given."""
    num_available_images: int
    """How many images match the type filters (before attribute and status filters)."""


def check_has_images(selection: Selection, *, task_name: str) -> None:
    """Raise JobExecutionError if a non-converter task has no image to run on."""
    if not selection.zarr_urls:
        raise JobExecutionError(
            f'Task "{task_name}" has no input image: none of the dataset\'s images '
            f"matches its filters ({selection.num_available_images} match its type filters)."
        )
