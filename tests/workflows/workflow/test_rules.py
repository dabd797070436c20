"""The workflow-task rules as pure functions (no database)."""

import pytest

from qfractal.errors import InvalidInput
from qfractal.workflows.models import Task
from qfractal.workflows.workflow import rules

SCHEMA = {
    "type": "object",
    "properties": {
        "num_images": {"type": "integer", "minimum": 1},
        "channel": {
            "type": "object",
            "properties": {"label": {"type": "string"}},
            "required": ["label"],
        },
    },
    "required": ["num_images"],
    "additionalProperties": False,
}


def task(task_type: str = "non_parallel", **columns) -> Task:
    return Task(id=1, name="t", type=task_type, **columns)


@pytest.mark.parametrize(
    ("task_type", "settings", "wrong"),
    [
        ("parallel", {"args_non_parallel": {"a": 1}}, "args_non_parallel"),
        ("parallel", {"meta_non_parallel": {"cpus": 1}}, "meta_non_parallel"),
        ("non_parallel", {"args_parallel": {"a": 1}}, "args_parallel"),
        ("converter_non_parallel", {"meta_parallel": {"mem": 1}}, "meta_parallel"),
    ],
)
def test_wrong_side_is_refused(task_type: str, settings: dict, wrong: str) -> None:
    with pytest.raises(InvalidInput, match=wrong):
        rules.check_sides(task(task_type), settings)


@pytest.mark.parametrize(
    ("task_type", "settings"),
    [
        ("compound", {"args_non_parallel": {"a": 1}, "args_parallel": {"b": 2}}),
        ("converter_compound", {"meta_parallel": {"a": 1}, "meta_non_parallel": {"b": 2}}),
        ("parallel", {"args_parallel": {"a": 1}, "args_non_parallel": {}}),
        ("non_parallel", {"args_parallel": None, "meta_parallel": {}}),
    ],
)
def test_right_side_or_empty_is_accepted(task_type: str, settings: dict) -> None:
    rules.check_sides(task(task_type), settings)


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ({"num_images": "two"}, "$.num_images: 'two' is not of type 'integer'"),
        ({"num_images": 0}, "$.num_images: 0 is less than the minimum of 1"),
        ({"num_images": 1, "colour": "red"}, "Additional properties are not allowed"),
        ({"num_images": 1, "channel": {"label": 3}}, "$.channel.label"),
    ],
)
def test_args_errors(args: dict, problem: str) -> None:
    errors = rules.args_errors(SCHEMA, args)
    assert any(problem in error for error in errors), errors


@pytest.mark.parametrize(
    "args", [{}, {"num_images": 3}, {"channel": {}}, {"num_images": 1, "channel": {"label": "x"}}]
)
def test_missing_required_arguments_are_not_errors_yet(args: dict) -> None:
    assert rules.args_errors(SCHEMA, args) == []


def test_invalid_schema_is_skipped() -> None:
    assert rules.args_errors({"type": 12}, {"anything": 1}) == []


def test_check_args_names_the_side_and_the_problem() -> None:
    compound = task("compound", args_schema_parallel=SCHEMA)
    rules.check_args(compound, {"args_non_parallel": {"whatever": 1}})  # no schema there
    with pytest.raises(InvalidInput, match=r"args_parallel .* \$\.num_images"):
        rules.check_args(compound, {"args_parallel": {"num_images": "x"}})


def test_initial_meta() -> None:
    t = task("compound", meta_non_parallel={"cpus": 1, "mem": 10}, meta_parallel={})
    assert rules.initial_meta(t, "non_parallel", {"mem": 20}) == {"cpus": 1, "mem": 20}
    assert rules.initial_meta(t, "parallel", None) is None
    assert rules.initial_meta(task("parallel", meta_non_parallel={}), "non_parallel", {}) is None


@pytest.mark.parametrize(
    ("old_task", "old_wftask", "new_task", "expected"),
    [
        ({"a": 1}, None, {"a": 2}, {"a": 2}),  # untouched: the new defaults
        ({"a": 1}, {"a": 1}, {"a": 2, "b": 3}, {"a": 2, "b": 3}),  # defaults only
        ({"a": 1}, {"a": 5}, {"a": 2}, {"a": 5}),  # the user's change stays
        ({"a": 1}, {"a": 1, "x": 9}, {"a": 2}, {"a": 2, "x": 9}),  # the user's addition stays
        ({"a": 1, "b": 2}, {"a": 1}, {"a": 3, "b": 4}, {"a": 3}),  # the user's removal stays
        (None, {"z": 1}, {"a": 2}, {"z": 1}),
    ],
)
def test_carried_meta(old_task, old_wftask, new_task, expected) -> None:
    assert (
        rules.carried_meta(
            old_task_meta=old_task, old_wftask_meta=old_wftask, new_task_meta=new_task
        )
        == expected
    )


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        ("non_parallel", "non_parallel", True),
        ("non_parallel", "converter_non_parallel", True),
        ("compound", "converter_compound", True),
        ("parallel", "parallel", True),
        ("converter_non_parallel", "non_parallel", False),
        ("converter_compound", "compound", False),
        ("non_parallel", "parallel", False),
        ("compound", "non_parallel", False),
    ],
)
def test_type_changes(old: str, new: str, allowed: bool) -> None:
    if allowed:
        rules.check_type_change(old, task(new))
    else:
        with pytest.raises(InvalidInput, match=f"from {old} to {new}"):
            rules.check_type_change(old, task(new))
