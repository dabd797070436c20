"""Quantum jobs on the `celery` engine: a real `qfractal worker` on Redis runs them (its
own worker pool and sandbox), the API only records and sends them."""

import asyncio
import time

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from qfractal.compute.models import EngineJob
from qfractal.quantum.models import QUANTUM_JOB_KIND
from tests.conftest import Account
from tests.quantum.api.conftest import deploy, program
from tests.quantum.jobs.conftest import DEVICES, CeleryWorker, submit, wait_for_job
from tests.quantum.jobs.processes import busy_processes, descendants, wait_until_gone
from tests.quantum.jobs.sources import LONG, braket_python, qiskit_python, quil_python
from tests.quantum.programs import BELL, assert_counts

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("celery_engine")]


async def test_every_local_device_runs_text_and_python_programs(
    app: FastAPI, client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    assert app.state.settings.engine == "celery"
    deployment = await deploy(
        client,
        user,
        programs=[
            program(BELL.qasm2()),
            program(BELL.quil(), "QUIL"),
            program(qiskit_python(BELL), "QISKIT_PYTHON"),
            program(braket_python(BELL), "BRAKET_PYTHON"),
            program(quil_python(BELL), "QUIL_PYTHON"),
        ],
    )
    jobs = [await submit(client, user, deployment["id"], device, shots=800) for device in DEVICES]
    for created in jobs:
        job = await wait_for_job(client, user, created["id"], timeout=180)
        assert job["state"] == "FINISHED", job
        counts = [r["data"] for r in job["results"] if r["resultType"] == "COUNTS"]
        assert len(counts) == 5
        for data in counts:
            assert_counts(data, BELL, 800)


async def test_cancel_kills_the_simulation_in_the_workers_pool(
    app: FastAPI,
    client: httpx.AsyncClient,
    user: Account,
    seeded: None,
    celery_worker: CeleryWorker,
) -> None:
    deployment = await deploy(client, user, programs=[program(LONG)])
    job_id = (await submit(client, user, deployment["id"], shots=10))["id"]
    await wait_for_job(client, user, job_id, ("RUNNING",), timeout=180)
    deadline = time.monotonic() + 120
    while not (busy := await busy_processes(descendants(celery_worker.process.pid))):
        assert time.monotonic() < deadline, "no process of the worker simulates"
    response = await client.post(
        f"/quantum/jobs/{job_id}/", json={"command": "cancel"}, headers=user.headers
    )
    assert response.json()["state"] == "CANCELED"
    await wait_until_gone(busy)
    deadline = time.monotonic() + 60
    while True:
        async with app.state.database.sessionmaker() as session:
            engine_job = await session.scalar(
                select(EngineJob).where(
                    EngineJob.kind == QUANTUM_JOB_KIND, EngineJob.ref_id == job_id
                )
            )
        assert engine_job is not None
        if engine_job.status == "failed":
            break
        assert time.monotonic() < deadline, engine_job.status
        await asyncio.sleep(0.1)
    assert engine_job.error == "stopped by user"
    assert celery_worker.process.poll() is None  # the worker itself lives on
