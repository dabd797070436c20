"""The Celery engine with real `qfractal worker` processes and real brokers."""

import contextlib
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from qfractal.compute.engine.celery_app import CeleryEngine
from qfractal.config import Settings
from tests.compute.checks import group_is_gone, max_overlap
from tests.compute.engine.celery_worker import RABBITMQ, REDIS, delete_queue, worker
from tests.compute.engine.command_handler import make_resumable, report, write_commands
from tests.compute.engine.conftest import (
    SessionMaker,
    enqueue,
    load,
    pgid_command,
    process_env,
    read_pgid,
    request_stop,
    runtime,
    wait_for_status,
)
from tests.e2e.live_server import qfractal

pytestmark = pytest.mark.e2e

LEASE = 3.0
"""Longer than the in-process tests' lease: a worker is a separate, busier process."""


@pytest.fixture(params=[REDIS], ids=["redis"])
def broker(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def settings(settings: Settings, broker: str) -> Iterator[Settings]:
    """The test settings with the Celery engine on a queue of this test's own."""
    celery_settings = settings.model_copy(
        update={
            "engine": "celery",
            "engine_lease_seconds": LEASE,
            "celery_broker_url": SecretStr(broker),
            "celery_queue": f"qfractal-test-{uuid.uuid4().hex[:8]}",
        }
    )
    yield celery_settings
    delete_queue(broker, celery_settings.celery_queue)


@pytest.fixture
async def engine(settings: Settings, sessionmaker: SessionMaker) -> AsyncIterator[CeleryEngine]:
    """The API side, as in `qfractal serve`: sends jobs and sweeps."""
    engine = CeleryEngine(runtime(settings, sessionmaker))
    await engine.start()
    yield engine
    await engine.stop()


async def test_a_worker_runs_the_jobs_the_api_sends(
    settings: Settings, sessionmaker: SessionMaker, engine: CeleryEngine, tmp_path: Path
) -> None:
    with worker(settings, tmp_path / "worker.log") as process:
        job_ids = []
        for ref_id in (1, 2):
            write_commands(settings, ref_id, [sys.executable, "-c", "import time; time.sleep(1)"])
            job_ids.append(await enqueue(sessionmaker, ref_id))
            await engine.wake(job_ids[-1])

        jobs = [await wait_for_status(sessionmaker, i, "done", timeout=30) for i in job_ids]

    assert all(f":{process.pid}:" in (job.worker_id or "") for job in jobs)
    assert max_overlap((job.started_at, job.finished_at) for job in jobs) == 2
    assert [report(settings, ref_id, "done") for ref_id in (1, 2)] == ["", ""]


async def test_stopping_a_job_running_on_a_worker(
    settings: Settings, sessionmaker: SessionMaker, engine: CeleryEngine, tmp_path: Path
) -> None:
    with worker(settings, tmp_path / "worker.log"):
        write_commands(settings, 1, pgid_command(tmp_path / "pgid"))
        job_id = await enqueue(sessionmaker, 1)
        await engine.wake(job_id)
        pgid = await read_pgid(tmp_path / "pgid")

        assert await request_stop(sessionmaker, 1)
        job = await wait_for_status(sessionmaker, job_id, "failed")

    assert job.error == "stopped by user: units [0] of job 1 failed"
    assert group_is_gone(pgid)


async def test_a_killed_worker_s_job_is_failed_by_another_sweeper(
    settings: Settings, sessionmaker: SessionMaker, engine: CeleryEngine, tmp_path: Path
) -> None:
    write_commands(settings, 1, pgid_command(tmp_path / "pgid"))
    with worker(settings, tmp_path / "worker.log") as process:
        job_id = await enqueue(sessionmaker, 1)
        await engine.wake(job_id)
        pgid = await read_pgid(tmp_path / "pgid")
        lost_worker = (await load(sessionmaker, job_id)).worker_id
        process.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
    try:
        job = await wait_for_status(sessionmaker, job_id, "failed", timeout=LEASE + 10)
        assert time.monotonic() - killed_at < LEASE + 3
        reason = f"worker {lost_worker} stopped sending heartbeats (lost)"
        assert job.error == reason
        assert report(settings, 1, "lost") == reason + "\n"
    finally:  # a killed worker cannot stop its units
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)


async def test_sigterm_fails_the_running_job_and_the_worker_exits(
    settings: Settings, sessionmaker: SessionMaker, engine: CeleryEngine, tmp_path: Path
) -> None:
    with worker(settings, tmp_path / "worker.log") as process:
        write_commands(settings, 1, pgid_command(tmp_path / "pgid"))
        job_id = await enqueue(sessionmaker, 1)
        await engine.wake(job_id)
        pgid = await read_pgid(tmp_path / "pgid")
        lost_worker = (await load(sessionmaker, job_id)).worker_id

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0

    job = await load(sessionmaker, job_id)
    reason = f"worker {lost_worker} shut down while the job was running"
    assert (job.status, job.error) == ("failed", reason)
    assert report(settings, 1, "lost") == reason + "\n"
    assert group_is_gone(pgid)


async def test_sigterm_sends_a_resumable_job_back_to_the_broker_for_another_worker(
    settings: Settings, sessionmaker: SessionMaker, engine: CeleryEngine, tmp_path: Path
) -> None:
    with worker(settings, tmp_path / "worker.log") as process:
        write_commands(settings, 1, pgid_command(tmp_path / "pgid"))
        make_resumable(settings, 1)
        job_id = await enqueue(sessionmaker, 1)
        await engine.wake(job_id)
        await read_pgid(tmp_path / "pgid")
        first_worker = (await load(sessionmaker, job_id)).worker_id

        write_commands(settings, 1, ["true"])  # what the resumed run has left to do
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0

    assert (await load(sessionmaker, job_id)).status == "queued"
    with worker(settings, tmp_path / "worker-2.log"):
        job = await wait_for_status(sessionmaker, job_id, "done")
    assert job.worker_id != first_worker
    assert report(settings, 1, "lost") is None


@pytest.mark.parametrize("broker", [RABBITMQ], ids=["rabbitmq"])
async def test_rabbitmq_as_the_broker(
    settings: Settings, sessionmaker: SessionMaker, engine: CeleryEngine, tmp_path: Path
) -> None:
    with worker(settings, tmp_path / "worker.log"):
        write_commands(settings, 1, ["true"])
        job_id = await enqueue(sessionmaker, 1)
        await engine.wake(job_id)
        await wait_for_status(sessionmaker, job_id, "done", timeout=30)


def test_the_worker_refuses_a_handler_module_it_cannot_import(settings: Settings) -> None:
    env = process_env(settings, QFRACTAL_ENGINE_HANDLER_MODULES="no_such_module.handlers")
    result = qfractal(env, "worker")
    assert result.returncode == 1
    assert "cannot import a job handler module" in result.stderr
