"""Quantum jobs on the `celery` engine: a real `qfractal worker` on Redis runs them (its
own worker pool and sandbox, its own cloud accounts), the API only records and sends
them."""

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from qfractal.compute.models import EngineJob
from qfractal.quantum.models import QUANTUM_JOB_KIND, Provider
from tests.conftest import Account
from tests.quantum.api.conftest import deploy, program
from tests.quantum.jobs.conftest import (
    DEVICES,
    CeleryWorker,
    results_by_program,
    submit,
    wait_for_job,
)
from tests.quantum.jobs.processes import busy_processes, descendants, wait_until_gone
from tests.quantum.jobs.sources import LONG, braket_python, qiskit_python, quil_python
from tests.quantum.pilots.fake_qmware import KEY, KEY_ID, FakeQmware, running_fake_qmware
from tests.quantum.programs import BELL, assert_counts

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("celery_engine")]


@pytest.fixture(scope="module")
def worker_qmware() -> Iterator[FakeQmware]:
    with running_fake_qmware() as fake:
        yield fake


@pytest.fixture(scope="module")
def worker_env(worker_qmware: FakeQmware) -> dict[str, str]:
    """The worker's QMware account is the fake API's; the app has none (only the worker
    runs jobs, with its own settings)."""
    return {
        "QFRACTAL_QMWARE_URL": worker_qmware.url,
        "QFRACTAL_QMWARE_API_KEY": KEY,
        "QFRACTAL_QMWARE_API_KEY_ID": KEY_ID,
    }


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
    # One process simulates; its pool's other worker may still be importing the SDKs.
    while len(busy := await busy_processes(descendants(celery_worker.process.pid))) != 1:
        assert time.monotonic() < deadline, f"not one process of the worker simulates: {busy}"
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


async def test_cloud_devices_run_with_the_workers_accounts(
    app: FastAPI,
    client: httpx.AsyncClient,
    user: Account,
    seeded: None,
    worker_qmware: FakeQmware,
) -> None:
    async with app.state.database.sessionmaker() as session:
        ibm = await session.scalar(select(Provider.id).where(Provider.name == "IBM"))
    refresh = await client.post(f"/quantum/devices/?provider={ibm}", headers=user.headers)
    assert refresh.status_code == 200, refresh.text
    deployment = await deploy(client, user, programs=[program(BELL.qasm2())])
    runs = {
        "dev": await submit(client, user, deployment["id"], "dev", providerName="QMWARE"),
        "fake_manila": await submit(
            client, user, deployment["id"], "fake_manila", providerName="IBM"
        ),
        "SV1": await submit(
            client, user, deployment["id"], "SV1", providerName="AWS", token="aws-secret"
        ),
    }
    jobs = {
        device: await wait_for_job(client, user, created["id"], timeout=180)
        for device, created in runs.items()
    }
    for device in ("dev", "fake_manila"):
        assert jobs[device]["state"] == "FINISHED", jobs[device]
        (results,) = results_by_program(jobs[device]).values()
        assert sum(results["COUNTS"]["data"].values()) == 1000
    assert set(results_by_program(jobs["dev"]).popitem()[1]["COUNTS"]["data"]) == {"0x0", "0x3"}
    (sent,) = worker_qmware.submitted()
    assert sent["code"]["type"] == "qasm2"
    assert jobs["SV1"]["state"] == "ERROR"
    (error,) = [r["data"]["exception_message"] for r in jobs["SV1"]["results"]]
    assert "QFRACTAL_AWS_ACCESS_KEY_ID" in error and "aws-secret" not in str(jobs["SV1"])
