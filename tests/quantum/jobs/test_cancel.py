"""Canceling jobs: a READY job never runs; a RUNNING job's simulation (in a pool
worker) or Python program (in the sandbox) is killed; the queue route shows the engine's
real queue; active jobs cannot be deleted; a job cut short by a server shutdown resumes
at the next start.

One engine worker (and one pool worker): a second job waits behind a running one.
"""

import asyncio
import time
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select

from qfractal.app import create_app
from qfractal.compute.models import EngineJob
from qfractal.compute.pool import WorkerPool
from qfractal.quantum.jobs.workers import close_pool, current_pool
from qfractal.quantum.models import QUANTUM_JOB_KIND, QuantumJob
from tests.conftest import Account
from tests.quantum.api.conftest import deploy, device_id, program
from tests.quantum.jobs.conftest import get_job, results_by_program, submit, wait_for_job
from tests.quantum.jobs.processes import busy_processes, descendants, wait_until_gone
from tests.quantum.jobs.sources import LONG, MEDIUM

SLEEPY_PYTHON = "import time\ntime.sleep(120)\ncircuit = QuantumCircuit(1, 1)\n"


@pytest.fixture
def engine_settings() -> dict[str, Any]:
    return {"engine_workers": 1}


async def _engine_job(app: FastAPI, job_id: int) -> EngineJob:
    async with app.state.database.sessionmaker() as session:
        found = await session.scalar(
            select(EngineJob).where(EngineJob.kind == QUANTUM_JOB_KIND, EngineJob.ref_id == job_id)
        )
    assert found is not None
    return found


async def _wait_engine_job(app: FastAPI, job_id: int, status: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while (engine_job := await _engine_job(app, job_id)).status != status:
        assert time.monotonic() < deadline, f"engine job of {job_id}: {engine_job.status}"
        await asyncio.sleep(0.05)
    return engine_job.error or ""


async def _simulating_worker(timeout: float = 60) -> tuple[WorkerPool, int]:
    """The pool, once started, and its one worker, once it computes."""
    deadline = time.monotonic() + timeout
    while True:
        pool = current_pool()
        busy = await busy_processes(set(pool.pids)) if pool is not None else set()
        if pool is not None and busy:
            assert len(pool.pids) == 1
            return pool, busy.pop()
        assert time.monotonic() < deadline, "no pool worker simulates"
        await asyncio.sleep(0.05)


async def _command(client: httpx.AsyncClient, account: Account, job_id: int, command: str) -> Any:
    response = await client.post(
        f"/quantum/jobs/{job_id}/", json={"command": command}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_device_queries_do_not_wait_for_a_busy_simulation_pool(
    app: FastAPI, client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    """The one simulation worker runs a long job; Aer's calibration (a query in a pool
    worker) still answers while the job runs."""
    slow = await deploy(client, user, name="slow", programs=[program(LONG)])
    running = (await submit(client, user, slow["id"], shots=10))["id"]
    await _simulating_worker()
    aer = await device_id(app, "aer_simulator")
    calibration = await client.get(f"/quantum/devices/{aer}/calibration/", headers=user.headers)
    assert calibration.status_code == 200 and calibration.json()["backend_name"] == "aer_simulator"
    assert (await get_job(client, user, running))["state"] == "RUNNING"
    await _command(client, user, running, "cancel")


async def test_cancel_ready_and_running_jobs(
    app: FastAPI, client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    slow = await deploy(client, user, name="slow", programs=[program(LONG)])
    bell = await deploy(client, user, name="bell")
    running = (await submit(client, user, slow["id"], shots=10))["id"]
    await wait_for_job(client, user, running, ("RUNNING",))
    waiting = (await submit(client, user, bell["id"]))["id"]
    cloud = (await submit(client, user, bell["id"], "ibm_perth", providerName="IBM", token="t0k"))[
        "id"
    ]

    queue = (await client.get("/quantum/jobs/queue/", headers=user.headers)).json()
    assert queue["runningJob"]["id"] == running
    assert [job["id"] for job in queue["queuedJobs"]] == [waiting, cloud]
    assert queue["queuedJobs"][0]["state"] == "READY"

    for job_id in (running, waiting):
        response = await client.delete(f"/quantum/jobs/{job_id}/", headers=user.headers)
        assert response.status_code == 400
        assert "cancel it first" in response.json()["message"]

    canceled = await _command(client, user, waiting, "cancel")
    assert canceled["state"] == "CANCELED"
    assert canceled["finishedAt"] is not None
    assert canceled["startedAt"] is None
    seed = await client.post(
        f"/quantum/jobs/cancel/{cloud}/", json={"token": ""}, headers=user.headers
    )
    assert seed.status_code == 200
    assert seed.json()["state"] == "CANCELED"
    async with app.state.database.sessionmaker() as session:
        stored = await session.get(QuantumJob, cloud)
        assert stored is not None and stored.provider_token_sealed is None

    pool, worker = await _simulating_worker()
    canceled = await _command(client, user, running, "cancel")
    assert canceled["state"] == "CANCELED"
    assert canceled["finishedAt"] is not None
    await wait_until_gone({worker})
    assert await _wait_engine_job(app, running, "failed") == "stopped by user"
    job = await get_job(client, user, running)
    assert job["state"] == "CANCELED"
    assert job["results"] == []
    assert job["progress"] == 0

    assert await _wait_engine_job(app, waiting, "failed") == "stopped by user before it started"
    for job_id in (waiting, cloud):
        job = await get_job(client, user, job_id)
        assert (job["state"], job["startedAt"], job["results"]) == ("CANCELED", None, [])

    again = await _command(client, user, running, "cancel")
    assert again["state"] == "CANCELED"
    queue = (await client.get("/quantum/jobs/queue/", headers=user.headers)).json()
    assert queue == {"runningJob": None, "queuedJobs": []}
    for job_id in (running, waiting, cloud):
        response = await client.delete(f"/quantum/jobs/{job_id}/", headers=user.headers)
        assert response.status_code == 204

    # the pool replaced its killed worker: the next job runs
    after = (await submit(client, user, bell["id"]))["id"]
    assert (await wait_for_job(client, user, after))["state"] == "FINISHED"
    assert worker not in pool.pids


async def test_cancel_kills_a_python_program_in_the_sandbox(
    app: FastAPI, client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    deployment = await deploy(client, user, programs=[program(SLEEPY_PYTHON, "QISKIT_PYTHON")])
    before = descendants()
    job_id = (await submit(client, user, deployment["id"]))["id"]
    await wait_for_job(client, user, job_id, ("RUNNING",))
    deadline = time.monotonic() + 60
    while not (
        sandbox := descendants() - before - set(current_pool().pids if current_pool() else [])
    ):
        assert time.monotonic() < deadline, "the sandbox never started"
        await asyncio.sleep(0.05)
    started = time.monotonic()
    assert (await _command(client, user, job_id, "cancel"))["state"] == "CANCELED"
    await wait_until_gone(sandbox)
    assert time.monotonic() - started < 20  # not the program's 120 s
    assert await _wait_engine_job(app, job_id, "failed") == "stopped by user"


async def test_a_job_cut_short_by_a_shutdown_resumes_at_the_next_start(
    app: FastAPI, client: httpx.AsyncClient, user: Account, seeded: None
) -> None:
    deployment = await deploy(client, user, programs=[program(), program(MEDIUM), program()])
    job_id = (await submit(client, user, deployment["id"], shots=100))["id"]
    deadline = time.monotonic() + 60
    while (job := await get_job(client, user, job_id))["progress"] < 33:
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.05)
    assert job["state"] == "RUNNING"
    await app.state.engine.stop()  # the server shuts down while the second program runs
    await close_pool()
    assert await _wait_engine_job(app, job_id, "queued") == ""
    job = await get_job(client, user, job_id)
    assert (job["state"], job["progress"]) == ("RUNNING", 33)

    restarted = create_app(app.state.settings)
    async with LifespanManager(restarted):
        transport = httpx.ASGITransport(app=restarted)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as second:
            job = await wait_for_job(second, user, job_id)
        await close_pool()
    assert job["state"] == "FINISHED", job
    assert job["progress"] == 100
    by_program = results_by_program(job)
    assert list(by_program) == [p["self"] for p in deployment["programs"]]
    assert all(list(results) == ["COUNTS", "PROBABILITIES"] for results in by_program.values())
