"""`SlurmExecutor` against the real cluster, through sudo and through ssh.

The job folder is `tmp_path` (the server's side) and a folder under `shared_dir` (the
cluster's side, written by the cluster user): files travel between them only through the
transport. Units are `sh -c` scripts; the `SubmissionLog` is a dict (the caller's
database in production).
"""

import asyncio
import json
import re
import subprocess
import textwrap
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from qfractal import __version__
from qfractal.compute.executors.base import ExecutorError, Unit, UnitOutcome
from qfractal.compute.executors.slurm.batching import batches, plan_batching
from qfractal.compute.executors.slurm.executor import SlurmExecutor, SlurmSite
from qfractal.compute.executors.slurm.options import slurm_options
from qfractal.compute.executors.slurm.outcomes import STOPPED
from qfractal.compute.executors.slurm.ssh import SSHTransport
from qfractal.compute.executors.slurm.sudo import SudoTransport
from qfractal.compute.executors.slurm.transport import Transport
from tests.compute.slurm.conftest import SUDO_RULE_FILE, ServiceUser, SSHServer, make_key

pytestmark = pytest.mark.slurm

RUNNER_CONFIG: dict[str, Any] = {
    "default_slurm_config": {"partition": "debug", "mem": "100M", "cpus_per_task": 1},
    "batching_config": {
        "target_num_jobs": 2,
        "max_num_jobs": 4,
        "target_cpus_per_job": 2,
        "max_cpus_per_job": 2,
        "target_mem_per_job": "1G",
        "max_mem_per_job": "2G",
    },
}
POLL_SECONDS = 0.5
ONE_LANE_PER_JOB = {"tasks_per_job": 2, "parallel_tasks_per_job": 1}
"""Jobs of two units run one after the other on one CPU."""


class SubmissionLog:
    """The caller's record of SLURM jobs, in memory."""

    def __init__(self) -> None:
        self.jobs: dict[str, int] = {}
        self.submissions: list[list[int]] = []

    async def find(self, batch: str) -> int | None:
        return self.jobs.get(batch)

    async def record(self, batch: str, slurm_job_id: int) -> None:
        assert batch not in self.jobs, f"{batch} submitted twice"
        self.jobs[batch] = slurm_job_id

    async def submitted(self, slurm_job_ids: list[int]) -> None:
        self.submissions.append(slurm_job_ids)


@dataclass
class Job:
    """A job folder on both sides and an executor for it."""

    local: Path
    remote: Path
    executor: SlurmExecutor
    log: SubmissionLog = field(default_factory=SubmissionLog)

    def unit(self, name: str, script: str, *files: Path) -> Unit:
        """`sh -c SCRIPT` named `name` (its $0), the `files` as $1, $2... (cluster paths)."""
        return Unit(
            argv=["/bin/sh", "-c", script, name, *map(str, files)],
            cwd=self.local,
            env=None,
            log_path=self.local / "logs" / f"{name}.log",
            files=files,
        )

    async def run(
        self,
        units: Sequence[Unit],
        *,
        meta: Mapping[str, Any] | None = None,
        stop: asyncio.Event | None = None,
    ) -> list[UnitOutcome]:
        return await self.executor.run_units(
            units, parallel=None, stop=stop or asyncio.Event(), meta=meta
        )

    def log_text(self, name: str) -> str:
        return (self.local / "logs" / f"{name}.log").read_text()

    def remote_log(self, name: str) -> Path:
        return self.remote / "logs" / f"{name}.log"


def make_job(
    transport: Transport, worker_python: Path | str, shared_dir: Path, tmp_path: Path, **site: Any
) -> Job:
    local, remote = tmp_path / "job", shared_dir / "job"
    local.mkdir(parents=True)
    options: dict[str, Any] = {
        "transport": transport,
        "runner_config": RUNNER_CONFIG,
        "python_worker": str(worker_python),
        "poll_interval": POLL_SECONDS,
        "slurm_account": None,
        "worker_init": [],
        "local_root": local,
        "remote_root": str(remote),
        "user_cache_dir": str(shared_dir / "cache"),
    } | site
    submissions = SubmissionLog()
    return Job(local, remote, SlurmExecutor(SlurmSite(**options), submissions), submissions)


@pytest.fixture(params=["sudo", "ssh"])
async def transport(request: pytest.FixtureRequest, slurm_user: str) -> AsyncIterator[Transport]:
    """Each test using it runs once through sudo and once through ssh."""
    if request.param == "sudo":
        chosen: Transport = SudoTransport(slurm_user)
    else:
        server: SSHServer = request.getfixturevalue("sshd")
        chosen = SSHTransport(server.host, server.port, server.username, server.key_path)
    yield chosen
    await chosen.close()


@pytest.fixture
def job(transport: Transport, worker_python: Path, shared_dir: Path, tmp_path: Path) -> Job:
    """A job run through each transport in turn."""
    return make_job(transport, worker_python, shared_dir, tmp_path)


@pytest.fixture
def sudo_job(slurm_user: str, worker_python: Path, shared_dir: Path, tmp_path: Path) -> Job:
    """A job run through sudo only, for what does not depend on the transport."""
    return make_job(SudoTransport(slurm_user), worker_python, shared_dir, tmp_path)


async def root(*argv: str) -> str:
    """Run a command as root (the tests' own user), its stdout."""
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, (argv, stderr)
    return stdout.decode()


async def slurm_states(job_ids: Sequence[int]) -> dict[int, str]:
    listed = await root(
        "squeue", "-h", "-t", "all", "-j", ",".join(map(str, job_ids)), "-o", "%i %T"
    )
    return {int(i): state for i, state in (line.split() for line in listed.splitlines())}


async def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.1)


def says(path: Path, text: str) -> Callable[[], bool]:
    return lambda: path.exists() and text in path.read_text()


# -- running units ----------------------------------------------------------------------


async def test_units_run_in_batches_and_their_files_come_back(job: Job, slurm_user: str) -> None:
    (job.local / "in").mkdir()
    units = []
    for i in range(5):
        source = job.local / "in" / f"{i}.txt"
        source.write_text(f"input {i}\n")
        output = job.local / "out" / f"{i}.txt"  # a folder that exists on neither side yet
        script = 'echo "$0 as $(id -un) in $(pwd)"; cat "$1" > "$2"; echo done >> "$2"'
        units.append(job.unit(f"unit-{i}", script, source, output))
    meta = {"tasks_per_job": 3, "parallel_tasks_per_job": 2}  # unit 2 waits for a lane

    outcomes = await job.run(units, meta=meta)

    assert [(o.returncode, o.stopped, o.error) for o in outcomes] == [(0, False, None)] * 5
    for i, outcome in enumerate(outcomes):
        assert outcome.started_at is not None and outcome.ended_at is not None
        assert outcome.started_at <= outcome.ended_at
        assert (job.local / "out" / f"{i}.txt").read_text() == f"input {i}\ndone\n"
        assert job.log_text(f"unit-{i}") == f"unit-{i} as {slurm_user} in {job.remote}\n"
    options = slurm_options(RUNNER_CONFIG, meta, None)
    planned = batches(5, plan_batching(5, options, RUNNER_CONFIG["batching_config"]))
    assert [len(indices) for indices in planned] == [3, 2]
    assert len(job.log.jobs) == len(planned)
    assert job.log.submissions == [sorted(job.log.jobs.values())]
    queued, first_two = outcomes[2], outcomes[:2]
    assert queued.started_at >= min(o.ended_at for o in first_two)  # type: ignore[operator,type-var]
    batch = job.local / "logs" / "slurm" / "unit-0"
    assert (batch / "submit.sh").exists() and (batch / "unit-2-output.json").exists()


async def test_a_failing_unit_and_a_missing_command(job: Job) -> None:
    missing = "/nonexistent/qfractal-nope"
    units = [
        job.unit("fine", "echo fine"),
        job.unit("failing", "echo about to fail; exit 3"),
        Unit([missing, "x"], job.local, None, job.local / "logs" / "missing.log"),
    ]

    fine, failing, absent = await job.run(units)

    assert (fine.returncode, fine.error) == (0, None)
    assert (failing.returncode, failing.error, failing.ok) == (3, None, False)
    assert job.log_text("failing") == "about to fail\n"
    assert absent.returncode is None and absent.started_at is not None
    assert absent.error is not None
    assert absent.error.startswith("the SLURM worker failed: FileNotFoundError:")
    assert missing in absent.error
    log = job.log_text("missing")
    assert f"qfractal: cannot start {missing}" in log
    assert "Traceback (most recent call last)" in log


async def test_a_job_slurm_kills_reports_its_state_and_stderr(job: Job) -> None:
    """The path of a job killed at its time limit (TIMEOUT), taken here by a job cancelled
    by someone else (the admin, root): SLURM's smallest time limit is a minute, checked
    every 30 s, too slow for the suite."""
    units = [job.unit("sleeper", "echo started; exec sleep 60"), job.unit("queued", "echo never")]
    running = asyncio.create_task(job.run(units, meta=ONE_LANE_PER_JOB))
    await wait_until(says(job.remote_log("sleeper"), "started"), "the sleeper runs")
    (slurm_job_id,) = job.log.jobs.values()
    await root("scancel", str(slurm_job_id))

    sleeper, queued = await asyncio.wait_for(running, 60)

    killed = rf"SLURM job {slurm_job_id} ended \(CANCELLED\)"
    assert sleeper.returncode == -15 and not sleeper.stopped
    assert re.match(
        rf"{killed} and killed this unit; its stderr:\n.*CANCELLED AT", f"{sleeper.error}", re.S
    )
    assert queued.returncode is None and not queued.stopped
    assert re.match(rf"{killed} without a result for this unit; its stderr:\n", f"{queued.error}")
    assert job.log_text("sleeper").startswith("started\nqfractal: SLURM job")
    assert "CANCELLED AT" in job.log_text("sleeper")
    assert "CANCELLED AT" in job.log_text("queued")


async def test_a_stop_cancels_the_jobs(job: Job) -> None:
    sleep = "echo started; exec sleep 60"
    units = [
        job.unit("quick", "echo quick"),
        job.unit("sleeper-a", sleep),
        job.unit("sleeper-b", sleep),
        job.unit("queued", "echo never"),
    ]
    stop = asyncio.Event()
    running = asyncio.create_task(job.run(units, meta=ONE_LANE_PER_JOB, stop=stop))
    for name in ("sleeper-a", "sleeper-b"):
        await wait_until(says(job.remote_log(name), "started"), f"{name} runs")

    stop.set()
    stopped_at = time.monotonic()
    quick, *stopped = await asyncio.wait_for(running, 60)

    assert time.monotonic() - stopped_at < 10
    assert (quick.returncode, quick.stopped, quick.error) == (0, False, None)
    assert [(o.returncode, o.stopped, o.error) for o in stopped] == [
        (-15, True, None),
        (-15, True, None),
        (None, True, None),
    ]
    assert all(o.started_at is not None for o in stopped[:2])
    assert (stopped[2].started_at, stopped[2].ended_at) == (None, None)  # never started
    assert job.log_text("sleeper-a") == f"started\nqfractal: {STOPPED}\n"
    assert set((await slurm_states(list(job.log.jobs.values()))).values()) == {"CANCELLED"}


async def test_a_cancelled_call_leaves_its_jobs_to_a_second_call(job: Job) -> None:
    """A server that shuts down cancels the call; once restarted it calls again with the
    same units and follows the same SLURM jobs rather than submitting new ones."""
    units = [job.unit(f"unit-{i}", 'sleep 4; echo "$0 done"') for i in range(2)]
    first = asyncio.create_task(job.run(units))
    await wait_until(lambda: bool(job.log.jobs), "the batch is submitted")
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    (slurm_job_id,) = job.log.jobs.values()
    assert (await slurm_states([slurm_job_id]))[slurm_job_id] in {"PENDING", "RUNNING"}

    outcomes = await job.run(units)

    assert [(o.returncode, o.error) for o in outcomes] == [(0, None)] * 2
    assert [job.log_text(f"unit-{i}") for i in range(2)] == ["unit-0 done\n", "unit-1 done\n"]
    assert list(job.log.jobs.values()) == [slurm_job_id]
    assert job.log.submissions == [[slurm_job_id]]  # the second call submitted nothing


async def test_a_call_cancelled_around_its_sbatch_leaves_one_job(job: Job) -> None:
    """Cancelled as its sbatch starts: the job sbatch makes is recorded all the same (or
    none was made), so the second call never submits a duplicate."""
    units = [job.unit(f"unit-{i}", 'echo "$0 done"') for i in range(2)]
    script = job.remote / "logs" / "slurm" / "unit-0" / "submit.sh"
    first = asyncio.create_task(job.run(units))
    while not script.exists():
        await asyncio.sleep(0.005)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first

    outcomes = await job.run(units)

    assert [(o.returncode, o.error) for o in outcomes] == [(0, None)] * 2
    listed = await root("squeue", "-h", "-t", "all", "-u", "slurmtest", "-o", "%i %Z")
    in_folder = [
        int(i) for i, folder in map(str.split, listed.splitlines()) if folder == str(script.parent)
    ]
    assert in_folder == list(job.log.jobs.values())


# -- what reaches the cluster -----------------------------------------------------------


async def test_options_and_worker_init_reach_the_job(
    slurm_user: str, worker_python: Path, shared_dir: Path, tmp_path: Path
) -> None:
    job = make_job(
        SudoTransport(slurm_user),
        worker_python,
        shared_dir,
        tmp_path,
        slurm_account="lab-7",
        worker_init=["export FROM_SITE=site"],
    )
    script = 'echo "$FROM_SITE $FROM_META $SLURM_CPUS_PER_TASK $SLURM_JOB_ACCOUNT"'
    meta = {"mem": "300M", "time": 5, "cpus_per_task": 2, "worker_init": "export FROM_META=meta"}

    (outcome,) = await job.run([job.unit("env", script)], meta=meta)

    assert outcome.ok, outcome
    assert job.log_text("env") == "site meta 2 lab-7\n"
    lines = (job.local / "logs" / "slurm" / "env" / "submit.sh").read_text().splitlines()
    for option in ("--partition=debug", "--mem=300M", "--time=5", "--cpus-per-task=2"):
        assert f"#SBATCH {option}" in lines
    assert "#SBATCH --account=lab-7" in lines
    assert lines.index("export FROM_SITE=site") < lines.index("export FROM_META=meta")
    (slurm_job_id,) = job.log.jobs.values()
    shown = await root("scontrol", "show", "job", str(slurm_job_id))
    assert "TimeLimit=00:05:00" in shown and "Account=lab-7" in shown


async def test_a_worker_of_another_version_refuses_every_unit(
    worker_python: Path, shared_dir: Path, sudo_job: Job
) -> None:
    """A cluster-side qfractal 9.9.9: the installed package with another `__version__`."""
    installed = await root(str(worker_python), "-c", "import qfractal; print(qfractal.__path__[0])")
    package = shared_dir / "other" / "qfractal"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        f'__version__ = "9.9.9"\n__path__.append({installed.strip()!r})\n'
    )
    other = shared_dir / "python-9.9.9"
    other.write_text(f'#!/bin/sh\nPYTHONPATH={package.parent} exec {worker_python} "$@"\n')
    other.chmod(0o755)
    job = replace_site(sudo_job, python_worker=str(other))

    outcomes = await job.run([job.unit(f"unit-{i}", "echo never") for i in range(2)])

    for i, outcome in enumerate(outcomes):
        assert outcome.returncode is None and outcome.error is not None
        assert outcome.error.startswith("the SLURM worker failed: VersionMismatch:")
        assert f"the server runs qfractal {__version__!r}" in outcome.error
        assert "has qfractal '9.9.9'" in outcome.error
        assert "VersionMismatch" in job.log_text(f"unit-{i}")


async def test_a_missing_worker_python_shows_slurms_stderr(sudo_job: Job) -> None:
    job = replace_site(sudo_job, python_worker="/nonexistent/python3")

    (outcome,) = await job.run([job.unit("unit", "echo never")])

    assert outcome.returncode is None and outcome.error is not None
    assert "without a result for this unit; its stderr:" in outcome.error
    assert "/nonexistent/python3" in outcome.error
    assert "/nonexistent/python3" in job.log_text("unit")


def replace_site(job: Job, log: SubmissionLog | None = None, **changes: Any) -> Job:
    """The same job folders with another submission log or other site settings."""
    log = log or job.log
    executor = SlurmExecutor(SlurmSite(**(vars(job.executor.site) | changes)), log)
    return Job(job.local, job.remote, executor, log)


class FailingSubmissionLog(SubmissionLog):
    """A database that goes down after recording the first SLURM job."""

    def __init__(self) -> None:
        super().__init__()
        self.sbatched: list[int] = []

    async def record(self, batch: str, slurm_job_id: int) -> None:
        self.sbatched.append(slurm_job_id)
        if len(self.sbatched) > 1:
            raise RuntimeError("the database is down")
        await super().record(batch, slurm_job_id)


async def test_jobs_nobody_can_follow_are_cancelled(sudo_job: Job) -> None:
    """The second batch's job cannot be recorded: the call fails, and neither job is
    left running (a restarted server would not know the second one)."""
    log = FailingSubmissionLog()
    job = replace_site(sudo_job, log=log)
    units = [job.unit(f"unit-{i}", "exec sleep 30") for i in range(3)]  # two batches

    with pytest.raises(RuntimeError, match="the database is down"):
        await job.run(units)

    sbatched = log.sbatched
    assert len(sbatched) == 2 and list(log.jobs.values()) == sbatched[:1]
    assert log.submissions == [sorted(sbatched)]
    assert set((await slurm_states(sbatched)).values()) == {"CANCELLED"}


async def test_a_stop_before_the_call_submits_nothing(sudo_job: Job) -> None:
    stop = asyncio.Event()
    stop.set()

    outcomes = await sudo_job.run([sudo_job.unit(f"unit-{i}", "true") for i in range(3)], stop=stop)

    assert outcomes == [UnitOutcome(None, True, None, None)] * 3
    assert (sudo_job.log.jobs, sudo_job.log.submissions) == ({}, [])
    assert not sudo_job.remote.exists()


# -- errors before anything runs --------------------------------------------------------


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"account": "x"}, "account: the SLURM account comes from the job's slurm_account"),
        ({"mem": "lots"}, "mem: invalid memory 'lots'"),
        ({"cpus_per_task": 4}, r"one unit of 4 CPUs need 4 CPUs, more than .*max_cpus_per_job"),
    ],
)
async def test_invalid_options_fail_before_anything_is_sent(
    sudo_job: Job, meta: dict[str, Any], message: str
) -> None:
    with pytest.raises(ExecutorError, match=f"^Invalid SLURM options: {message}"):
        await sudo_job.run([sudo_job.unit("unit", "true")], meta=meta)
    assert not sudo_job.remote.exists()
    assert list(sudo_job.local.iterdir()) == []
    assert (sudo_job.log.jobs, sudo_job.log.submissions) == ({}, [])


async def test_a_refused_sbatch_fails_the_call(sudo_job: Job) -> None:
    config = RUNNER_CONFIG | {"default_slurm_config": {"partition": "nosuchpartition", "mem": 100}}
    job = replace_site(sudo_job, runner_config=config)

    with pytest.raises(ExecutorError, match=r"sbatch of .*submit\.sh failed: .*invalid partition"):
        await job.run([job.unit(f"unit-{i}", "true") for i in range(3)])
    assert (job.log.jobs, job.log.submissions) == ({}, [])


def transports_that_cannot_log_in(sshd: SSHServer, tmp_path: Path) -> list[tuple[Transport, str]]:
    stranger = str(make_key(tmp_path / "stranger"))
    login_refused = "ssh login as {} on 127.0.0.1:2222 refused: wrong username, or the key"
    return [
        (SudoTransport("qfractal-no-such-user"), "sudo: unknown user 'qfractal-no-such-user'"),
        (
            SSHTransport(sshd.host, sshd.port, "nosuchuser", sshd.key_path),
            login_refused.format("nosuchuser"),
        ),
        (
            SSHTransport(sshd.host, sshd.port, sshd.username, stranger),
            f"{login_refused.format(sshd.username)} {stranger} is not authorized",
        ),
        (
            SSHTransport(sshd.host, sshd.port, sshd.username, str(tmp_path / "missing")),
            f"bad key {tmp_path}/missing: no such file",
        ),
    ]


async def test_a_cluster_that_refuses_us_fails_before_submitting(
    sshd: SSHServer, worker_python: Path, shared_dir: Path, tmp_path: Path
) -> None:
    for n, (transport, message) in enumerate(transports_that_cannot_log_in(sshd, tmp_path)):
        job = make_job(transport, worker_python, shared_dir, tmp_path / str(n))
        try:
            with pytest.raises(ExecutorError) as raised:
                await job.run([job.unit("unit", "true")])
        finally:
            await transport.close()
        assert str(raised.value).startswith("Could not make the job folders on the cluster: ")
        assert message in str(raised.value)
        assert (job.log.jobs, job.log.submissions) == ({}, [])


async def test_a_unit_past_its_time_limit_ends_timeout_with_its_log(sudo_job: Job) -> None:
    """SLURM's real time limit: its smallest is a minute, enforced up to 30 s later."""
    units = [sudo_job.unit("slow", "echo started; exec sleep 600")]

    (outcome,) = await asyncio.wait_for(sudo_job.run(units, meta={"time": "1"}), 300)

    assert re.match(r"SLURM job \d+ ended \(TIMEOUT\)", f"{outcome.error}"), outcome
    log = sudo_job.log_text("slow")
    assert log.startswith("started\n")
    assert "DUE TO TIME LIMIT" in log


WITHOUT_RULE_SNIPPET = textwrap.dedent(
    """
    import asyncio, json, sys, tempfile
    from pathlib import Path
    from qfractal.compute.executors.base import ExecutorError, Unit
    from qfractal.compute.executors.slurm.executor import SlurmExecutor, SlurmSite
    from qfractal.compute.executors.slurm.sudo import SudoTransport

    class Log:
        async def find(self, batch): return None
        async def record(self, batch, slurm_job_id): raise AssertionError("submitted")
        async def submitted(self, slurm_job_ids): raise AssertionError("submitted")

    async def main(user, shared, python, config):
        local = Path(tempfile.mkdtemp())
        site = SlurmSite(
            transport=SudoTransport(user), runner_config=json.loads(config), python_worker=python,
            poll_interval=0.5, slurm_account=None, worker_init=[], local_root=local,
            remote_root=shared + "/job", user_cache_dir=shared,
        )
        unit = Unit(argv=["true"], cwd=local, env=None, log_path=local / "unit.log")
        try:
            await SlurmExecutor(site, Log()).run_units([unit], parallel=None, stop=asyncio.Event())
        except ExecutorError as error:
            print(error)

    asyncio.run(main(*sys.argv[1:]))
    """
)


def test_a_server_without_the_sudo_rule_fails_before_submitting_and_names_the_rule(
    service_user: ServiceUser, slurm_user: str, worker_python: Path, shared_dir: Path
) -> None:
    """The executor run by a non-root server account (the repo's own Python is out of its
    reach: the executor needs only the standard library)."""
    assert not SUDO_RULE_FILE.exists()
    argv = [slurm_user, str(shared_dir), str(worker_python), json.dumps(RUNNER_CONFIG)]
    code = f"import sys; sys.argv = ['-', *{argv!r}]\n{WITHOUT_RULE_SNIPPET}"

    result = service_user.run_python(code)

    assert result.returncode == 0, result.stderr
    assert "through sudo" in result.stdout and "NOPASSWD" in result.stdout, result.stdout
    assert not (shared_dir / "job").exists()
