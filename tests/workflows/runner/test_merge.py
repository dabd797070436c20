"""Merging the outputs of a task's successful units."""

import pytest

from qfractal.workflows.runner.errors import JobExecutionError
from qfractal.workflows.runner.merge import compound_outputs, merge_outputs
from qfractal.workflows.runner.task_output import ParallelizationItem, TaskOutput


def out(updates=(), removals=()) -> TaskOutput:
    return TaskOutput.model_validate(
        {"image_list_updates": list(updates), "image_list_removals": list(removals)}
    )


def urls(output: TaskOutput) -> tuple[list[str], list[str]]:
    return [u.zarr_url for u in output.image_list_updates], output.image_list_removals


MERGES = {
    "one empty output": ([out()], ([], [])),
    "concatenated in unit order": (
        [out([{"zarr_url": "/z/b"}]), out([{"zarr_url": "/z/a"}], ["/z/r"])],
        (["/z/b", "/z/a"], ["/z/r"]),
    ),
    "an identical update from two units counts once": (
        [
            out([{"zarr_url": "/z/a", "types": {"t": True}}]),
            out([{"zarr_url": "/z/a", "types": {"t": True}}, {"zarr_url": "/z/b"}]),
        ],
        (["/z/a", "/z/b"], []),
    ),
    "a removal from two units counts once": (
        [out(removals=["/z/r"]), out(removals=["/z/s", "/z/r"])],
        ([], ["/z/r", "/z/s"]),
    ),
}


@pytest.mark.parametrize(("outputs", "expected"), MERGES.values(), ids=MERGES.keys())
def test_merge_outputs(outputs, expected):
    merged = merge_outputs(outputs)
    assert merged is not None
    assert urls(merged) == expected


def test_no_successful_unit_gives_no_output():
    assert merge_outputs([]) is None


CLASHES = {
    "same image updated differently": [
        out([{"zarr_url": "/z/a", "attributes": {"x": 1}}]),
        out([{"zarr_url": "/z/a", "attributes": {"x": 2}}]),
    ],
    "true and 1 are different values": [
        out([{"zarr_url": "/z/a", "attributes": {"x": 1}}]),
        out([{"zarr_url": "/z/a", "attributes": {"x": True}}]),
    ],
    "same image updated by one unit and removed by another": [
        out([{"zarr_url": "/z/a"}]),
        out(removals=["/z/a"]),
    ],
}


@pytest.mark.parametrize("outputs", CLASHES.values(), ids=CLASHES.keys())
def test_outputs_that_disagree_are_a_job_error(outputs):
    with pytest.raises(JobExecutionError, match="more than once") as caught:
        merge_outputs(outputs)
    assert caught.value.message.endswith("\n/z/a")


ITEM = ParallelizationItem(zarr_url="/z/a")
COMPOUND = {
    "no compute call: one empty output (all inputs updated)": ([], [], [TaskOutput()]),
    "compute outputs": ([ITEM], [out([{"zarr_url": "/z/a"}])], [out([{"zarr_url": "/z/a"}])]),
    "every compute call failed: nothing to merge": ([ITEM], [], []),
}


@pytest.mark.parametrize(("items", "computed", "expected"), COMPOUND.values(), ids=COMPOUND.keys())
def test_compound_outputs(items, computed, expected):
    assert compound_outputs(items, computed) == expected
