"""The SLURM options of one unit of a workflow task: resource defaults, GPU config, task meta.

`slurm_options` merges, later sources winning key by key:

1. the resource's `default_slurm_config`;
2. its `gpu_slurm_config`, when the task's meta says `needs_gpu` (a resource without a GPU
   config keeps the defaults: task manifests set `needs_gpu` for tasks that also run on CPUs);
3. the workflow task's `meta`: `cpus_per_task, mem, time, gres, gpus, constraint, nodelist,
   exclude, extra_lines, tasks_per_job, parallel_tasks_per_job, worker_init`. Other meta keys
   (`needs_gpu`, keys meant for the local runner or the task itself) are not SLURM options
   and are ignored; `partition` comes from the resource only.

`extra_lines` add up instead of replacing each other (defaults, then GPU, then meta, without
repeats). The SLURM account comes only from the job's `slurm_account`: an `account` in the
meta or in the resource's configs, or an `--account`/`-A` extra line, is refused.

Memory is read as SLURM reads `--mem`: a plain number is MB, and the units K, M, G, T are
powers of 1024 ("4G" = 4096 MB; fractal-server counts 1000, which asks SLURM for less than
the user wrote). Values are checked here, so a bad one fails before anything is submitted,
with a `SlurmOptionsError` that names the key.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


class SlurmOptionsError(ValueError):
    """The SLURM options of a task are invalid; the message names the offending key."""


@dataclass(frozen=True, kw_only=True)
class SlurmOptions:
    """What SLURM is asked for, per unit (one task command), plus the job's environment.

    `extra_lines` are complete `#SBATCH ...` lines; `worker_init` holds shell lines run in
    the job before its units; `user_local_exports` maps variable names to paths relative to
    the user's cache directory.
    """

    partition: str | None = None
    cpus_per_task: int = 1
    mem_per_task_mb: int
    time: str | None = None
    gres: str | None = None
    gpus: str | None = None
    constraint: str | None = None
    nodelist: str | None = None
    exclude: str | None = None
    account: str | None = None
    extra_lines: list[str] = field(default_factory=list)
    worker_init: list[str] = field(default_factory=list)
    tasks_per_job: int | None = None
    parallel_tasks_per_job: int | None = None
    user_local_exports: dict[str, str] = field(default_factory=dict)


_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)\s*([KMGT]?)B?$", re.IGNORECASE)
_MB_PER_UNIT = {"K": Decimal(1) / 1024, "": Decimal(1), "M": Decimal(1), "G": Decimal(1024)}
_MB_PER_UNIT["T"] = Decimal(1024 * 1024)
_TIME = re.compile(r"^(?:\d+-\d+(?::\d+){0,2}|\d+(?::\d+){0,2}|UNLIMITED|INFINITE)$", re.I)
_TOKEN = re.compile(r"^\S+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ACCOUNT_LINE = re.compile(r"^#SBATCH\s+(?:--account\b|-A\b)")

_CONFIG_TOKENS = ("partition", "constraint", "gres", "exclude", "nodelist", "gpus")
_META_TOKENS = ("gres", "gpus", "constraint", "nodelist", "exclude")


def parse_mem(value: int | str) -> int:
    """Memory in MB, rounded up, from an int (MB) or a string such as "4G", "500M", "1T".

    Raises:
        ValueError: not a positive amount (the message quotes the value).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        mb = Decimal(value)
    elif isinstance(value, str) and (match := _MEMORY.match(value.strip())):
        mb = Decimal(match[1]) * _MB_PER_UNIT[match[2].upper()]
    else:
        mb = Decimal(0)
    if mb <= 0:
        raise ValueError(
            f"invalid memory {value!r}: expected a positive number of MB, or a number "
            "with a unit K, M, G or T such as '4G' or '500M'"
        )
    return math.ceil(mb)


def slurm_options(
    runner_config: Mapping[str, Any], meta: Mapping[str, Any], slurm_account: str | None
) -> SlurmOptions:
    """The options of a workflow task's units on a SLURM resource.

    Args:
        runner_config: the resource's `jobs_runner_config` (a `JobRunnerConfigSLURM` dump).
        meta: the workflow task's meta for this kind of unit (parallel or non-parallel).
        slurm_account: the job's SLURM account, None to let SLURM pick the user's default.

    Raises:
        SlurmOptionsError: an invalid value, an account set anywhere but in the job, or no
            memory per task in any source.
    """
    merged: dict[str, Any] = {"extra_lines": []}
    sets = [("default_slurm_config", runner_config.get("default_slurm_config") or {})]
    needs_gpu = meta.get("needs_gpu") or False
    if not isinstance(needs_gpu, bool):
        raise SlurmOptionsError(f"needs_gpu: expected true or false, got {needs_gpu!r}")
    if needs_gpu and runner_config.get("gpu_slurm_config"):
        sets.append(("gpu_slurm_config", runner_config["gpu_slurm_config"]))
    for name, config in sets:
        _merge_config_set(merged, name, config)
    _merge_meta(merged, meta)

    if "mem" not in merged:
        raise SlurmOptionsError(
            "mem: no memory per task is set; set it in the resource's default_slurm_config "
            "or in the task's meta"
        )
    if slurm_account is not None:
        merged["account"] = _token("slurm_account", slurm_account)
    merged["extra_lines"] = list(dict.fromkeys(merged["extra_lines"]))
    merged["mem_per_task_mb"] = merged.pop("mem")
    merged["user_local_exports"] = _exports(runner_config.get("user_local_exports") or {})
    return SlurmOptions(**merged)


def _merge_config_set(merged: dict[str, Any], name: str, config: Mapping[str, Any]) -> None:
    if config.get("account") is not None:
        raise SlurmOptionsError(
            f"{name}.account: the SLURM account comes from the job's slurm_account, "
            "not from the resource"
        )
    for key in _CONFIG_TOKENS:
        if config.get(key) is not None:
            merged[key] = _token(f"{name}.{key}", config[key])
    if config.get("cpus_per_task") is not None:
        merged["cpus_per_task"] = _positive_int(f"{name}.cpus_per_task", config["cpus_per_task"])
    if config.get("mem") is not None:
        merged["mem"] = _mem(f"{name}.mem", config["mem"])
    if config.get("time") is not None:
        merged["time"] = _time(f"{name}.time", config["time"])
    merged["extra_lines"] += _extra_lines(f"{name}.extra_lines", config.get("extra_lines") or [])


def _merge_meta(merged: dict[str, Any], meta: Mapping[str, Any]) -> None:
    if "account" in meta:
        raise SlurmOptionsError(
            "account: the SLURM account comes from the job's slurm_account, "
            "not from the task's meta"
        )
    values = {key: value for key, value in meta.items() if value is not None}
    for key in _META_TOKENS:
        if key in values:
            merged[key] = _token(key, values[key])
    for key in ("cpus_per_task", "tasks_per_job", "parallel_tasks_per_job"):
        if key in values:
            merged[key] = _positive_int(key, values[key])
    if "mem" in values:
        merged["mem"] = _mem("mem", values["mem"])
    if "time" in values:
        merged["time"] = _time("time", values["time"])
    if "extra_lines" in values:
        merged["extra_lines"] += _extra_lines("extra_lines", values["extra_lines"])
    if "worker_init" in values:
        merged["worker_init"] = _worker_init(values["worker_init"])


def _positive_int(key: str, value: Any) -> int:
    if isinstance(value, str) and value.strip().isdecimal():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SlurmOptionsError(f"{key}: expected a positive integer, got {value!r}")
    return value


def _mem(key: str, value: Any) -> int:
    try:
        return parse_mem(value)
    except ValueError as exc:
        raise SlurmOptionsError(f"{key}: {exc}") from None


def _time(key: str, value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)  # minutes, as SLURM reads a bare number
    if isinstance(value, str) and _TIME.match(value.strip()):
        return value.strip()
    raise SlurmOptionsError(
        f"{key}: expected a SLURM time limit such as 90, '1:30:00' or '2-12:00:00', got {value!r}"
    )


def _token(key: str, value: Any) -> str:
    """A value that must go on an #SBATCH line as one word."""
    if not isinstance(value, str) or not _TOKEN.match(value):
        raise SlurmOptionsError(f"{key}: expected a non-empty string without spaces, got {value!r}")
    return value


def _extra_lines(key: str, value: Any) -> list[str]:
    """Normalise to complete `#SBATCH ...` lines; a bare option gets the prefix."""
    if not isinstance(value, list):
        raise SlurmOptionsError(f"{key}: expected a list of lines, got {value!r}")
    lines = []
    for item in value:
        line = item.strip() if isinstance(item, str) else None
        if not line or "\n" in line or "\r" in line:
            raise SlurmOptionsError(f"{key}: expected single non-empty lines, got {item!r}")
        if line.startswith("-"):
            line = f"#SBATCH {line}"
        elif not re.match(r"^#SBATCH\s+-", line):
            raise SlurmOptionsError(
                f"{key}: {item!r} is neither an '#SBATCH --option' line nor an option such as "
                "'--qos=high'; shell commands go in worker_init"
            )
        if _ACCOUNT_LINE.match(line):
            raise SlurmOptionsError(
                f"{key}: {item!r} sets the account, which comes from the job's slurm_account"
            )
        lines.append(line)
    return lines


def _worker_init(value: Any) -> list[str]:
    """Shell lines from a string (split at line breaks) or a list of strings."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise SlurmOptionsError(f"worker_init: expected a string or a list of lines, got {value!r}")
    return [line for item in value for line in item.splitlines() if line.strip()]


def _exports(value: Mapping[str, Any]) -> dict[str, str]:
    exports = {}
    for name, path in value.items():
        if not isinstance(name, str) or not _ENV_NAME.match(name):
            raise SlurmOptionsError(f"user_local_exports: {name!r} is not a variable name")
        if not isinstance(path, str) or not path.strip() or "\n" in path:
            raise SlurmOptionsError(
                f"user_local_exports.{name}: expected a relative path, got {path!r}"
            )
        exports[name] = path
    return exports
