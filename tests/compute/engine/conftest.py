"""Engine fixtures: short heartbeats and leases, a database, the test handlers."""

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qfractal.compute.engine import queue
from qfractal.compute.engine.handlers import registry
from qfractal.compute.engine.worker import Runtime
from qfractal.compute.models import EngineJob
from qfractal.config import Settings
from qfractal.db.session import Database
from tests.compute.engine import command_handler
from tests.compute.engine.command_handler import KIND
from tests.e2e.live_server import server_env

HEARTBEAT = 0.2
LEASE = 1.5

SessionMaker = async_sessionmaker[AsyncSession]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings with short engine intervals."""
    return settings.model_copy(
        update={
            "engine_workers": 2,
            "engine_heartbeat_seconds": HEARTBEAT,
            "engine_lease_seconds": LEASE,
        }
    )


@pytest.fixture
async def sessionmaker(settings: Settings) -> AsyncIterator[SessionMaker]:
    database = Database(settings.resolved_database_url)
    yield database.sessionmaker
    await database.dispose()


def runtime(settings: Settings, sessionmaker: SessionMaker) -> Runtime:
    """What an engine runs on: these settings, this database, the process's handlers."""
    return Runtime(sessionmaker, settings, registry)


async def enqueue(sessionmaker: SessionMaker, ref_id: int, *, kind: str = KIND) -> int:
    async with sessionmaker() as session, session.begin():
        return (await queue.enqueue(session, kind=kind, ref_id=ref_id)).id


async def request_stop(sessionmaker: SessionMaker, ref_id: int, *, kind: str = KIND) -> bool:
    async with sessionmaker() as session, session.begin():
        return await queue.request_stop(session, kind=kind, ref_id=ref_id)


async def load(sessionmaker: SessionMaker, job_id: int) -> EngineJob:
    async with sessionmaker() as session:
        job = await session.get(EngineJob, job_id)
        assert job is not None
        return job


async def wait_until(
    check: Callable[[], Awaitable[bool]], *, timeout: float = 60, what: str = "condition"
) -> float:
    """Poll `check` until true; return the seconds it took."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < timeout, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def wait_for_status(
    sessionmaker: SessionMaker, job_id: int, status: str, *, timeout: float = 60
) -> EngineJob:
    async def reached() -> bool:
        return (await load(sessionmaker, job_id)).status == status

    await wait_until(reached, timeout=timeout, what=f"job {job_id} {status}")
    return await load(sessionmaker, job_id)


def pgid_command(path: Path, *, sleep: float = 60) -> list[str]:
    """A unit that writes its process group id to `path`, then sleeps."""
    code = (
        f"import os, time; open({str(path)!r}, 'w').write(str(os.getpgid(0))); time.sleep({sleep})"
    )
    return [sys.executable, "-c", code]


async def read_pgid(path: Path) -> int:
    async def written() -> bool:
        return path.exists() and bool(path.read_text())

    await wait_until(written, what=f"{path.name}")
    return int(path.read_text())


REPO_ROOT = Path(__file__).parents[3]


def process_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment of a real `qfractal` process sharing the test's database, data folder,
    intervals and test handlers; `extra` adds or overrides settings."""
    values = {
        "PYTHONPATH": str(REPO_ROOT),
        "QFRACTAL_ENGINE_HANDLER_MODULES": command_handler.__name__,
        "QFRACTAL_ENGINE_HEARTBEAT_SECONDS": str(settings.engine_heartbeat_seconds),
        "QFRACTAL_ENGINE_LEASE_SECONDS": str(settings.engine_lease_seconds),
        "QFRACTAL_LOG_LEVEL": "WARNING",
    }
    values.update(extra)
    return server_env(settings.data_dir, settings.resolved_database_url, **values)
