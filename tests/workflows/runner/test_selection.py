"""Which images a workflow task gets: converters, filters at every task, type-filter
conflicts and the status-based re-run."""

from typing import Any

import pytest

from qfractal.workflows.images.schemas import SingleImage
from qfractal.workflows.models import Image
from qfractal.workflows.runner.errors import JobExecutionError
from qfractal.workflows.runner.selection import (
    IMAGE_STATUS_KEY,
    JobImageFilters,
    Selection,
    StatusFilter,
    check_has_images,
    input_type_filters,
    is_converter,
    select_images,
    split_job_attribute_filters,
)
from qfractal.workflows.tasks.schemas import TaskType


def img(name: str, attributes: dict[str, Any] | None = None, **types: bool) -> SingleImage:
    return SingleImage(zarr_url=f"/z/{name}", attributes=attributes or {}, types=types)


IMAGES = [
    img("a", {"well": "A01", "n": 1}, **{"3D": True}),
    img("b", {"well": "A01", "n": 2}, **{"3D": False}),
    img("c", {"well": "B02"}, **{"3D": True, "registered": True}),
    img("d", {}),
]


@pytest.mark.parametrize(
    ("task_type", "converter"),
    [
        (TaskType.CONVERTER_NON_PARALLEL, True),
        (TaskType.CONVERTER_COMPOUND, True),
        ("converter_compound", True),
        (TaskType.NON_PARALLEL, False),
        (TaskType.PARALLEL, False),
        (TaskType.COMPOUND, False),
    ],
)
def test_is_converter(task_type, converter):
    assert is_converter(task_type) is converter


SPLITS = {
    "no filters": ({}, JobImageFilters(attribute_filters={})),
    "attributes only": (
        {"well": ["A01"]},
        JobImageFilters(attribute_filters={"well": ["A01"]}),
    ),
    "status key taken out": (
        {"well": ["A01"], IMAGE_STATUS_KEY: ["failed", "unset"]},
        JobImageFilters(
            attribute_filters={"well": ["A01"]}, wanted_statuses=frozenset({"failed", "unset"})
        ),
    ),
}


@pytest.mark.parametrize(("filters", "expected"), SPLITS.values(), ids=SPLITS.keys())
def test_split_job_attribute_filters(filters, expected):
    before = {key: list(values) for key, values in filters.items()}
    assert split_job_attribute_filters(filters) == expected
    assert filters == before  # the job's own filters are left alone


TYPE_FILTERS = {
    "nothing": ({}, {}, {}, {}),
    "current only": ({"3D": True}, {}, {}, {"3D": True}),
    "task input types added": (
        {"3D": True},
        {"registered": True},
        {},
        {"3D": True, "registered": True},
    ),
    "task input types override current": ({"3D": True}, {"3D": False}, {}, {"3D": False}),
    "workflow-task filters override current": ({"3D": True}, {}, {"3D": False}, {"3D": False}),
    "same value in input types and workflow-task filters": (
        {},
        {"a": True},
        {"a": True},
        {"a": True},
    ),
}


@pytest.mark.parametrize(
    ("current", "input_types", "wftask_filters", "expected"),
    TYPE_FILTERS.values(),
    ids=TYPE_FILTERS.keys(),
)
def test_input_type_filters(current, input_types, wftask_filters, expected):
    assert (
        input_type_filters(
            current=current, task_input_types=input_types, wftask_type_filters=wftask_filters
        )
        == expected
    )


def test_type_filter_conflict_is_a_job_error():
    with pytest.raises(JobExecutionError, match="Incompatible type filters"):
        input_type_filters(
            current={}, task_input_types={"3D": True}, wftask_type_filters={"3D": False}
        )


SELECTIONS = {
    "no filters: all, in order": ({}, {}, None, ["a", "b", "c", "d"], 4),
    "type true": ({"3D": True}, {}, None, ["a", "c"], 2),
    "type false matches a missing type": ({"3D": False}, {}, None, ["b", "d"], 2),
    "attribute filter; a missing attribute never matches": (
        {},
        {"well": ["A01"]},
        None,
        ["a", "b"],
        4,
    ),
    "attribute values are alternatives": ({}, {"well": ["A01", "B02"]}, None, ["a", "b", "c"], 4),
    "number attributes by value, booleans are not numbers": (
        {},
        {"n": [1.0, True]},
        None,
        ["a"],
        4,
    ),
    "types and attributes together; available counts types only": (
        {"3D": True},
        {"well": ["B02"]},
        None,
        ["c"],
        2,
    ),
    "status filter: a missing status is unset": (
        {},
        {},
        StatusFilter(wanted={"failed", "unset"}, statuses={"/z/a": "done", "/z/b": "failed"}),
        ["b", "c", "d"],
        4,
    ),
    "status filter with the other filters": (
        {"3D": True},
        {"well": ["A01", "B02"]},
        StatusFilter(wanted={"done"}, statuses={"/z/a": "submitted", "/z/c": "done"}),
        ["c"],
        2,
    ),
    "nothing matches": ({"registered": True}, {"well": ["A01"]}, None, [], 1),
}


@pytest.mark.parametrize(
    ("types", "attributes", "status_filter", "names", "available"),
    SELECTIONS.values(),
    ids=SELECTIONS.keys(),
)
def test_select_images(types, attributes, status_filter, names, available):
    selection = select_images(
        IMAGES, type_filters=types, attribute_filters=attributes, status_filter=status_filter
    )
    assert selection == Selection(
        zarr_urls=[f"/z/{name}" for name in names], num_available_images=available
    )


def test_rows_work_as_images():
    rows = [Image(zarr_url="/z/a", origin=None, attributes={"k": 1}, types={"3D": True})]
    selection = select_images(rows, type_filters={"3D": True}, attribute_filters={"k": [1]})
    assert selection.zarr_urls == ["/z/a"]


def test_no_image_for_a_task_is_a_job_error():
    check_has_images(Selection(zarr_urls=["/z/a"], num_available_images=1), task_name="t")
    with pytest.raises(JobExecutionError, match='Task "MIP" has no input image') as caught:
        check_has_images(Selection(zarr_urls=[], num_available_images=3), task_name="MIP")
    assert "3 match its type filters" in caught.value.message


def job_selections(
    steps: list[tuple[TaskType, dict[str, bool]]],
    *,
    job_attribute_filters: dict[str, list[Any]],
    statuses: dict[str, str],
) -> list[list[str]]:
    """What each task of a job gets, the images unchanged between tasks (the runner's
    loop, without running anything)."""
    job = split_job_attribute_filters(job_attribute_filters)
    current: dict[str, bool] = {}
    selected = []
    for index, (task_type, output_types) in enumerate(steps):
        if is_converter(task_type):
            selected.append([])
        else:
            status_filter = None
            if index == 0 and job.wanted_statuses is not None:
                status_filter = StatusFilter(wanted=job.wanted_statuses, statuses=statuses)
            selection = select_images(
                IMAGES,
                type_filters=input_type_filters(
                    current=current, task_input_types={}, wftask_type_filters={}
                ),
                attribute_filters=job.attribute_filters,
                status_filter=status_filter,
            )
            selected.append([url.removeprefix("/z/") for url in selection.zarr_urls])
        current.update(output_types)
    return selected


JOBS = {
    "converters get nothing, even with filters": (
        [(TaskType.CONVERTER_COMPOUND, {}), (TaskType.CONVERTER_NON_PARALLEL, {})],
        {"well": ["A01"]},
        {},
        [[], []],
    ),
    "attribute filters apply at every task": (
        [(TaskType.PARALLEL, {}), (TaskType.NON_PARALLEL, {}), (TaskType.COMPOUND, {})],
        {"well": ["A01"]},
        {},
        [["a", "b"], ["a", "b"], ["a", "b"]],
    ),
    "output types narrow the later tasks": (
        [(TaskType.PARALLEL, {"3D": True}), (TaskType.PARALLEL, {})],
        {"well": ["A01"]},
        {},
        [["a", "b"], ["a"]],
    ),
    "status filter at the first task only": (
        [(TaskType.PARALLEL, {}), (TaskType.PARALLEL, {})],
        {IMAGE_STATUS_KEY: ["failed"], "well": ["A01", "B02"]},
        {"/z/a": "done", "/z/b": "failed", "/z/c": "done"},
        [["b"], ["a", "b", "c"]],
    ),
    "status filter after a converter first task: nothing filtered by status": (
        [(TaskType.CONVERTER_COMPOUND, {}), (TaskType.PARALLEL, {})],
        {IMAGE_STATUS_KEY: ["failed"]},
        {"/z/a": "failed"},
        [[], ["a", "b", "c", "d"]],
    ),
}


@pytest.mark.parametrize(
    ("steps", "attribute_filters", "statuses", "expected"), JOBS.values(), ids=JOBS.keys()
)
def test_selection_through_a_job(steps, attribute_filters, statuses, expected):
    assert (
        job_selections(steps, job_attribute_filters=attribute_filters, statuses=statuses)
        == expected
    )
