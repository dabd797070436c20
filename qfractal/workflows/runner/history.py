"""The HistoryUnits of a run and their statuses (fractal-server 2.17, §2.5).

* non-parallel and converter_non_parallel: one unit for the call, its zarr_urls the
  input images (none for a converter);
* parallel: one unit per input image;
* compound and converter_compound: the init unit with every input image (none for a
  converter), then, once init has answered, one unit per parallelization item. Only the
  inputs point at a unit in the image cache (at the init unit). All units of a compound
  task end together: failed if any call failed, else done.

A run is failed if any of its units failed. A job error found after the units ended
(in merging or applying the outputs) fails all the run's units and the run.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from qfractal.workflows.runner.selection import is_converter
from qfractal.workflows.runner.task_output import ParallelizationItem
from qfractal.workflows.runner.unit_files import UnitFiles, non_parallel_files, parallel_files
from qfractal.workflows.tasks.schemas import TaskType

UnitStatus = Literal["submitted", "done", "failed"]
COMPOUND_TYPES = frozenset({TaskType.COMPOUND, TaskType.CONVERTER_COMPOUND})


@dataclass(frozen=True)
class PlannedUnit:
    """A HistoryUnit to insert (as `submitted`) before its call runs."""

    zarr_urls: list[str]
    files: UnitFiles
    in_image_cache: bool
    """Whether the image cache rows of `zarr_urls` (for this workflow task) should point
    at this unit: the images' status is then this unit's."""


def plan_units(
    task_type: TaskType, *, input_zarr_urls: Sequence[str], folder: str, batch_size: int
) -> list[PlannedUnit]:
    """The units of a task's first calls, in call order: the non-parallel call, each
    parallel call, or a compound task's init call (a converter's has no zarr_urls)."""
    if task_type is TaskType.PARALLEL:
        return [
            PlannedUnit(
                zarr_urls=[zarr_url],
                files=parallel_files(folder, index=index, batch_size=batch_size),
                in_image_cache=True,
            )
            for index, zarr_url in enumerate(input_zarr_urls)
        ]
    return [
        PlannedUnit(
            zarr_urls=[] if is_converter(task_type) else list(input_zarr_urls),
            files=non_parallel_files(folder),
            in_image_cache=True,
        )
    ]


def plan_compute_units(
    parallelization_list: Sequence[ParallelizationItem], *, folder: str, batch_size: int
) -> list[PlannedUnit]:
    """The units of a compound task's compute calls, in call order."""
    return [
        PlannedUnit(
            zarr_urls=[item.zarr_url],
            files=parallel_files(folder, index=index, batch_size=batch_size),
            in_image_cache=False,
        )
        for index, item in enumerate(parallelization_list)
    ]


def unit_statuses(task_type: TaskType, failed: Sequence[bool]) -> list[UnitStatus]:
    """The final status of each unit, given whether its call failed (for a compound
    task: the init call, then each compute call)."""
    if task_type in COMPOUND_TYPES:
        status: UnitStatus = "failed" if any(failed) else "done"
        return [status] * len(failed)
    return ["failed" if unit_failed else "done" for unit_failed in failed]


def run_status(statuses: Iterable[UnitStatus]) -> Literal["done", "failed"]:
    """A run is failed if any of its units failed."""
    return "failed" if "failed" in statuses else "done"
