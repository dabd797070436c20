"""The executor of a job: local processes, or SLURM through sudo or ssh.

A SLURM job's batches are recorded in `slurm_batch` as they are submitted (the executor's
`SubmissionLog`), with one AccountingRecordSlurm per workflow task's submissions, so
that a restarted server follows the batches again rather than submitting them twice.
"""

import contextlib
import posixpath
from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qfractal.compute.executors.base import Executor
from qfractal.compute.executors.local import LocalExecutor
from qfractal.compute.executors.slurm.executor import SlurmExecutor, SlurmSite
from qfractal.compute.executors.slurm.ssh import SSHTransport
from qfractal.compute.executors.slurm.sudo import SudoTransport
from qfractal.compute.executors.slurm.transport import Transport
from qfractal.workflows.models import AccountingRecordSlurm, SlurmBatch
from qfractal.workflows.runner.errors import JobExecutionError
from qfractal.workflows.runner.job_setup import ClusterSetup, JobSetup

SSH_PORT = 22


class JobSubmissions:
    """The `SubmissionLog` of one job, in the database."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, job_id: int, user_id: int
    ) -> None:
        self.sessionmaker = sessionmaker
        self.job_id = job_id
        self.user_id = user_id

    async def find(self, batch: str) -> int | None:
        async with self.sessionmaker() as session:
            return await session.scalar(
                select(SlurmBatch.slurm_job_id).where(
                    SlurmBatch.job_id == self.job_id, SlurmBatch.folder == batch
                )
            )

    async def record(self, batch: str, slurm_job_id: int) -> None:
        async with self.sessionmaker() as session, session.begin():
            session.add(SlurmBatch(job_id=self.job_id, folder=batch, slurm_job_id=slurm_job_id))

    async def submitted(self, slurm_job_ids: list[int]) -> None:
        async with self.sessionmaker() as session, session.begin():
            session.add(AccountingRecordSlurm(user_id=self.user_id, slurm_job_ids=slurm_job_ids))


def ssh_address(host: str) -> tuple[str, int]:
    """`name` or `name:port` (IPv6: `[address]:port`) as (host, port)."""
    if host.startswith("["):
        address, _, rest = host[1:].partition("]")
        return address, int(rest[1:]) if rest.startswith(":") else SSH_PORT
    if host.count(":") == 1:
        name, port = host.split(":")
        if port.isdigit():
            return name, int(port)
    return host, SSH_PORT


def _transport(resource_type: str, cluster: ClusterSetup) -> Transport:
    if resource_type == "slurm_sudo":
        return SudoTransport(cluster.username)
    assert cluster.host is not None and cluster.ssh_key_path is not None  # check constraints
    host, port = ssh_address(cluster.host)
    return SSHTransport(host, port, cluster.username, cluster.ssh_key_path)


@contextlib.asynccontextmanager
async def open_executor(
    setup: JobSetup, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Executor]:
    """The job's executor, for as long as the job runs (ssh connections are closed after)."""
    cluster = setup.cluster
    if cluster is None:
        yield LocalExecutor()
        return
    if setup.resource_type not in ("slurm_sudo", "slurm_ssh"):
        raise JobExecutionError(f"Unknown resource type {setup.resource_type}.")
    transport = _transport(setup.resource_type, cluster)
    site = SlurmSite(
        transport=transport,
        runner_config=setup.jobs_runner_config,
        python_worker=cluster.python_worker,
        poll_interval=cluster.poll_interval,
        slurm_account=cluster.slurm_account,
        worker_init=[line for line in (cluster.worker_init or "").splitlines() if line.strip()],
        local_root=setup.working_dir,
        remote_root=cluster.remote_root,
        user_cache_dir=posixpath.dirname(cluster.remote_root.rstrip("/")),
    )
    submissions = JobSubmissions(sessionmaker, job_id=setup.job_id, user_id=setup.user_id)
    try:
        yield SlurmExecutor(site, submissions)
    finally:
        await transport.close()
