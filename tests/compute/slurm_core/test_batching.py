"""Packing N units into SLURM jobs: the heuristic, requested values, their limits."""

import math

import pytest

from qfractal.compute.executors.slurm.batching import (
    Batching,
    BatchingError,
    batches,
    plan_batching,
)
from qfractal.compute.executors.slurm.options import SlurmOptions, SlurmOptionsError

CONFIG = {
    "target_num_jobs": 4,
    "max_num_jobs": 10,
    "target_cpus_per_job": 4,
    "max_cpus_per_job": 16,
    "target_mem_per_job": "8G",
    "max_mem_per_job": 32768,
}


def options(
    cpus: int = 1, mem: int = 1024, tasks: int | None = None, parallel: int | None = None
) -> SlurmOptions:
    return SlurmOptions(
        cpus_per_task=cpus,
        mem_per_task_mb=mem,
        tasks_per_job=tasks,
        parallel_tasks_per_job=parallel,
    )


@pytest.mark.parametrize(
    ("n_units", "unit", "expected"),
    [
        # heuristic, targets: 4 units of 1 CPU / 1 GB fit 4 CPUs / 8 GB
        (1, options(), (1, 1, 1)),
        (4, options(), (4, 4, 1)),
        (16, options(), (4, 4, 4)),
        # more than target_num_jobs: the maxima (16 CPUs, 32 GB)
        (17, options(), (16, 16, 2)),
        (160, options(), (16, 16, 10)),
        # more than max_num_jobs: units queue inside max_num_jobs jobs
        (161, options(), (17, 16, 10)),
        (1000, options(), (100, 16, 10)),
        # memory-bound (4 GB units) and CPU-bound (4 CPU units)
        (10, options(mem=4096), (8, 8, 2)),
        (8, options(cpus=4), (4, 4, 2)),
        # one unit is bigger than the targets but fits the maxima
        (3, options(cpus=8), (2, 2, 2)),
        (0, options(), (1, 1, 0)),
        # both requested
        (10, options(tasks=5, parallel=2), (5, 2, 2)),
        (3, options(tasks=10, parallel=4), (3, 3, 1)),
        (20, options(tasks=4, parallel=4, cpus=4), (4, 4, 5)),
        # only parallel_tasks_per_job: jobs of that size, bigger past max_num_jobs
        (10, options(parallel=3), (3, 3, 4)),
        (100, options(parallel=3), (10, 3, 10)),
        # only tasks_per_job: as parallel as the targets allow (the maxima if they must)
        (20, options(tasks=10), (10, 4, 2)),
        (4, options(tasks=4, cpus=8), (4, 2, 1)),
        (2, options(tasks=3), (2, 2, 1)),
    ],
)
def test_plan(n_units: int, unit: SlurmOptions, expected: tuple[int, int, int]) -> None:
    batching = plan_batching(n_units, unit, CONFIG)
    jobs = batches(n_units, batching)

    assert (batching.tasks_per_job, batching.parallel_tasks_per_job, len(jobs)) == expected
    assert batching.parallel_tasks_per_job * unit.cpus_per_task <= CONFIG["max_cpus_per_job"]
    assert batching.parallel_tasks_per_job * unit.mem_per_task_mb <= CONFIG["max_mem_per_job"]
    assert len(jobs) <= CONFIG["max_num_jobs"]


@pytest.mark.parametrize(
    ("n_units", "unit", "message"),
    [
        (10, options(tasks=17, parallel=17), r"17 parallel unit\(s\) .* max_cpus_per_job \(16\)"),
        (10, options(mem=4096, tasks=9, parallel=9), r"36864 MB, .* max_mem_per_job \(32768 MB\)"),
        (10, options(parallel=20), "max_cpus_per_job"),
        (10, options(tasks=2, parallel=4), r"parallel_tasks_per_job \(4\) is more than"),
        (100, options(tasks=5, parallel=1), r"makes 20 jobs .* max_num_jobs \(10\)"),
        (100, options(tasks=2), r"makes 50 jobs"),
        (1, options(cpus=17), r"one unit of 17 CPUs .* max_cpus_per_job"),
        (1, options(mem=40000), r"one unit of 40000 MB .* max_mem_per_job"),
        (1, options(mem=40000, tasks=2), r"one unit of 40000 MB"),
    ],
)
def test_limits_are_enforced_with_clear_errors(
    n_units: int, unit: SlurmOptions, message: str
) -> None:
    with pytest.raises(BatchingError, match=message):
        plan_batching(n_units, unit, CONFIG)


def test_batching_errors_are_option_errors_and_bad_config_is_named() -> None:
    assert issubclass(BatchingError, SlurmOptionsError)
    with pytest.raises(BatchingError, match="batching_config: invalid or missing max limits"):
        plan_batching(1, options(), {**CONFIG, "max_mem_per_job": "much"})
    with pytest.raises(BatchingError, match="batching_config: invalid or missing target"):
        plan_batching(1, options(), {"max_num_jobs": 1})


def test_batching_values_are_consistent() -> None:
    with pytest.raises(ValueError, match="parallel_tasks_per_job"):
        Batching(tasks_per_job=2, parallel_tasks_per_job=3)
    with pytest.raises(ValueError):
        Batching(tasks_per_job=1, parallel_tasks_per_job=0)


def test_batches_are_balanced() -> None:
    assert batches(10, Batching(4, 2)) == [range(0, 4), range(4, 7), range(7, 10)]
    assert batches(7, Batching(7, 7)) == [range(0, 7)]
    assert batches(0, Batching(3, 1)) == []
    assert batches(3, Batching(1, 1)) == [range(0, 1), range(1, 2), range(2, 3)]


@pytest.mark.parametrize("tasks", [1, 2, 3, 7, 16, 100])
def test_batches_cover_every_unit_once_in_order(tasks: int) -> None:
    for n_units in range(0, 120):
        jobs = batches(n_units, Batching(tasks, 1))

        assert [i for job in jobs for i in job] == list(range(n_units))
        assert all(0 < len(job) <= tasks for job in jobs)
        assert len(jobs) == math.ceil(n_units / tasks)
        assert max(map(len, jobs), default=0) - min(map(len, jobs), default=0) <= 1
