"""The sbatch script of one SLURM job (one batch of units).

Layout: `#!/bin/sh`, every `#SBATCH` line (ours, then the options' `extra_lines`, which
`options` has already made complete `#SBATCH ...` lines, so that sbatch reads them all
before the first command), the `user_local_exports`, the `worker_init` lines, then the
units: each one `srun --ntasks=1` step running the remote worker on its input file.

The job asks for `min(parallel, units)` SLURM tasks. When it has more units than that,
they are dealt round-robin into that many lanes; a lane is a background subshell running
its units one after the other, and the script `wait`s for all lanes. At most `parallel`
units run at once, and a lane starts its next unit as soon as its previous one ends:
never slower than waves of `parallel` units with a `wait` after each (a wave waits for its
slowest unit), and plain POSIX sh (dash has no `wait -n` for a dynamic pool).

Every path and the job name are quoted with `shlex.quote` (sbatch reads quotes on
`#SBATCH` lines as the shell does).
"""

import posixpath
import shlex
from collections.abc import Sequence

from qfractal.compute.executors.slurm.options import SlurmOptions

REMOTE_MODULE = "qfractal.compute.executors.slurm.remote"


def render_script(
    options: SlurmOptions,
    units: Sequence[tuple[str, str]],
    *,
    parallel: int,
    python_worker: str,
    job_name: str,
    stdout_path: str,
    stderr_path: str,
    chdir: str,
    user_cache_dir: str,
) -> str:
    """The text of the sbatch script running `units` in one SLURM job.

    Args:
        options: the units' SLURM options.
        units: (input file, output file) of each unit's remote worker, absolute remote paths.
        parallel: at most this many units run at once (the batching's parallel_tasks_per_job).
        python_worker: the remote Python that has qfractal installed.
        job_name: the SLURM job name.
        stdout_path: where SLURM writes the job's stdout (`--output`), absolute.
        stderr_path: where SLURM writes the job's stderr (`--error`), absolute.
        chdir: the job's working directory (`--chdir`), absolute.
        user_cache_dir: the directory the `user_local_exports` paths are relative to.

    Raises:
        ValueError: no units, `parallel` < 1, a relative path or a line break in a value.
    """
    if not units:
        raise ValueError("a job needs at least one unit")
    if parallel < 1:
        raise ValueError("parallel must be at least 1")
    paths = [python_worker, stdout_path, stderr_path, chdir, user_cache_dir]
    paths += [path for unit in units for path in unit]
    for path in paths:
        if not posixpath.isabs(path) or "\n" in path or "\r" in path:
            raise ValueError(f"expected an absolute path on one line, got {path!r}")
    if not job_name or "\n" in job_name or "\r" in job_name:
        raise ValueError(f"invalid job name {job_name!r}")

    ntasks = min(parallel, len(units))
    lines = ["#!/bin/sh"]
    lines += [f"#SBATCH {option}" for option in _sbatch_options(options, ntasks)]
    lines += [
        f"#SBATCH --job-name={shlex.quote(job_name)}",
        f"#SBATCH --output={shlex.quote(stdout_path)}",
        f"#SBATCH --error={shlex.quote(stderr_path)}",
        f"#SBATCH --chdir={shlex.quote(chdir)}",
        *options.extra_lines,
        "",
    ]
    for name, relative in options.user_local_exports.items():
        path = posixpath.normpath(posixpath.join(user_cache_dir, relative.lstrip("/")))
        lines.append(f"export {name}={shlex.quote(path)}")
    lines += options.worker_init
    lines.append("")

    steps = [
        _srun(options, python_worker, input_file, output_file) for input_file, output_file in units
    ]
    if ntasks == len(units):
        lines += [f"{step} &" for step in steps]
    else:
        for lane in range(ntasks):
            lines += ["(", *(f"    {step}" for step in steps[lane::ntasks]), ") &"]
    lines.append("wait")
    return "\n".join(lines) + "\n"


def _sbatch_options(options: SlurmOptions, ntasks: int) -> list[str]:
    """The resource options, in a fixed order; unset ones are left to SLURM's defaults."""
    result = [f"--partition={options.partition}"] if options.partition else []
    result += [
        f"--ntasks={ntasks}",
        f"--cpus-per-task={options.cpus_per_task}",
        f"--mem={ntasks * options.mem_per_task_mb}M",
    ]
    for name in ("time", "gres", "gpus", "constraint", "nodelist", "exclude", "account"):
        value = getattr(options, name)
        if value is not None:
            result.append(f"--{name}={value}")
    return result


def _srun(options: SlurmOptions, python_worker: str, input_file: str, output_file: str) -> str:
    return shlex.join(
        [
            "srun",
            "--ntasks=1",
            f"--cpus-per-task={options.cpus_per_task}",
            f"--mem={options.mem_per_task_mb}M",
            python_worker,
            "-m",
            REMOTE_MODULE,
            "--input-file",
            input_file,
            "--output-file",
            output_file,
        ]
    )
