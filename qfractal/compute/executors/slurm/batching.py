"""How the units of one workflow task are packed into SLURM jobs.

A job holds `tasks_per_job` units and runs at most `parallel_tasks_per_job` of them at once
(it asks SLURM for that many tasks of `cpus_per_task` CPUs and `mem_per_task_mb` MB). The
resource's `batching_config` sets targets and hard maxima for the number of jobs and the
CPUs and memory of one job. `plan_batching` picks, for N units:

* both `tasks_per_job` and `parallel_tasks_per_job` in the options: those, if the parallel
  units fit the maxima of CPUs and memory per job, are no more than the units per job, and
  make no more than `max_num_jobs` jobs;
* only `parallel_tasks_per_job` (checked against the maxima the same way): jobs of that many
  units, or more units per job, queued inside it, when that would make more than
  `max_num_jobs` jobs;
* only `tasks_per_job`: as many of them in parallel as the target CPUs and memory per job
  allow (the maxima when not even one unit fits the targets), at most `tasks_per_job`;
* neither: `parallel` = as many units as fit the targets of CPUs and memory per job, one
  wave per job, if that makes at most `target_num_jobs` jobs; else the same with the maxima
  and `max_num_jobs`; else the maxima's `parallel` with `ceil(N / max_num_jobs)` units per
  job, queued inside each job.

Both numbers are then capped at N (a job never asks for more tasks than it has units).
`batches` cuts the units into jobs of balanced sizes: 10 units of at most 4 per job make
jobs of 4, 3 and 3 units, not 4, 4 and 2.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qfractal.compute.executors.slurm.options import SlurmOptions, SlurmOptionsError, parse_mem


class BatchingError(SlurmOptionsError):
    """The units cannot be packed into jobs within the resource's limits."""


@dataclass(frozen=True)
class Batching:
    """Units per SLURM job, and how many of them run at once inside it."""

    tasks_per_job: int
    parallel_tasks_per_job: int

    def __post_init__(self) -> None:
        if self.parallel_tasks_per_job < 1 or self.tasks_per_job < self.parallel_tasks_per_job:
            raise ValueError(
                f"need 1 <= parallel_tasks_per_job ({self.parallel_tasks_per_job}) "
                f"<= tasks_per_job ({self.tasks_per_job})"
            )


@dataclass(frozen=True)
class _Limits:
    num_jobs: int
    cpus_per_job: int
    mem_per_job_mb: int


def plan_batching(
    n_units: int, options: SlurmOptions, batching_config: Mapping[str, Any]
) -> Batching:
    """Units per job and parallel units per job for `n_units` units with these options.

    Args:
        n_units: how many units the workflow task has (0 is allowed: no job at all).
        options: the units' options, with the meta's `tasks_per_job` and
            `parallel_tasks_per_job` if any.
        batching_config: the resource's `batching_config`.

    Raises:
        BatchingError: the requested values break the maxima, or one unit alone needs more
            CPUs or memory than a job may have.
    """
    if n_units < 0:
        raise ValueError("n_units must be >= 0")
    target, maximum = _limits(batching_config, "target"), _limits(batching_config, "max")
    tasks, parallel = options.tasks_per_job, options.parallel_tasks_per_job
    if parallel is not None:
        _check_parallel(parallel, options, maximum)
        if tasks is None:
            tasks = max(parallel, math.ceil(n_units / maximum.num_jobs))
        elif parallel > tasks:
            raise BatchingError(
                f"parallel_tasks_per_job ({parallel}) is more than tasks_per_job ({tasks})"
            )
    elif tasks is not None:
        fits = _fits(options, target) or _fits(options, maximum)
        if fits == 0:
            _check_parallel(1, options, maximum)  # raises
        parallel = min(tasks, fits)
    else:
        tasks, parallel = _heuristic(n_units, options, target, maximum)
    if math.ceil(n_units / tasks) > maximum.num_jobs:
        raise BatchingError(
            f"tasks_per_job={tasks} makes {math.ceil(n_units / tasks)} jobs for {n_units} "
            f"units, more than the resource's max_num_jobs ({maximum.num_jobs})"
        )
    tasks = max(1, min(tasks, n_units))
    return Batching(tasks_per_job=tasks, parallel_tasks_per_job=min(parallel, tasks))


def batches(n_units: int, batching: Batching) -> list[range]:
    """Consecutive, non-empty ranges of unit indices covering 0..n_units-1, one per job.

    As few jobs as `tasks_per_job` allows, their sizes differing by at most one.
    """
    if n_units < 0:
        raise ValueError("n_units must be >= 0")
    num_jobs = math.ceil(n_units / batching.tasks_per_job)
    if num_jobs == 0:
        return []
    size, bigger = divmod(n_units, num_jobs)
    ranges, start = [], 0
    for index in range(num_jobs):
        stop = start + size + (1 if index < bigger else 0)
        ranges.append(range(start, stop))
        start = stop
    return ranges


def _heuristic(
    n_units: int, options: SlurmOptions, target: _Limits, maximum: _Limits
) -> tuple[int, int]:
    for limits in (target, maximum):
        parallel = _fits(options, limits)
        if parallel and math.ceil(n_units / parallel) <= limits.num_jobs:
            return parallel, parallel
    parallel = _fits(options, maximum)
    if parallel == 0:
        _check_parallel(1, options, maximum)  # raises
    return max(parallel, math.ceil(n_units / maximum.num_jobs)), parallel


def _fits(options: SlurmOptions, limits: _Limits) -> int:
    """How many units fit in one job's CPUs and memory (0: not even one)."""
    return min(
        limits.cpus_per_job // options.cpus_per_task,
        limits.mem_per_job_mb // options.mem_per_task_mb,
    )


def _check_parallel(parallel: int, options: SlurmOptions, maximum: _Limits) -> None:
    cpus, mem = parallel * options.cpus_per_task, parallel * options.mem_per_task_mb
    what = f"{parallel} parallel unit(s)" if parallel > 1 else "one unit"
    if cpus > maximum.cpus_per_job:
        raise BatchingError(
            f"{what} of {options.cpus_per_task} CPUs need {cpus} CPUs, more than the "
            f"resource's max_cpus_per_job ({maximum.cpus_per_job})"
        )
    if mem > maximum.mem_per_job_mb:
        raise BatchingError(
            f"{what} of {options.mem_per_task_mb} MB need {mem} MB, more than the "
            f"resource's max_mem_per_job ({maximum.mem_per_job_mb} MB)"
        )


def _limits(config: Mapping[str, Any], kind: str) -> _Limits:
    try:
        return _Limits(
            num_jobs=int(config[f"{kind}_num_jobs"]),
            cpus_per_job=int(config[f"{kind}_cpus_per_job"]),
            mem_per_job_mb=parse_mem(config[f"{kind}_mem_per_job"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BatchingError(f"batching_config: invalid or missing {kind} limits: {exc}") from None
