"""Which images a workflow task gets: converters, filters at every task, type-filter
conflicts and the status-based re-run."""

from typing import Any

import pytest

from qfractal.workflows.images.schemas import SingleImage
from qfractal.workflows.runner.errors import JobExecutionError
from qfractal.workflows.runner.selection import (
    IMAGE_STATUS_KEY,
    JobImageFilters,
    Selection,
    check_has_images,
    input_type_filters,
    is_converter,
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


def test_no_image_for_a_task_is_a_job_error():
    check_has_images(Selection(zarr_urls=["/z/a"], num_available_images=1), task_name="t")
    with pytest.raises(JobExecutionError, match='Task "MIP" has no input image') as caught:
        check_has_images(Selection(zarr_urls=[], num_available_images=3), task_name="MIP")
    assert "3 match its type filters" in caught.value.message
