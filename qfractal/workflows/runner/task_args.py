"""What each call of a task is given (fractal-server 2.17, §2.2).

| call | `--args-json` |
|---|---|
| non_parallel, compound init | `{zarr_urls, zarr_dir, **args_non_parallel}` |
| converter_non_parallel, converter_compound init | `{zarr_dir, **args_non_parallel}` |
| parallel (one call per image) | `{zarr_url, **args_parallel}` |
| compound compute (one call per item) | `{zarr_url, init_args, **args_parallel}` |

Workflow-task arguments cannot hold these reserved keys (they are refused when set);
should one be there anyway, the runner's value wins.
"""

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from qfractal.workflows.runner.selection import is_converter
from qfractal.workflows.runner.task_output import ParallelizationItem
from qfractal.workflows.tasks.schemas import TaskType


def non_parallel_args(
    task_type: TaskType,
    *,
    zarr_urls: Sequence[str],
    zarr_dir: str,
    args: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Arguments of a non-parallel call or of a compound task's init call; a converter
    gets no `zarr_urls`."""
    if not task_type.has_non_parallel:
        raise ValueError(f"a {task_type} task has no non-parallel call")
    if is_converter(task_type):
        return {**(args or {}), "zarr_dir": zarr_dir}
    return {**(args or {}), "zarr_urls": list(zarr_urls), "zarr_dir": zarr_dir}


def parallel_args(zarr_url: str, *, args: Mapping[str, Any] | None) -> dict[str, Any]:
    """Arguments of a parallel task's call for one image."""
    return {**(args or {}), "zarr_url": zarr_url}


def compute_args(item: ParallelizationItem, *, args: Mapping[str, Any] | None) -> dict[str, Any]:
    """Arguments of a compound task's compute call for one parallelization item."""
    return {**(args or {}), "zarr_url": item.zarr_url, "init_args": item.init_args}


def task_command(command: str, *, args_file: str, out_file: str) -> list[str]:
    """The argv of a call: the task's command split as a shell would (no shell runs it),
    then `--args-json ARGS --out-json OUT`."""
    return [*shlex.split(command), "--args-json", args_file, "--out-json", out_file]
