"""The HistoryUnits a run has, and their statuses."""

import pytest

from qfractal.workflows.runner.history import (
    PlannedUnit,
    plan_compute_units,
    plan_units,
    run_status,
    unit_statuses,
)
from qfractal.workflows.runner.task_output import ParallelizationItem
from qfractal.workflows.runner.unit_files import non_parallel_files, parallel_files
from qfractal.workflows.tasks.schemas import TaskType

INPUTS = ["/z/a", "/z/b", "/z/c"]
FOLDER = "2_task"
INIT = non_parallel_files(FOLDER)

PLANS = {
    "non_parallel: one unit with every input": (
        TaskType.NON_PARALLEL,
        [PlannedUnit(zarr_urls=INPUTS, files=INIT, in_image_cache=True)],
    ),
    "converter_non_parallel: one unit without images": (
        TaskType.CONVERTER_NON_PARALLEL,
        [PlannedUnit(zarr_urls=[], files=INIT, in_image_cache=True)],
    ),
    "parallel: one unit per image, batched files": (
        TaskType.PARALLEL,
        [
            PlannedUnit(
                zarr_urls=[url],
                files=parallel_files(FOLDER, index=index, batch_size=2),
                in_image_cache=True,
            )
            for index, url in enumerate(INPUTS)
        ],
    ),
    "compound: the init unit with every input": (
        TaskType.COMPOUND,
        [PlannedUnit(zarr_urls=INPUTS, files=INIT, in_image_cache=True)],
    ),
    "converter_compound: the init unit without images": (
        TaskType.CONVERTER_COMPOUND,
        [PlannedUnit(zarr_urls=[], files=INIT, in_image_cache=True)],
    ),
}


@pytest.mark.parametrize(("task_type", "expected"), PLANS.values(), ids=PLANS.keys())
def test_plan_units(task_type, expected):
    inputs = [] if "converter" in task_type else INPUTS
    assert plan_units(task_type, input_zarr_urls=inputs, folder=FOLDER, batch_size=2) == expected


def test_a_converter_unit_never_lists_images():
    (unit,) = plan_units(
        TaskType.CONVERTER_COMPOUND, input_zarr_urls=INPUTS, folder=FOLDER, batch_size=1
    )
    assert unit.zarr_urls == []


def test_plan_compute_units():
    items = [ParallelizationItem(zarr_url="/z/new1"), ParallelizationItem(zarr_url="/z/a")]
    assert plan_compute_units(items, folder=FOLDER, batch_size=1) == [
        PlannedUnit(
            zarr_urls=["/z/new1"],
            files=parallel_files(FOLDER, index=0, batch_size=1),
            in_image_cache=False,
        ),
        PlannedUnit(
            zarr_urls=["/z/a"],
            files=parallel_files(FOLDER, index=1, batch_size=1),
            in_image_cache=False,
        ),
    ]


STATUSES = {
    "non_parallel done": (TaskType.NON_PARALLEL, [False], ["done"], "done"),
    "non_parallel failed": (TaskType.NON_PARALLEL, [True], ["failed"], "failed"),
    "converter failed": (TaskType.CONVERTER_NON_PARALLEL, [True], ["failed"], "failed"),
    "parallel: each unit its own": (
        TaskType.PARALLEL,
        [False, True, False],
        ["done", "failed", "done"],
        "failed",
    ),
    "parallel all done": (TaskType.PARALLEL, [False, False], ["done", "done"], "done"),
    "compound all done": (TaskType.COMPOUND, [False, False, False], ["done"] * 3, "done"),
    "compound: one compute failed, all fail": (
        TaskType.COMPOUND,
        [False, False, True],
        ["failed"] * 3,
        "failed",
    ),
    "compound: init failed, no compute unit": (TaskType.COMPOUND, [True], ["failed"], "failed"),
    "compound: init asked for nothing": (TaskType.COMPOUND, [False], ["done"], "done"),
    "converter_compound: one compute failed": (
        TaskType.CONVERTER_COMPOUND,
        [False, True],
        ["failed", "failed"],
        "failed",
    ),
}


@pytest.mark.parametrize(
    ("task_type", "failed", "statuses", "run"), STATUSES.values(), ids=STATUSES.keys()
)
def test_unit_and_run_statuses(task_type, failed, statuses, run):
    assert unit_statuses(task_type, failed) == statuses
    assert run_status(statuses) == run


def test_a_run_without_units_is_done():
    assert run_status([]) == "done"
