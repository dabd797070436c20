"""A real `qfractal serve` killed with SIGKILL mid-job: another engine fails the job."""

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest

from qfractal.compute.engine.embedded import EmbeddedEngine
from qfractal.config import Settings
from tests.compute.engine.command_handler import report, write_commands
from tests.compute.engine.conftest import (
    HEARTBEAT,
    LEASE,
    SessionMaker,
    enqueue,
    load,
    pgid_command,
    process_env,
    read_pgid,
    runtime,
    wait_for_status,
)
from tests.e2e.live_server import live_server

pytestmark = pytest.mark.e2e


async def test_a_killed_server_s_job_is_failed_by_the_next_engine(
    settings: Settings, sessionmaker: SessionMaker, tmp_path: Path
) -> None:
    write_commands(settings, 1, pgid_command(tmp_path / "pgid"))
    with live_server(process_env(settings)) as server:
        job_id = await enqueue(sessionmaker, 1)  # the server finds it at its next poll
        pgid = await read_pgid(tmp_path / "pgid")
        lost_worker = (await load(sessionmaker, job_id)).worker_id
        assert lost_worker is not None and f":{server.process.pid}:" in lost_worker
        server.process.kill()
        killed_at = time.monotonic()
    try:
        engine = EmbeddedEngine(runtime(settings, sessionmaker))
        await engine.start()
        try:
            job = await wait_for_status(sessionmaker, job_id, "failed")
        finally:
            await engine.stop()
        assert time.monotonic() - killed_at < LEASE + 10 * HEARTBEAT
        reason = f"worker {lost_worker} stopped sending heartbeats (lost)"
        assert job.error == reason
        assert report(settings, 1, "lost") == reason + "\n"
    finally:  # the killed server could not stop its units
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
