"""Fixtures of the runner tests: the mock task package in a real venv, its tasks
registered for the test user, and an app whose job engine runs workflow jobs.

The venv is built once for the package (a pip install, ~10 s); each test registers the
installed package's tasks through custom collection, which installs nothing.

The engine is `embedded` unless a test is parametrized with `both_engines`: its
`celery` variant has an app that sends the jobs to Redis, on a queue of the module's
own, where a real `qfractal worker` started once per module runs them.
"""

import asyncio
import json
import subprocess
import sys
import uuid
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
from tests.compute.engine.celery_worker import REDIS, delete_queue, worker
from tests.conftest import TEST_JWT_SECRET, Account
from tests.mock_tasks import MOCK_PACKAGE, MOCK_VERSION, MockWheels

MANIFEST = MOCK_PACKAGE / "src" / "qfractal_tasks_mock" / "__FRACTAL_MANIFEST__.json"
SCRIPTED_TASK = Path(__file__).parent / "scripted_task.py"

QUICK_ENGINE: dict[str, Any] = {
    "engine_handler_modules": ["qfractal.workflows.runner.registration"],
    "engine_heartbeat_seconds": 0.2,
    "engine_lease_seconds": 20.0,
}
"""Stop requests are seen within 0.2 s; a lease long enough for a busy test machine."""

ENGINES = ["embedded", pytest.param("celery", marks=pytest.mark.e2e)]
both_engines = pytest.mark.parametrize("engine_name", ENGINES, indirect=True)
"""Run a test whose jobs go through the engine once per engine."""


def celery_settings(queue: str) -> dict[str, Any]:
    """Settings of an app (or worker) of the `celery` engine on Redis, on `queue`."""
    return {"engine": "celery", "celery_broker_url": SecretStr(REDIS), "celery_queue": queue}


def new_queue() -> str:
    """A Celery queue name of the test's own."""
    return f"qfractal-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def engine_name(request: pytest.FixtureRequest) -> str:
    """The engine of the test's app: `embedded`, or `celery` (see `both_engines`)."""
    return getattr(request, "param", "embedded")


@dataclass(frozen=True)
class CeleryWorker:
    queue: str
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture(scope="module")
def celery_worker(
    migrated_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CeleryWorker]:
    """A `qfractal worker` on the test database, for the module's `celery` tests."""
    folder = tmp_path_factory.mktemp("celery-worker")
    settings = Settings(
        data_dir=folder / "data",
        database_url=migrated_database_url,
        jwt_secret=TEST_JWT_SECRET,
        _env_file=None,
        **QUICK_ENGINE,
        **celery_settings(new_queue()),
    )
    try:
        with worker(settings, folder / "worker.log") as process:
            yield CeleryWorker(settings.celery_queue, process, folder / "worker.log")
    finally:
        delete_queue(REDIS, settings.celery_queue)


@pytest.fixture
def settings(settings: Settings, engine_name: str, request: pytest.FixtureRequest) -> Settings:
    """The test settings, with the runner registered and a quick engine; for `celery`,
    the queue of the module's worker."""
    values = dict(QUICK_ENGINE)
    if engine_name == "celery":
        running: CeleryWorker = request.getfixturevalue("celery_worker")
        assert running.process.poll() is None, f"the worker died:\n{running.log.read_text()}"
        values |= celery_settings(running.queue)
    return settings.model_copy(update=values)


@pytest.fixture
async def app(app: FastAPI, engine_name: str) -> AsyncIterator[FastAPI]:
    """The app; after a `celery` test, the module's worker has ended the test's jobs
    (stopped if need be), so that none of them runs on into the next test."""
    yield app
    if engine_name == "celery":
        await _end_leftover_jobs(app)


async def _end_leftover_jobs(app: FastAPI, timeout: float = 30) -> None:
    unfinished = EngineJob.status.in_(["queued", "running"])
    async with app.state.database.sessionmaker() as session, session.begin():
        await session.execute(update(EngineJob).where(unfinished).values(stop_requested=True))
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with app.state.database.sessionmaker() as session:
            left = list(await session.scalars(select(EngineJob.id).where(unfinished)))
        if not left:
            return
        assert asyncio.get_running_loop().time() < deadline, f"engine jobs {left} never ended"
        await asyncio.sleep(0.1)


@pytest.fixture(scope="package")
def mock_python(tmp_path_factory: pytest.TempPathFactory, mock_wheels: MockWheels) -> str:
    """The Python of a venv where the mock task package is installed."""
    venv = tmp_path_factory.mktemp("mock-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(mock_wheels.good)],
        check=True,
        capture_output=True,
    )
    return str(python)


@pytest.fixture
async def mock_tasks(client: httpx.AsyncClient, user: Account, mock_python: str) -> dict[str, int]:
    """Task name → id of the mock package's tasks, collected for `user`."""
    response = await client.post(
        "/api/v2/task/collect/custom/",
        json={
            "manifest": json.loads(MANIFEST.read_text()),
            "python_interpreter": mock_python,
            "label": "qfractal-tasks-mock",
            "package_name": "qfractal_tasks_mock",
            "version": MOCK_VERSION,
        },
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    return {task["name"]: task["id"] for task in response.json()}
