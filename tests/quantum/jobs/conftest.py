"""Fixtures of the quantum job tests: an app whose embedded engine runs quantum jobs
quickly, the seeded devices, and helpers that submit jobs and wait for them through the
HTTP API.

A module that sets `pytestmark = pytest.mark.usefixtures("celery_engine")` runs its
jobs on the `celery` engine instead: a real `qfractal worker` on Redis, started once
for the module, on a queue of its own.
"""

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select, update

from qfractal.compute.models import EngineJob
from qfractal.config import Settings
from qfractal.quantum.jobs.workers import close_pool
from tests.compute.engine.celery_worker import REDIS, delete_queue, worker
from tests.conftest import TEST_JWT_SECRET, Account
from tests.quantum.api.conftest import other_user, seeded, user

__all__ = ["other_user", "seeded", "user"]

QUICK_ENGINE: dict[str, Any] = {
    "engine_heartbeat_seconds": 0.2,
    "engine_lease_seconds": 20.0,
}
"""Stop requests are seen within 0.2 s; a lease long enough for a busy test machine."""

DEVICES = {
    "aer": ("IBM", "aer_simulator"),
    "braket": ("AWS", "local_simulator"),
    "pyquil": ("RIGETTI", "9q-qvm"),
}
"""The local devices, one per simulator."""

ENDED = ("FINISHED", "ERROR", "CANCELED")


@dataclass(frozen=True)
class CeleryWorker:
    queue: str
    log: Path
    process: Any


@pytest.fixture(scope="module")
def worker_env() -> dict[str, str]:
    """Settings (`QFRACTAL_*` variables) of the module's Celery worker beyond the
    test database and queue; a module may override this fixture."""
    return {}


@pytest.fixture(scope="module")
def celery_worker(
    migrated_database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    worker_env: dict[str, str],
) -> Iterator[CeleryWorker]:
    """A `qfractal worker` on the test database, for the module's tests."""
    folder = tmp_path_factory.mktemp("celery-worker")
    queue = f"qfractal-test-quantum-{os.getpid()}-{time.monotonic_ns() % 10**8}"
    settings = Settings(
        data_dir=folder / "data",
        database_url=migrated_database_url,
        jwt_secret=TEST_JWT_SECRET,
        _env_file=None,
        engine="celery",
        celery_broker_url=SecretStr(REDIS),
        celery_queue=queue,
        **QUICK_ENGINE,
    )
    try:
        with worker(settings, folder / "worker.log", **worker_env) as process:
            yield CeleryWorker(queue, folder / "worker.log", process)
    finally:
        delete_queue(REDIS, queue)


@pytest.fixture
def engine_settings() -> dict[str, Any]:
    """Settings of the test's engine (a module or test may override this fixture)."""
    return {}


@pytest.fixture
def settings(
    settings: Settings, engine_settings: dict[str, Any], request: pytest.FixtureRequest
) -> Settings:
    values = {**QUICK_ENGINE, **engine_settings}
    if "celery_engine" in request.fixturenames:
        running: CeleryWorker = request.getfixturevalue("celery_worker")
        assert running.process.poll() is None, f"the worker died:\n{running.log.read_text()}"
        values |= {
            "engine": "celery",
            "celery_broker_url": SecretStr(REDIS),
            "celery_queue": running.queue,
        }
    return settings.model_copy(update=values)


@pytest.fixture
def celery_engine() -> None:
    """Marker fixture: the test's jobs run on the module's Celery worker."""


@pytest.fixture
async def app(app: FastAPI) -> AsyncIterator[FastAPI]:
    """The app; afterwards, every job the test left queued or running is stopped and
    ended (a Celery worker outlives the test's app; the embedded engine would cancel a
    running handler at shutdown), and the test's worker pool is closed (each test has
    an event loop, and so a pool, of its own)."""
    yield app
    await _end_leftover_jobs(app)
    await close_pool()


async def _end_leftover_jobs(app: FastAPI, timeout: float = 60) -> None:
    """Ask the engine to stop every unfinished job and wait until none runs (a queued job
    with a stop request is never claimed)."""
    unfinished = EngineJob.status.in_(["queued", "running"])
    async with app.state.database.sessionmaker() as session, session.begin():
        await session.execute(update(EngineJob).where(unfinished).values(stop_requested=True))
    deadline = time.monotonic() + timeout
    while True:
        async with app.state.database.sessionmaker() as session:
            running = EngineJob.status == "running"
            left = list(await session.scalars(select(EngineJob.id).where(running)))
        if not left:
            return
        assert time.monotonic() < deadline, f"engine jobs {left} never ended"
        await asyncio.sleep(0.1)


async def submit(
    client: httpx.AsyncClient,
    account: Account,
    deployment_id: int | None,
    device: str = "aer",
    *,
    shots: int = 1000,
    expect: int = 201,
    **extra: Any,
) -> dict[str, Any]:
    """POST a job on one of `DEVICES`; return the response body."""
    provider, name = DEVICES.get(device, (None, device))
    body: dict[str, Any] = {
        "name": f"job on {name}",
        "providerName": provider,
        "deviceName": name,
        "shots": shots,
        "type": "RUNNER",
        "token": "",
    }
    if deployment_id is not None:
        body["deploymentId"] = deployment_id
    body.update(extra)
    body = {key: value for key, value in body.items() if value is not None}
    response = await client.post("/quantum/jobs/", json=body, headers=account.headers)
    assert response.status_code == expect, response.text
    return response.json()


async def get_job(client: httpx.AsyncClient, account: Account, job_id: int) -> dict[str, Any]:
    response = await client.get(f"/quantum/jobs/{job_id}/", headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def wait_for_job(
    client: httpx.AsyncClient,
    account: Account,
    job_id: int,
    states: tuple[str, ...] = ENDED,
    *,
    timeout: float = 300,
) -> dict[str, Any]:
    """Poll the job until its state is one of `states`; return it (the timeout is for a
    busy machine: most jobs end within seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        job = await get_job(client, account, job_id)
        if job["state"] in states:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['state']}: {job}"
        await asyncio.sleep(0.05)


def results_by_program(job: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """`{program link: {result type: result}}` of a job."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for result in job["results"]:
        found.setdefault(result["program"], {})[result["resultType"]] = result
    return found
