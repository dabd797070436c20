"""Rules for what a workflow task may hold, given its task: plain functions, no database.

A task has a non-parallel side, a parallel side or both (its type says which); a workflow
task's args and meta exist only for those sides. Args must fit the side's args schema,
type filters must agree with the task's input types, and meta starts from the task's meta.
"""

import logging
from collections.abc import Mapping
from typing import Any

from jsonschema import SchemaError
from jsonschema.validators import Draft202012Validator, validator_for

from qfractal.errors import InvalidInput
from qfractal.workflows.models import Task
from qfractal.workflows.tasks.schemas import TaskType
from qfractal.workflows.workflow.type_filters import TypeFilterConflict, merge_type_filters

logger = logging.getLogger(__name__)

SIDES = ("non_parallel", "parallel")
MAX_REPORTED_ERRORS = 5

TYPE_CHANGES = frozenset(
    {(task_type, task_type) for task_type in TaskType}
    | {
        (TaskType.NON_PARALLEL, TaskType.CONVERTER_NON_PARALLEL),
        (TaskType.COMPOUND, TaskType.CONVERTER_COMPOUND),
    }
)
"""(old, new) task types a workflow task may switch between when its task is replaced."""

Settings = Mapping[str, dict[str, Any] | None]
"""`{"args_parallel": {...}, "meta_non_parallel": None, ...}`: args and meta by side."""


def has_side(task_type: str, side: str) -> bool:
    kind = TaskType(task_type)
    return kind.has_parallel if side == "parallel" else kind.has_non_parallel


def check_sides(task: Task, settings: Settings) -> None:
    """422 if args or meta are given for a side the task does not have ({} counts as unset)."""
    wrong = [
        f"{kind}_{side}"
        for side in SIDES
        if not has_side(task.type, side)
        for kind in ("args", "meta")
        if settings.get(f"{kind}_{side}")
    ]
    if wrong:
        raise InvalidInput(
            f"Cannot set {', '.join(wrong)}: task {task.id} ({task.name}) is of type {task.type!r}."
        )


def args_errors(schema: dict[str, Any], args: dict[str, Any]) -> list[str]:
    """What is wrong with `args` under a JSON schema; missing required arguments are not
    errors yet (workflows are built step by step; a job needs them complete)."""
    validator_class = validator_for(schema, default=Draft202012Validator)
    try:
        validator_class.check_schema(schema)
    except SchemaError as exc:
        logger.warning("skipping args validation against an invalid schema: %s", exc.message)
        return []
    errors = sorted(
        (e for e in validator_class(schema).iter_errors(args) if e.validator != "required"),
        key=lambda e: e.json_path,
    )
    return [f"{error.json_path}: {error.message}" for error in errors]


def check_args(task: Task, settings: Settings) -> None:
    """422 naming the problems if given args do not fit the task's args schema for that side."""
    for side in SIDES:
        args = settings.get(f"args_{side}")
        schema = getattr(task, f"args_schema_{side}")
        if not args or not schema:
            continue
        errors = args_errors(schema, args)
        if errors:
            shown = "; ".join(errors[:MAX_REPORTED_ERRORS])
            more = len(errors) - MAX_REPORTED_ERRORS
            raise InvalidInput(
                f"args_{side} do not match the args schema of task {task.id} ({task.name}): "
                f"{shown}" + (f" (and {more} more)" if more > 0 else "")
            )


def check_settings(task: Task, settings: Settings) -> None:
    check_sides(task, settings)
    check_args(task, settings)


def check_type_filters(task: Task, type_filters: Mapping[str, bool]) -> None:
    try:
        merge_type_filters(task_input_types=task.input_types, wftask_type_filters=type_filters)
    except TypeFilterConflict as exc:
        raise InvalidInput(str(exc)) from exc


def check_type_change(old_type: str, new: Task) -> None:
    if (TaskType(old_type), TaskType(new.type)) not in TYPE_CHANGES:
        raise InvalidInput(f"Cannot change task type from {old_type} to {new.type}.")


def side_args(task: Task, side: str, args: dict[str, Any] | None) -> dict[str, Any] | None:
    """The args stored for one side: None for a side the task does not have."""
    return args if has_side(task.type, side) else None


def initial_meta(task: Task, side: str, meta: dict[str, Any] | None) -> dict[str, Any] | None:
    """The task's meta for that side overridden by the workflow task's; None when empty."""
    if not has_side(task.type, side):
        return None
    merged = {**(getattr(task, f"meta_{side}") or {}), **(meta or {})}
    return merged or None


def carried_meta(
    *,
    old_task_meta: dict[str, Any] | None,
    old_wftask_meta: dict[str, Any] | None,
    new_task_meta: dict[str, Any] | None,
) -> dict[str, Any] | None:
    """Meta after replacing a task: the new task's meta with the user's own changes to the
    old task's meta (added, changed and removed keys) carried over."""
    if old_task_meta is None:
        return old_wftask_meta
    if old_wftask_meta is None:
        return new_task_meta
    changed = {k: v for k, v in old_wftask_meta.items() if old_task_meta.get(k) != v}
    removed = old_task_meta.keys() - old_wftask_meta.keys()
    merged = {**(new_task_meta or {}), **changed}
    return {k: v for k, v in merged.items() if k not in removed}
