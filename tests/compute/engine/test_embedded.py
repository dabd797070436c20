"""The embedded engine with real handlers running real subprocesses."""

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from qfractal.compute.engine.embedded import EmbeddedEngine
from qfractal.compute.models import EngineJob
from qfractal.config import Settings
from qfractal.db.types import utc_now
from tests.compute.checks import group_is_gone, max_overlap
from tests.compute.engine.command_handler import (
    STUBBORN_KIND,
    make_resumable,
    report,
    write_commands,
)
from tests.compute.engine.conftest import (
    HEARTBEAT,
    LEASE,
    SessionMaker,
    enqueue,
    load,
    pgid_command,
    read_pgid,
    request_stop,
    runtime,
    wait_for_status,
    wait_until,
)

SLEEP = [sys.executable, "-c", "import time; time.sleep(0.8)"]


async def started(settings: Settings, ref_id: int) -> None:
    async def check() -> bool:
        return report(settings, ref_id, "started") is not None

    await wait_until(check, what=f"job {ref_id} to start")


@pytest.fixture
async def engine(settings: Settings, sessionmaker: SessionMaker) -> AsyncIterator[EmbeddedEngine]:
    engine = EmbeddedEngine(runtime(settings, sessionmaker))
    await engine.start()
    yield engine
    await engine.stop()


async def test_runs_queued_jobs_up_to_engine_workers_at_once(
    settings: Settings, sessionmaker: SessionMaker, engine: EmbeddedEngine
) -> None:
    job_ids = []
    for ref_id in (1, 2, 3):
        write_commands(settings, ref_id, SLEEP)
        job_ids.append(await enqueue(sessionmaker, ref_id))
    await engine.wake()

    jobs = [await wait_for_status(sessionmaker, job_id, "done") for job_id in job_ids]

    assert [report(settings, ref_id, "done") for ref_id in (1, 2, 3)] == ["", "", ""]
    assert max_overlap((job.started_at, job.finished_at) for job in jobs) == 2
    assert {job.worker_id for job in jobs} == {engine.worker_id}
    assert all(job.error is None and job.heartbeat_at is not None for job in jobs)


async def test_wake_starts_a_job_before_the_next_poll(
    settings: Settings, sessionmaker: SessionMaker
) -> None:
    slow = settings.model_copy(update={"engine_heartbeat_seconds": 30, "engine_lease_seconds": 60})
    engine = EmbeddedEngine(runtime(slow, sessionmaker))
    await engine.start()
    try:
        write_commands(settings, 1, ["true"])
        job_id = await enqueue(sessionmaker, 1)
        began = time.monotonic()
        await engine.wake(job_id)
        # well before the next poll (30 s), even on a busy machine
        await wait_for_status(sessionmaker, job_id, "done", timeout=20)
        assert time.monotonic() - began < 20
    finally:
        await engine.stop()


async def test_a_failing_handler_fails_the_job_with_its_error(
    settings: Settings, sessionmaker: SessionMaker, engine: EmbeddedEngine
) -> None:
    write_commands(settings, 1, [sys.executable, "-c", "raise SystemExit(2)"])
    job_id = await enqueue(sessionmaker, 1)

    job = await wait_for_status(sessionmaker, job_id, "failed")

    assert job.error == "units [0] of job 1 failed"
    assert job.finished_at is not None
    assert report(settings, 1, "lost") is None


async def test_stopping_a_queued_job_fails_it_before_it_starts(
    settings: Settings, sessionmaker: SessionMaker, tmp_path: Path
) -> None:
    one_worker = settings.model_copy(update={"engine_workers": 1})
    engine = EmbeddedEngine(runtime(one_worker, sessionmaker))
    await engine.start()
    try:
        write_commands(settings, 1, pgid_command(tmp_path / "pgid"))
        await enqueue(sessionmaker, 1)
        await read_pgid(tmp_path / "pgid")  # the only worker is busy with job 1
        write_commands(settings, 2, ["true"])
        waiting = await enqueue(sessionmaker, 2)

        assert await request_stop(sessionmaker, 2)
        await engine.wake()
        job = await wait_for_status(sessionmaker, waiting, "failed", timeout=20)
    finally:
        await engine.stop()

    assert job.error == "stopped by user before it started"
    assert job.started_at is None and job.finished_at is not None
    assert report(settings, 2, "lost") == "stopped by user before it started\n"
    assert report(settings, 2, "started") is None


async def test_stopping_a_running_job_kills_its_processes(
    settings: Settings, sessionmaker: SessionMaker, engine: EmbeddedEngine, tmp_path: Path
) -> None:
    write_commands(settings, 1, pgid_command(tmp_path / "pgid"))
    job_id = await enqueue(sessionmaker, 1)
    await engine.wake()
    pgid = await read_pgid(tmp_path / "pgid")

    assert await request_stop(sessionmaker, 1)
    job = await wait_for_status(sessionmaker, job_id, "failed", timeout=20)

    assert job.error == "stopped by user: units [0] of job 1 failed"
    assert group_is_gone(pgid)
    assert report(settings, 1, "lost") is None  # `run` ended on its own
    assert not await request_stop(sessionmaker, 1)  # nothing left to stop


async def test_a_handler_that_ignores_a_stop_is_cancelled_after_the_lease(
    settings: Settings, sessionmaker: SessionMaker, engine: EmbeddedEngine
) -> None:
    job_id = await enqueue(sessionmaker, 1, kind=STUBBORN_KIND)
    await engine.wake()
    await started(settings, 1)

    began = time.monotonic()
    assert await request_stop(sessionmaker, 1, kind=STUBBORN_KIND)
    job = await wait_for_status(sessionmaker, job_id, "failed")

    assert LEASE <= time.monotonic() - began < LEASE + 10 * HEARTBEAT
    assert job.error == "stopped by user"
    assert report(settings, 1, "cancelled") == ""
    assert report(settings, 1, "lost") == "stopped by user\n"


async def test_a_new_engine_runs_the_jobs_left_queued(
    settings: Settings, sessionmaker: SessionMaker
) -> None:
    """Jobs queued while no engine ran (a server that stopped) are run by the next one."""
    job_ids = []
    for ref_id in (1, 2):
        write_commands(settings, ref_id, ["true"])
        job_ids.append(await enqueue(sessionmaker, ref_id))

    engine = EmbeddedEngine(runtime(settings, sessionmaker))
    await engine.start()
    try:
        for job_id in job_ids:
            await wait_for_status(sessionmaker, job_id, "done")
    finally:
        await engine.stop()


async def test_shutdown_fails_the_running_job_and_kills_its_processes(
    settings: Settings, sessionmaker: SessionMaker, tmp_path: Path
) -> None:
    engine = EmbeddedEngine(runtime(settings, sessionmaker))
    await engine.start()
    write_commands(settings, 1, pgid_command(tmp_path / "pgid"))
    job_id = await enqueue(sessionmaker, 1)
    await engine.wake()
    pgid = await read_pgid(tmp_path / "pgid")

    await engine.stop()

    job = await load(sessionmaker, job_id)
    reason = f"worker {engine.worker_id} shut down while the job was running"
    assert (job.status, job.error) == ("failed", reason)
    assert report(settings, 1, "lost") == reason + "\n"
    assert group_is_gone(pgid)


async def test_shutdown_queues_a_resumable_job_again_for_the_next_engine(
    settings: Settings, sessionmaker: SessionMaker, tmp_path: Path
) -> None:
    engine = EmbeddedEngine(runtime(settings, sessionmaker))
    await engine.start()
    write_commands(settings, 1, pgid_command(tmp_path / "pgid"))
    make_resumable(settings, 1)
    job_id = await enqueue(sessionmaker, 1)
    await engine.wake()
    await read_pgid(tmp_path / "pgid")

    await engine.stop()

    job = await load(sessionmaker, job_id)
    assert (job.status, job.worker_id, job.error) == ("queued", None, None)
    assert report(settings, 1, "lost") is None
    write_commands(settings, 1, ["true"])  # what the resumed run has left to do
    restarted = EmbeddedEngine(runtime(settings, sessionmaker))
    await restarted.start()
    try:
        job = await wait_for_status(sessionmaker, job_id, "done")
    finally:
        await restarted.stop()
    assert report(settings, 1, "started") == engine.worker_id + restarted.worker_id


async def test_a_resumable_job_whose_worker_vanished_is_queued_again_and_run(
    settings: Settings, sessionmaker: SessionMaker, engine: EmbeddedEngine
) -> None:
    write_commands(settings, 1, ["true"])
    make_resumable(settings, 1)
    async with sessionmaker() as session, session.begin():
        row = EngineJob(
            kind="test.command",
            ref_id=1,
            status="running",
            worker_id="gone-host:4242:abcdef",
            started_at=utc_now(),
            heartbeat_at=utc_now(),
        )
        session.add(row)

    job = await wait_for_status(sessionmaker, row.id, "done")

    assert job.worker_id == engine.worker_id
    assert report(settings, 1, "lost") is None
    assert report(settings, 1, "started") == engine.worker_id


async def test_a_job_whose_worker_vanished_is_failed_by_the_sweeper(
    settings: Settings, sessionmaker: SessionMaker, engine: EmbeddedEngine
) -> None:
    """A running row whose worker stopped beating (a crashed process on another host)."""
    now = utc_now()
    async with sessionmaker() as session, session.begin():
        row = EngineJob(
            kind="test.command",
            ref_id=1,
            status="running",
            worker_id="gone-host:4242:abcdef",
            started_at=now,
            heartbeat_at=now,
        )
        session.add(row)
    began = time.monotonic()

    job = await wait_for_status(sessionmaker, row.id, "failed")

    assert LEASE - 0.2 <= time.monotonic() - began < LEASE + 10 * HEARTBEAT
    reason = "worker gone-host:4242:abcdef stopped sending heartbeats (lost)"
    assert job.error == reason
    assert report(settings, 1, "lost") == reason + "\n"


async def test_a_worker_that_lost_its_lease_stops_the_job(
    settings: Settings, sessionmaker: SessionMaker, engine: EmbeddedEngine, tmp_path: Path
) -> None:
    """If a sweeper took the lease (the worker was too slow), the worker stops its work
    and writes nothing more to the row."""
    write_commands(settings, 1, pgid_command(tmp_path / "pgid"))
    job_id = await enqueue(sessionmaker, 1)
    await engine.wake()
    pgid = await read_pgid(tmp_path / "pgid")
    async with sessionmaker() as session, session.begin():
        job = await session.get(EngineJob, job_id)
        assert job is not None
        job.worker_id = "a-sweeper"

    async def units_stopped() -> bool:
        return group_is_gone(pgid)

    await wait_until(units_stopped, what="the units to stop")

    job = await load(sessionmaker, job_id)
    assert (job.status, job.worker_id, job.error) == ("running", "a-sweeper", None)
    assert report(settings, 1, "lost") is None


async def test_jobs_of_kinds_without_a_handler_stay_queued(
    sessionmaker: SessionMaker, engine: EmbeddedEngine
) -> None:
    job_id = await enqueue(sessionmaker, 1, kind="test.nobody")
    await engine.wake()
    await asyncio.sleep(5 * HEARTBEAT)
    assert (await load(sessionmaker, job_id)).status == "queued"


async def test_the_app_runs_jobs_with_its_engine(app: FastAPI, settings: Settings) -> None:
    engine = app.state.engine
    assert isinstance(engine, EmbeddedEngine)
    write_commands(settings, 7, ["true"])
    sessionmaker = app.state.database.sessionmaker
    job_id = await enqueue(sessionmaker, 7)
    await engine.wake(job_id)
    await wait_for_status(sessionmaker, job_id, "done")
    assert report(settings, 7, "done") == ""
