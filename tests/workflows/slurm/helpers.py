"""What a SLURM workflow job left behind (its `slurm_batch` rows, SLURM accounting, the
queue), and tasks the cluster user can run, for the SLURM workflow tests."""

import asyncio
import contextlib
import io
import subprocess
import zipfile
from collections.abc import Iterable
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from qfractal.workflows.models import AccountingRecordSlurm, SlurmBatch
from tests.conftest import Account
from tests.slurm_cluster import SLURM_USER
from tests.workflows.runner.helpers import Setup, job_url


async def slurm_batches(app: FastAPI, job_id: int) -> list[SlurmBatch]:
    """The job's `slurm_batch` rows, in submission order."""
    async with app.state.database.sessionmaker() as session:
        rows = await session.scalars(
            select(SlurmBatch).where(SlurmBatch.job_id == job_id).order_by(SlurmBatch.id)
        )
        return list(rows)


async def slurm_accounting(app: FastAPI) -> list[AccountingRecordSlurm]:
    async with app.state.database.sessionmaker() as session:
        rows = await session.scalars(
            select(AccountingRecordSlurm).order_by(AccountingRecordSlurm.id)
        )
        return list(rows)


async def wait_for_batches(
    app: FastAPI, job_id: int, count: int, *, timeout: float = 30
) -> list[SlurmBatch]:
    """The job's `slurm_batch` rows, once there are `count` of them."""
    deadline = asyncio.get_running_loop().time() + timeout
    while len(batches := await slurm_batches(app, job_id)) < count:
        assert asyncio.get_running_loop().time() < deadline, f"{len(batches)} batch(es) only"
        await asyncio.sleep(0.1)
    return batches


def squeue_states(ids: Iterable[int], *, states: str = "pending,running") -> dict[int, str]:
    """SLURM job id → state of those of `ids` that the cluster user has in these states
    (the other SLURM tests may have jobs of their own in the queue)."""
    result = subprocess.run(
        ["squeue", "-h", "-u", SLURM_USER, "-t", states, "-o", "%i %T"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    found = dict(line.split() for line in result.stdout.splitlines() if line.strip())
    wanted = {str(slurm_id) for slurm_id in ids}
    return {int(slurm_id): state for slurm_id, state in found.items() if slurm_id in wanted}


async def wait_until_running(ids: Iterable[int], *, timeout: float = 30) -> None:
    wanted = set(ids)
    deadline = asyncio.get_running_loop().time() + timeout
    while set(states := squeue_states(wanted, states="running")) != wanted:
        assert asyncio.get_running_loop().time() < deadline, f"running: {states} of {wanted}"
        await asyncio.sleep(0.2)


async def download(
    client: httpx.AsyncClient, user: Account, setup: Setup, job_id: int
) -> zipfile.ZipFile:
    """The job folder, through `download/`."""
    response = await client.get(job_url(setup, job_id, "download/"), headers=user.headers)
    assert response.status_code == 200, response.text
    return zipfile.ZipFile(io.BytesIO(response.content))


def processes_mentioning(text: str) -> list[str]:
    """Command lines of the running processes that contain `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if text in command:
                    found.append(command)
    return found


async def wait_until_no_process_mentions(text: str, *, timeout: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while found := processes_mentioning(text):
        assert asyncio.get_running_loop().time() < deadline, f"still running: {found}"
        await asyncio.sleep(0.2)
