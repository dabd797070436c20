"""SLURM options: default ⊕ GPU ⊕ meta, the account rule, and values refused by name."""

import dataclasses
from typing import Any

import pytest

from qfractal.compute.executors.slurm.options import (
    SlurmOptions,
    SlurmOptionsError,
    parse_mem,
    slurm_options,
)
from qfractal.compute.schemas import JobRunnerConfigSLURM

BATCHING = {
    "target_num_jobs": 4,
    "max_num_jobs": 10,
    "target_cpus_per_job": 4,
    "max_cpus_per_job": 16,
    "target_mem_per_job": "8G",
    "max_mem_per_job": "32G",
}
RUNNER: dict[str, Any] = {
    "default_slurm_config": {
        "partition": "main",
        "cpus_per_task": 1,
        "mem": "4G",
        "time": "1:00:00",
        "extra_lines": ["#SBATCH --qos=normal"],
    },
    "gpu_slurm_config": {
        "partition": "gpu",
        "gres": "gpu:1",
        "mem": 8000,
        "extra_lines": ["--qos=gpu"],
    },
    "batching_config": BATCHING,
    "user_local_exports": {"CELLPOSE_LOCAL_MODELS_PATH": "cellpose/models"},
}


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        (
            {},
            {
                "partition": "main",
                "cpus_per_task": 1,
                "mem_per_task_mb": 4096,
                "time": "1:00:00",
                "gres": None,
                "extra_lines": ["#SBATCH --qos=normal"],
            },
        ),
        (
            {"needs_gpu": True},
            {
                "partition": "gpu",
                "gres": "gpu:1",
                "mem_per_task_mb": 8000,
                "time": "1:00:00",
                "extra_lines": ["#SBATCH --qos=normal", "#SBATCH --qos=gpu"],
            },
        ),
        (
            {"needs_gpu": True, "mem": "500M", "cpus_per_task": 4, "gres": "gpu:a100:2"},
            {"partition": "gpu", "mem_per_task_mb": 500, "cpus_per_task": 4, "gres": "gpu:a100:2"},
        ),
        (
            {"needs_gpu": False, "gres": "gpu:2"},
            {"partition": "main", "gres": "gpu:2", "mem_per_task_mb": 4096},
        ),
        (
            {
                "cpus_per_task": "2",
                "mem": "1T",
                "time": 90,
                "gpus": "a100:1",
                "constraint": "intel&avx2",
                "nodelist": "node[01-03]",
                "exclude": "node07",
                "tasks_per_job": 8,
                "parallel_tasks_per_job": 2,
                "extra_lines": ["--qos=normal", "#SBATCH --licenses=matlab:1"],
                "worker_init": "module load cuda\n\nexport X=1",
            },
            {
                "partition": "main",
                "cpus_per_task": 2,
                "mem_per_task_mb": 1024 * 1024,
                "time": "90",
                "gpus": "a100:1",
                "constraint": "intel&avx2",
                "nodelist": "node[01-03]",
                "exclude": "node07",
                "tasks_per_job": 8,
                "parallel_tasks_per_job": 2,
                "extra_lines": ["#SBATCH --qos=normal", "#SBATCH --licenses=matlab:1"],
                "worker_init": ["module load cuda", "export X=1"],
            },
        ),
        (
            {"worker_init": ["source /opt/env.sh", "ulimit -n 4096"], "needs_gpu": None},
            {"worker_init": ["source /opt/env.sh", "ulimit -n 4096"], "partition": "main"},
        ),
        (
            {"some_task_setting": "x", "parallel_tasks_per_job": None, "time": "2-12:00:00"},
            {"parallel_tasks_per_job": None, "time": "2-12:00:00", "partition": "main"},
        ),
    ],
)
def test_merge_default_gpu_meta(meta: dict[str, Any], expected: dict[str, Any]) -> None:
    options = slurm_options(RUNNER, meta, None)

    assert {key: getattr(options, key) for key in expected} == expected
    assert options.account is None
    assert options.user_local_exports == {"CELLPOSE_LOCAL_MODELS_PATH": "cellpose/models"}


def test_a_validated_resource_config_dump_is_accepted() -> None:
    dumped = JobRunnerConfigSLURM.model_validate(RUNNER).model_dump()

    assert slurm_options(dumped, {"needs_gpu": True}, "lab") == slurm_options(
        RUNNER, {"needs_gpu": True}, "lab"
    )


def test_needs_gpu_without_gpu_config_keeps_the_defaults() -> None:
    runner = {key: value for key, value in RUNNER.items() if key != "gpu_slurm_config"}

    options = slurm_options(runner, {"needs_gpu": True}, None)

    assert (options.partition, options.gres, options.mem_per_task_mb) == ("main", None, 4096)


def test_defaults_when_almost_nothing_is_set() -> None:
    options = slurm_options({"default_slurm_config": {"mem": 100}}, {}, None)

    assert options == SlurmOptions(mem_per_task_mb=100)
    assert options.cpus_per_task == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.cpus_per_task = 2  # type: ignore[misc]


def test_the_account_comes_from_the_job() -> None:
    assert slurm_options(RUNNER, {}, "lab-42").account == "lab-42"


@pytest.mark.parametrize(
    ("runner", "meta", "named"),
    [
        (RUNNER, {"account": "other"}, "account"),
        (RUNNER, {"account": None}, "account"),
        (
            {**RUNNER, "default_slurm_config": {"mem": 1, "account": "x"}},
            {},
            "default_slurm_config.account",
        ),
        (
            {**RUNNER, "gpu_slurm_config": {"account": "x"}},
            {"needs_gpu": True},
            "gpu_slurm_config.account",
        ),
        (RUNNER, {"extra_lines": ["--account=other"]}, "extra_lines"),
        (RUNNER, {"extra_lines": ["#SBATCH -A other"]}, "extra_lines"),
    ],
)
def test_an_account_anywhere_else_is_refused(
    runner: dict[str, Any], meta: dict[str, Any], named: str
) -> None:
    with pytest.raises(SlurmOptionsError, match="slurm_account") as caught:
        slurm_options(runner, meta, "lab")
    assert str(caught.value).startswith(named)


@pytest.mark.parametrize(
    ("meta", "named"),
    [
        ({"cpus_per_task": "abc"}, "cpus_per_task"),
        ({"cpus_per_task": 0}, "cpus_per_task"),
        ({"cpus_per_task": True}, "cpus_per_task"),
        ({"cpus_per_task": 1.5}, "cpus_per_task"),
        ({"mem": "4X"}, "mem"),
        ({"mem": 0}, "mem"),
        ({"mem": "G"}, "mem"),
        ({"mem": [4]}, "mem"),
        ({"time": "soon"}, "time"),
        ({"time": "1 h"}, "time"),
        ({"time": -5}, "time"),
        ({"gres": "gpu 1"}, "gres"),
        ({"gpus": 2}, "gpus"),
        ({"constraint": ""}, "constraint"),
        ({"nodelist": "a\nb"}, "nodelist"),
        ({"exclude": ["n1"]}, "exclude"),
        ({"extra_lines": "--qos=high"}, "extra_lines"),
        ({"extra_lines": ["module load x"]}, "extra_lines"),
        ({"extra_lines": ["--qos=a\n#SBATCH --qos=b"]}, "extra_lines"),
        ({"extra_lines": [""]}, "extra_lines"),
        ({"worker_init": 5}, "worker_init"),
        ({"worker_init": ["ok", 3]}, "worker_init"),
        ({"tasks_per_job": 0}, "tasks_per_job"),
        ({"parallel_tasks_per_job": "two"}, "parallel_tasks_per_job"),
        ({"needs_gpu": "yes"}, "needs_gpu"),
    ],
)
def test_bad_meta_values_are_named(meta: dict[str, Any], named: str) -> None:
    with pytest.raises(SlurmOptionsError) as caught:
        slurm_options(RUNNER, meta, None)
    assert str(caught.value).startswith(f"{named}:")
    assert repr(next(iter(meta.values()))) in str(caught.value) or named == "extra_lines"


def test_bad_resource_values_and_exports_are_named() -> None:
    bad_default = {**RUNNER, "default_slurm_config": {"mem": "lots"}}
    with pytest.raises(SlurmOptionsError, match=r"^default_slurm_config\.mem: .*'lots'"):
        slurm_options(bad_default, {}, None)
    bad_export = {**RUNNER, "user_local_exports": {"NOT A NAME": "x"}}
    with pytest.raises(SlurmOptionsError, match="user_local_exports: 'NOT A NAME'"):
        slurm_options(bad_export, {}, None)
    with pytest.raises(SlurmOptionsError, match=r"^slurm_account:"):
        slurm_options(RUNNER, {}, "two words")


def test_memory_must_be_set_somewhere() -> None:
    with pytest.raises(SlurmOptionsError, match=r"^mem: no memory per task"):
        slurm_options({"default_slurm_config": {}}, {}, None)
    assert slurm_options({"default_slurm_config": {}}, {"mem": 10}, None).mem_per_task_mb == 10


@pytest.mark.parametrize(
    ("value", "mb"),
    [
        (500, 500),
        ("500", 500),
        ("500M", 500),
        ("500m", 500),
        ("4G", 4096),
        ("4GB", 4096),
        ("1.5G", 1536),
        ("1T", 1024 * 1024),
        ("2048K", 2),
        ("1K", 1),
        (" 8G ", 8192),
    ],
)
def test_parse_mem(value: int | str, mb: int) -> None:
    assert parse_mem(value) == mb


@pytest.mark.parametrize("value", ["", "G", "4X", "-1G", "0", 0, -3, "4 G B", "1e3", True, 2.5])
def test_parse_mem_refuses_and_quotes_the_value(value: Any) -> None:
    with pytest.raises(ValueError, match="invalid memory") as caught:
        parse_mem(value)
    assert repr(value) in str(caught.value)
