"""The sbatch script: options, quoting, the parallel/queueing structure, and sh running it."""

import itertools
import json
import os
import shlex
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from qfractal.compute.executors.slurm.options import SlurmOptions, slurm_options
from qfractal.compute.executors.slurm.remote import input_document, read_result
from qfractal.compute.executors.slurm.script import REMOTE_MODULE, render_script
from tests.compute.checks import max_overlap

FULL = SlurmOptions(
    partition="main",
    cpus_per_task=2,
    mem_per_task_mb=1500,
    time="1:00:00",
    gres="gpu:1",
    gpus="a100:1",
    constraint="intel&avx2",
    nodelist="node[01-02]",
    exclude="node07",
    account="lab-42",
    extra_lines=["#SBATCH --qos=high", "#SBATCH --licenses=matlab:1"],
    worker_init=["module load cuda", "echo ready"],
    user_local_exports={"CELLPOSE_LOCAL_MODELS_PATH": "cellpose/models", "HOME_CACHE": "/abs"},
)
WORKER = "/opt/qfractal env/bin/python"
JOB = "/remote jobs/job 1"


def units(count: int, folder: str = JOB) -> list[tuple[str, str]]:
    return [(f"{folder}/in {i}.json", f"{folder}/out {i}.json") for i in range(count)]


def render(options: SlurmOptions, count: int, parallel: int, **overrides: str) -> str:
    arguments = {
        "python_worker": WORKER,
        "job_name": "task 1 (batch 0)",
        "stdout_path": f"{JOB}/slurm-out.txt",
        "stderr_path": f"{JOB}/slurm-err.txt",
        "chdir": JOB,
        "user_cache_dir": "/home/user/.cache dir",
        **overrides,
    }
    return render_script(options, units(count, arguments["chdir"]), parallel=parallel, **arguments)


def test_every_option_in_order() -> None:
    lines = render(FULL, 4, 4).splitlines()

    assert lines[:19] == [
        "#!/bin/sh",
        "#SBATCH --partition=main",
        "#SBATCH --ntasks=4",
        "#SBATCH --cpus-per-task=2",
        "#SBATCH --mem=6000M",
        "#SBATCH --time=1:00:00",
        "#SBATCH --gres=gpu:1",
        "#SBATCH --gpus=a100:1",
        "#SBATCH --constraint=intel&avx2",
        "#SBATCH --nodelist=node[01-02]",
        "#SBATCH --exclude=node07",
        "#SBATCH --account=lab-42",
        "#SBATCH --job-name='task 1 (batch 0)'",
        "#SBATCH --output='/remote jobs/job 1/slurm-out.txt'",
        "#SBATCH --error='/remote jobs/job 1/slurm-err.txt'",
        "#SBATCH --chdir='/remote jobs/job 1'",
        "#SBATCH --qos=high",
        "#SBATCH --licenses=matlab:1",
        "",
    ]
    assert lines[19:23] == [
        "export CELLPOSE_LOCAL_MODELS_PATH='/home/user/.cache dir/cellpose/models'",
        "export HOME_CACHE='/home/user/.cache dir/abs'",
        "module load cuda",
        "echo ready",
    ]
    assert lines[-1] == "wait"


def test_unset_options_are_left_out() -> None:
    script = render(SlurmOptions(mem_per_task_mb=100), 1, 1)

    sbatch = [line for line in script.splitlines() if line.startswith("#SBATCH")]
    assert [line.split("=")[0] for line in sbatch] == [
        "#SBATCH --ntasks",
        "#SBATCH --cpus-per-task",
        "#SBATCH --mem",
        "#SBATCH --job-name",
        "#SBATCH --output",
        "#SBATCH --error",
        "#SBATCH --chdir",
    ]
    assert "#SBATCH --ntasks=1" in sbatch and "#SBATCH --mem=100M" in sbatch
    assert "export" not in script


def test_all_sbatch_lines_come_before_the_first_command() -> None:
    lines = render(FULL, 3, 2).splitlines()

    last_sbatch = max(i for i, line in enumerate(lines) if line.startswith("#SBATCH"))
    first_command = min(i for i, line in enumerate(lines[1:], 1) if line and line[0] != "#")
    assert last_sbatch < first_command


def srun_argvs(script: str) -> list[list[str]]:
    return [
        shlex.split(line.removesuffix(" &"))
        for line in script.splitlines()
        if line.strip().startswith("srun")
    ]


def test_one_srun_per_unit_with_quoted_paths() -> None:
    odd = "/tmp/it's a $HOME `x`"
    script = render(FULL, 3, 3, chdir=odd)

    assert srun_argvs(script) == [
        [
            "srun",
            "--ntasks=1",
            "--cpus-per-task=2",
            "--mem=1500M",
            WORKER,
            "-m",
            REMOTE_MODULE,
            "--input-file",
            f"{odd}/in {i}.json",
            "--output-file",
            f"{odd}/out {i}.json",
        ]
        for i in range(3)
    ]
    assert f"#SBATCH --chdir={shlex.quote(odd)}" in script


def test_all_units_in_parallel_when_they_fit() -> None:
    lines = render(FULL, 3, 5).splitlines()

    assert "#SBATCH --ntasks=3" in lines and "#SBATCH --mem=4500M" in lines
    steps = [line for line in lines if line.startswith("srun")]
    assert len(steps) == 3 and all(step.endswith(" &") for step in steps)
    assert "(" not in lines
    assert lines[-1] == "wait"


def test_more_units_than_parallel_queue_in_lanes() -> None:
    lines = render(FULL, 7, 3).splitlines()

    assert "#SBATCH --ntasks=3" in lines and "#SBATCH --mem=4500M" in lines
    assert lines.count("(") == 3 and lines.count(") &") == 3
    lanes, lane = [], None
    for line in lines:
        if line == "(":
            lane = []
        elif line == ") &":
            lanes.append(lane)
            lane = None
        elif lane is not None:
            assert line.startswith("    srun ") and not line.endswith("&")
            lane.append(shlex.split(line)[-3].rsplit(" ", 1)[1])
    assert lanes == [["0.json", "3.json", "6.json"], ["1.json", "4.json"], ["2.json", "5.json"]]
    assert lines[-1] == "wait"


@pytest.mark.parametrize(("count", "parallel"), [(1, 1), (4, 4), (7, 3), (5, 1)])
def test_sh_parses_the_script(tmp_path: Path, count: int, parallel: int) -> None:
    path = tmp_path / "submit.sh"
    path.write_text(render(FULL, count, parallel, chdir='/tmp/it\'s "odd" $(x)'))

    checked = subprocess.run(["sh", "-n", str(path)], capture_output=True, text=True)

    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"chdir": "relative/dir"}, "absolute path"),
        ({"python_worker": "python3"}, "absolute path"),
        ({"stdout_path": "/a\n#SBATCH --x"}, "absolute path"),
        ({"job_name": "two\nlines"}, "job name"),
        ({"job_name": ""}, "job name"),
    ],
)
def test_bad_arguments_are_refused(change: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render(FULL, 1, 1, **change)


def test_no_units_or_no_parallelism_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one unit"):
        render_script(
            FULL, [], parallel=1, python_worker=WORKER, job_name="j", stdout_path="/o",
            stderr_path="/e", chdir="/", user_cache_dir="/c",
        )  # fmt: skip
    with pytest.raises(ValueError, match="parallel"):
        render(FULL, 2, 0)


def test_the_script_runs_its_units_at_most_parallel_at_once(tmp_path: Path) -> None:
    """Run the script with sh, a stand-in `srun` that drops its options, the real worker."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    srun = bin_dir / "srun"
    srun.write_text('#!/bin/sh\nwhile [ "${1#--}" != "$1" ]; do shift; done\nexec "$@"\n')
    srun.chmod(0o755)
    job_dir = tmp_path / "job dir"
    job_dir.mkdir()
    runner = {"default_slurm_config": {"mem": 10}, "user_local_exports": {"MARK": "m"}}
    options = slurm_options(runner, {"worker_init": 'echo "init $MARK" > init.txt'}, None)
    pairs = units(5, str(job_dir))
    for i, (input_file, _) in enumerate(pairs):
        code = f"import time; time.sleep(0.4); print('unit {i}')"
        document = input_document(
            argv=[sys.executable, "-c", code], cwd=str(job_dir), log_path=f"{job_dir}/log {i}.txt"
        )
        Path(input_file).write_text(json.dumps(document))
    script = render_script(
        options,
        pairs,
        parallel=2,
        python_worker=sys.executable,
        job_name="j",
        stdout_path=f"{job_dir}/out.txt",
        stderr_path=f"{job_dir}/err.txt",
        chdir=str(job_dir),
        user_cache_dir=str(tmp_path / "cache"),
    )
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}

    done = subprocess.run(
        ["sh", "-c", script], cwd=job_dir, env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    results = [read_result(output_file) for _, output_file in pairs]
    assert all(result.ok for result in results)
    assert [(job_dir / f"log {i}.txt").read_text() for i in range(5)] == [
        f"unit {i}\n" for i in range(5)
    ]
    assert (job_dir / "init.txt").read_text() == f"init {tmp_path}/cache/m\n"
    spans: list[tuple[datetime | None, datetime | None]] = [
        (r.started_at, r.ended_at) for r in results
    ]
    assert max_overlap(spans) <= 2
    # a lane runs its units one after the other: units 0, 2, 4 and units 1, 3
    for lane in ([0, 2, 4], [1, 3]):
        for earlier, later in itertools.pairwise(lane):
            assert results[earlier].ended_at <= results[later].started_at
