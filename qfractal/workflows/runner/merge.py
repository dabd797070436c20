"""One output from the outputs of a task's successful units (fractal-server 2.17, §2.4 step 5).

Outputs are concatenated. An update returned identically by two units counts once, and
so does a removal; a zarr_url updated differently by two units, or both updated and
removed, is a job error (fractal-server fails the run's units and the job on it too).
"""

from collections.abc import Sequence

from qfractal.workflows.runner.errors import JobExecutionError
from qfractal.workflows.runner.task_output import (
    ImageUpdate,
    ParallelizationItem,
    TaskOutput,
    duplicate_zarr_urls,
    json_key,
)


def merge_outputs(outputs: Sequence[TaskOutput]) -> TaskOutput | None:
    """The outputs of a task's successful units as one, in unit order; `None` if there
    is none (every unit failed): then the image list stays as it is.

    Raises JobExecutionError if the outputs disagree about a zarr_url.
    """
    if not outputs:
        return None
    updates: dict[str, ImageUpdate] = {}
    removals: dict[str, None] = {}
    for output in outputs:
        for update in output.image_list_updates:
            updates.setdefault(json_key(update.model_dump()), update)
        removals.update(dict.fromkeys(output.image_list_removals))
    duplicates = duplicate_zarr_urls(updates.values(), removals)
    if duplicates:
        raise JobExecutionError(
            f"The task's outputs ({len(updates)} image updates and {len(removals)} "
            "removals) name these zarr_urls more than once, differently:\n" + "\n".join(duplicates)
        )
    return TaskOutput(image_list_updates=list(updates.values()), image_list_removals=[*removals])


def compound_outputs(
    parallelization_list: Sequence[ParallelizationItem], compute_outputs: Sequence[TaskOutput]
) -> list[TaskOutput]:
    """The outputs to merge for a compound task whose init call succeeded: those of its
    successful compute calls, or one empty output if init asked for no compute call (so
    every input image counts as updated)."""
    if not parallelization_list:
        return [TaskOutput()]
    return list(compute_outputs)
