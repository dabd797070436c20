"""A workflow job whose engine process is killed with SIGKILL mid-job: a `qfractal worker`
of the Celery engine, or a `qfractal serve` running the embedded engine. Another engine
process (the test's app: the Celery API side, or the server restarted) fails the job
within the lease time, with the reason last in its log and its history failed.

A killed process cannot stop the calls it started (docs/engine.md): the test kills them.
"""

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from qfractal.compute.engine.worker import lost_heartbeats
from qfractal.config import Settings
from tests.compute.engine.celery_worker import REDIS, delete_queue, worker
from tests.compute.engine.conftest import process_env, wait_until
from tests.conftest import TEST_JWT_SECRET, Account
from tests.e2e.live_server import live_server
from tests.workflows.jobs.conftest import engine_job
from tests.workflows.runner.conftest import celery_settings, new_queue
from tests.workflows.runner.helpers import (
    history,
    slow_workflow,
    started_calls,
    submit,
    wait_for_job,
)

pytestmark = pytest.mark.e2e

LEASE = 3.0


@pytest.fixture(params=["worker", "serve"], ids=["celery-worker", "embedded-serve"])
def killed(request: pytest.FixtureRequest) -> str:
    """What is killed: a Celery `qfractal worker`, or a `qfractal serve` (embedded)."""
    return request.param


@pytest.fixture
def settings(settings: Settings, killed: str) -> Iterator[Settings]:
    """A short lease; for a worker, the Celery engine on a queue of the test's own."""
    values = {"engine_lease_seconds": LEASE}
    if killed == "serve":
        yield settings.model_copy(update=values)
        return
    queue = new_queue()
    yield settings.model_copy(update=values | celery_settings(queue))
    delete_queue(REDIS, queue)


@contextlib.asynccontextmanager
async def engine_process(
    killed: str, app: FastAPI, client: httpx.AsyncClient, tmp_path: Path
) -> AsyncIterator[tuple[subprocess.Popen[bytes] | subprocess.Popen[str], httpx.AsyncClient]]:
    """The process that will run the job, and a client whose submissions go to it."""
    settings: Settings = app.state.settings
    if killed == "worker":
        with worker(settings, tmp_path / "worker.log") as process:
            yield process, client  # the app sends its jobs to the worker's queue
        return
    await app.state.engine.stop()  # the app must not take the job; it restarts below
    env = process_env(settings, QFRACTAL_JWT_SECRET=TEST_JWT_SECRET)
    with live_server(env, init=False) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as remote:
            yield server.process, remote


async def test_a_killed_engine_process_s_job_fails_as_lost_within_the_lease(
    app: FastAPI, client: httpx.AsyncClient, user: Account, tmp_path: Path, killed: str
) -> None:
    setup, pid_dir = await slow_workflow(client, user, tmp_path, images=2)
    calls: list[tuple[int, int]] = []
    try:
        async with engine_process(killed, app, client, tmp_path) as (process, api):
            job_id = (await submit(api, user, setup))["id"]
            calls = await started_calls(pid_dir, 2)
            lost_worker = (await engine_job(app, job_id)).worker_id  # type: ignore[union-attr]
            assert lost_worker is not None and f":{process.pid}:" in lost_worker
            process.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
        if killed == "serve":
            await app.state.engine.start()  # the server, restarted (its lifespan stops it)

        job = await wait_for_job(client, user, setup, job_id, archived=False, timeout=LEASE + 10)
        elapsed = time.monotonic() - killed_at
    finally:
        for pid, _ in calls:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)

    assert LEASE - 1 < elapsed < LEASE + 2, f"failed {elapsed:.1f} s after the kill"
    reason = lost_heartbeats(lost_worker)
    assert job["status"] == "failed" and job["end_timestamp"] is not None
    log = job["log"]
    assert 'START task 0 "slow" (parallel): 2 input image(s)' in log  # the log so far
    assert log.rstrip().endswith(f"JOB ERROR in job {job_id}:\n{reason}")
    assert Path(job["working_dir"], "workflow.log").read_text() == log  # not archived

    async def engine_job_ended() -> bool:  # just after the job: its handler's `lost` came first
        return (await engine_job(app, job_id)).status == "failed"  # type: ignore[union-attr]

    await wait_until(engine_job_ended, timeout=5, what="the engine job failed")
    assert (await engine_job(app, job_id)).error == reason  # type: ignore[union-attr]
    found = await history(app)
    (run,) = found.runs
    assert run.status == "failed"
    assert [unit.status for unit in found.units[run.id]] == ["failed", "failed"]
