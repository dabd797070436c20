"""How image types flow through a workflow: plain functions on plain data.

Each workflow task selects images with `merge(task.input_types, wftask.type_filters)` on top
of the types the previous tasks are known to have set; after it ran, its `output_types`
hold for the images that go on. The job runner applies the same rules to real images.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

TypeFilters = Mapping[str, bool]


class TypeFilterConflict(ValueError):
    """A workflow task's type filters contradict its task's input types."""


def merge_type_filters(
    *, task_input_types: TypeFilters, wftask_type_filters: TypeFilters
) -> dict[str, bool]:
    """The filters a workflow task selects images with: the task's input types plus the
    workflow task's own filters; a key both set to different values is a conflict."""
    clashes = sorted(
        key
        for key, value in wftask_type_filters.items()
        if key in task_input_types and task_input_types[key] != value
    )
    if clashes:
        raise TypeFilterConflict(
            f"Incompatible type filters: {clashes} are {dict(task_input_types)} in the task's "
            f"input types but {dict(wftask_type_filters)} in the workflow task's type filters."
        )
    return {**task_input_types, **wftask_type_filters}


@dataclass(frozen=True)
class FlowStep:
    """What the flow needs to know about one workflow task."""

    workflowtask_id: int
    input_types: TypeFilters = field(default_factory=dict)
    type_filters: TypeFilters = field(default_factory=dict)
    output_types: TypeFilters = field(default_factory=dict)


@dataclass(frozen=True)
class FlowItem:
    """The type filters around one workflow task (fractal's WorkflowTaskTypeFiltersInfo)."""

    workflowtask_id: int
    current_type_filters: dict[str, bool]
    """Types known to hold before the task runs (set by the tasks before it)."""
    input_type_filters: dict[str, bool]
    """Types the task selects its input images by."""
    output_type_filters: dict[str, bool]
    """Types the task sets on its output images."""


def type_filters_flow(
    steps: Sequence[FlowStep], *, start: TypeFilters | None = None
) -> list[FlowItem]:
    """The type filters before, into and out of each step, in order.

    `current` starts as `start` (a job's type filters; empty for the workflow view) and is
    updated with each task's output types. Raises TypeFilterConflict for a step whose
    filters contradict its task's input types.
    """
    current = dict(start or {})
    flow = []
    for step in steps:
        selected = merge_type_filters(
            task_input_types=step.input_types, wftask_type_filters=step.type_filters
        )
        flow.append(
            FlowItem(
                workflowtask_id=step.workflowtask_id,
                current_type_filters=dict(current),
                input_type_filters=selected,
                output_type_filters=dict(step.output_types),
            )
        )
        current.update(step.output_types)
    return flow
