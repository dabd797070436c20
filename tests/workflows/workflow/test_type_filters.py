"""The type-filter flow as a pure function: a table of workflows and their flows."""

import pytest

from qfractal.workflows.workflow.type_filters import (
    FlowItem,
    FlowStep,
    TypeFilterConflict,
    merge_type_filters,
    type_filters_flow,
)


def step(wid: int, inp: dict | None = None, filters: dict | None = None, out: dict | None = None):
    return FlowStep(
        workflowtask_id=wid,
        input_types=inp or {},
        type_filters=filters or {},
        output_types=out or {},
    )


def item(wid: int, current: dict, inp: dict, out: dict) -> FlowItem:
    return FlowItem(
        workflowtask_id=wid,
        current_type_filters=current,
        input_type_filters=inp,
        output_type_filters=out,
    )


CASES = {
    "empty workflow": ([], []),
    "one plain task": ([step(1)], [item(1, {}, {}, {})]),
    "converter then projection": (
        [
            step(1, out={"3D": True}),
            step(2, inp={"3D": True}, out={"3D": False}),
            step(3, filters={"illum_corr": False}),
        ],
        [
            item(1, {}, {}, {"3D": True}),
            item(2, {"3D": True}, {"3D": True}, {"3D": False}),
            item(3, {"3D": False}, {"illum_corr": False}, {}),
        ],
    ),
    "workflow-task filters add to the task's input types": (
        [step(7, inp={"3D": False}, filters={"registered": True})],
        [item(7, {}, {"3D": False, "registered": True}, {})],
    ),
    "same key, same value in both": (
        [step(1, inp={"3D": True}, filters={"3D": True})],
        [item(1, {}, {"3D": True}, {})],
    ),
    "later outputs override earlier ones": (
        [step(1, out={"a": True, "b": True}), step(2, out={"a": False}), step(3)],
        [
            item(1, {}, {}, {"a": True, "b": True}),
            item(2, {"a": True, "b": True}, {}, {"a": False}),
            item(3, {"a": False, "b": True}, {}, {}),
        ],
    ),
    "current does not limit the input filters": (
        [step(1, out={"3D": True}), step(2, inp={"3D": False})],
        [item(1, {}, {}, {"3D": True}), item(2, {"3D": True}, {"3D": False}, {})],
    ),
}


@pytest.mark.parametrize(("steps", "expected"), list(CASES.values()), ids=list(CASES))
def test_flow(steps: list[FlowStep], expected: list[FlowItem]) -> None:
    assert type_filters_flow(steps) == expected


def test_flow_starts_from_given_filters() -> None:
    flow = type_filters_flow([step(1, out={"b": True}), step(2)], start={"a": True})
    assert [i.current_type_filters for i in flow] == [{"a": True}, {"a": True, "b": True}]


def test_flow_does_not_touch_its_input() -> None:
    inputs, outputs = {"x": True}, {"y": True}
    start = {"z": False}
    flow = type_filters_flow([step(1, inputs, {"w": True}, outputs)], start=start)
    flow[0].input_type_filters["new"] = True
    flow[0].current_type_filters["new"] = True
    flow[0].output_type_filters["new"] = True
    assert inputs == {"x": True}
    assert outputs == {"y": True}
    assert start == {"z": False}


def test_conflict_names_the_key() -> None:
    with pytest.raises(TypeFilterConflict, match="3D"):
        merge_type_filters(task_input_types={"3D": True}, wftask_type_filters={"3D": False})
    with pytest.raises(TypeFilterConflict):
        type_filters_flow([step(1), step(2, inp={"a": True}, filters={"a": False})])
