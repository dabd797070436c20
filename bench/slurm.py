"""Benchmark of the SLURM executors: 100 tiny units on the single-node cluster.

For each transport (`slurm_sudo`: `sudo -n -u slurmtest`; `slurm_ssh`: asyncssh to an sshd
on 127.0.0.1:2222 as slurmtest), one `SlurmExecutor.run_units` call of N units (`true`
through the remote worker, as a workflow task's units run) with the batching of a
resource whose `batching_config` packs them into a few SLURM jobs; then, as the floor,
the same number of bare SLURM jobs (`sbatch --wrap true`, submitted at once as root)
from submission until `squeue` no longer lists them as pending or running, polled every
0.1 s. The cluster, the cluster user, sshd and a worker venv are set up as for the test
suite (`tests/slurm_cluster.py`; the cluster must already run:
`bash shared/scripts/slurm-single-node.sh` as root).

Figures:
* wall s: from `run_units` to its return (upload, sbatch, polls every `--poll` s, download
  and reading the results);
* sbatch: SLURM jobs submitted (one per batch);
* floor s: the bare jobs' wall time, i.e. SLURM's own scheduling for that many jobs;
* overhead/unit ms = (wall - floor) / units: what qfractal adds per unit (files both ways,
  the remote worker's Python start, `srun` per unit, polling granularity).

    .venv/bin/python bench/slurm.py                     # 100 units, poll 1 s, 2 runs each
    .venv/bin/python bench/slurm.py --units 200 --poll 0.5 --repeat 3

Prints a table; asserts nothing.
"""

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from qfractal.compute.executors.base import Unit  # noqa: E402
from qfractal.compute.executors.slurm.executor import SlurmExecutor, SlurmSite  # noqa: E402
from qfractal.compute.executors.slurm.ssh import SSHTransport  # noqa: E402
from qfractal.compute.executors.slurm.sudo import SudoTransport  # noqa: E402
from qfractal.compute.executors.slurm.transport import Transport  # noqa: E402
from tests.slurm_cluster import SLURM_USER, running_sshd, worker_venv_python  # noqa: E402

RUNNER_CONFIG = {
    "default_slurm_config": {"partition": "debug", "mem": "50M", "cpus_per_task": 1},
    "batching_config": {
        "target_num_jobs": 4,
        "max_num_jobs": 8,
        "target_cpus_per_job": 2,
        "max_cpus_per_job": 2,
        "target_mem_per_job": "1G",
        "max_mem_per_job": "2G",
    },
}


class CountingLog:
    """A `SubmissionLog` in memory: the executor's SLURM jobs, counted."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    async def find(self, batch: str) -> int | None:
        return None

    async def record(self, batch: str, slurm_job_id: int) -> None:
        self.ids.append(slurm_job_id)

    async def submitted(self, slurm_job_ids: list[int]) -> None:
        pass


@dataclass
class Figures:
    wall: float
    sbatch: int


async def run_ours(transport: Transport, python: Path, units: int, poll: float) -> Figures:
    with tempfile.TemporaryDirectory() as local, tempfile.TemporaryDirectory(dir="/tmp") as remote:
        Path(remote).chmod(0o777)
        local_root = Path(local)
        work = [
            Unit(
                argv=["true"],
                cwd=local_root,
                env=None,
                log_path=local_root / "task" / f"unit-{index:04d}-log.txt",
            )
            for index in range(units)
        ]
        site = SlurmSite(
            transport=transport,
            runner_config=RUNNER_CONFIG,
            python_worker=str(python),
            poll_interval=poll,
            slurm_account=None,
            worker_init=[],
            local_root=local_root,
            remote_root=f"{remote}/job",
            user_cache_dir=remote,
        )
        log = CountingLog()
        began = time.perf_counter()
        outcomes = await SlurmExecutor(site, log).run_units(
            work, parallel=None, stop=asyncio.Event()
        )
        wall = time.perf_counter() - began
        await transport.close()
    failed = [outcome for outcome in outcomes if not outcome.ok]
    if failed:
        raise SystemExit(f"{len(failed)} unit(s) failed, e.g. {failed[0]}")
    return Figures(wall, len(log.ids))


def run_floor(jobs: int) -> float:
    """Seconds from submitting `jobs` bare jobs at once until none is pending or running."""
    folder = Path(tempfile.mkdtemp(dir="/tmp"))
    began = time.perf_counter()
    ids = []
    for _ in range(jobs):
        result = subprocess.run(
            ["sbatch", "--parsable", f"--output={folder}/%j.out", "--wrap", "true"],
            capture_output=True,
            text=True,
            check=True,
        )
        ids.append(result.stdout.strip().split(";")[0])
    while True:
        listed = subprocess.run(
            ["squeue", "-h", "-t", "pending,running", "-j", ",".join(ids), "-o", "%i"],
            capture_output=True,
            text=True,
        ).stdout.split()
        if not listed:
            break
        time.sleep(0.1)
    wall = time.perf_counter() - began
    shutil.rmtree(folder, ignore_errors=True)
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--poll", type=float, default=1.0, help="jobs_poll_interval, seconds")
    parser.add_argument("--repeat", type=int, default=2)
    options = parser.parse_args()

    python = worker_venv_python()
    rows = []
    with running_sshd() as server:
        transports = {
            "slurm_sudo": lambda: SudoTransport(SLURM_USER),
            "slurm_ssh": lambda: SSHTransport(
                server.host, server.port, server.username, server.key_path
            ),
        }
        for name, make in transports.items():
            walls, floors, sbatch = [], [], 0
            for _ in range(options.repeat):
                ours = asyncio.run(run_ours(make(), python, options.units, options.poll))
                walls.append(ours.wall)
                sbatch = ours.sbatch
                floors.append(run_floor(ours.sbatch))
            wall, floor = statistics.median(walls), statistics.median(floors)
            overhead = (wall - floor) / options.units * 1000
            rows.append((name, options.units, wall, sbatch, floor, overhead))

    print(f"\n{options.units} units, poll {options.poll} s, median of {options.repeat} run(s)\n")
    print("| executor | units | wall s | sbatch | floor s | overhead/unit ms |")
    print("|---|---|---|---|---|---|")
    for name, units, wall, sbatch, floor, overhead in rows:
        print(f"| {name} | {units} | {wall:.1f} | {sbatch} | {floor:.1f} | {overhead:.0f} |")


if __name__ == "__main__":
    main()
