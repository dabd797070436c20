"""The worker core, shared by both engines: run one leased job from start to end.

While the handler runs, a watcher renews the lease every `engine_heartbeat_seconds` and
reads `stop_requested`. A stop request (or a lost lease) sets `context.stop`; a handler
still running `engine_lease_seconds` later is cancelled. The job then ends `done`, or
`failed` with the handler's error, with "stopped by user", or, when `run` was cut short,
with the reason also given to the handler's `lost`.
"""

import asyncio
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qfractal.compute.engine.handlers import HandlerRegistry, JobHandler, RunContext
from qfractal.compute.engine.leases import Lease, LeaseStore
from qfractal.config import Settings

logger = logging.getLogger(__name__)

STOPPED_BY_USER = "stopped by user"
STOPPED_BEFORE_START = "stopped by user before it started"
LEASE_LOST = "the worker lost its lease"


def new_worker_id() -> str:
    """A name for this process's workers, unique over time: host, pid, random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def lost_heartbeats(worker_id: str) -> str:
    return f"worker {worker_id} stopped sending heartbeats (lost)"


def shut_down(worker_id: str) -> str:
    return f"worker {worker_id} shut down while the job was running"


@dataclass(frozen=True)
class Runtime:
    """What every part of an engine needs: the database, the settings, the handlers."""

    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    handlers: HandlerRegistry

    @cached_property
    def store(self) -> LeaseStore:
        return LeaseStore(self.sessionmaker)

    def context(self, lease: Lease) -> RunContext:
        return RunContext(
            engine_job_id=lease.job_id,
            kind=lease.kind,
            ref_id=lease.ref_id,
            worker_id=lease.worker_id,
            sessionmaker=self.sessionmaker,
            settings=self.settings,
            stop=asyncio.Event(),
        )


async def end_lost(runtime: Runtime, lease: Lease, reason: str, *, may_resume: bool) -> bool:
    """End a job whose run was cut short; True if it was queued again to resume.

    With `may_resume` (the worker shut down or died, the user did not stop it), a job
    its handler says is `resumable` goes back to the queue. Any other job: the handler
    is told it is lost, then the job fails with `reason`. In this order, so that a
    process dying in between leaves a stale lease that the next sweep handles again,
    rather than a failed job whose face row was never told.
    """
    context = runtime.context(lease)
    context.stop.set()
    handler = runtime.handlers.handler_for(lease.kind)
    if may_resume and await _resumable(handler, lease, context):
        await runtime.store.requeue(lease)
        logger.warning(
            "engine job %d (%s %d) queued again to resume: %s",
            lease.job_id,
            lease.kind,
            lease.ref_id,
            reason,
        )
        return True
    try:
        await handler.lost(lease.ref_id, reason, context)
    except Exception:
        logger.exception("handler of lost engine job %d (%s) failed", lease.job_id, lease.kind)
    await runtime.store.finish(lease, error=reason)
    logger.warning(
        "engine job %d (%s %d) failed: %s", lease.job_id, lease.kind, lease.ref_id, reason
    )
    return False


async def _resumable(handler: JobHandler, lease: Lease, context: RunContext) -> bool:
    try:
        return await handler.resumable(lease.ref_id, context)
    except Exception:
        logger.exception("engine job %d: could not tell if it is resumable", lease.job_id)
        return False


@dataclass
class _Stop:
    """Why and when `context.stop` was set."""

    event: asyncio.Event
    reason: str | None = None
    since: float = 0.0

    def request(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
            self.since = asyncio.get_running_loop().time()
            self.event.set()


class Worker:
    """Claims queued jobs for one process and runs them with their handlers."""

    def __init__(self, runtime: Runtime, *, worker_id: str) -> None:
        self.runtime = runtime
        self.worker_id = worker_id
        self.requeued: set[int] = set()
        """Jobs this worker queued again to resume when it shut down while they ran."""

    async def claim_next(self) -> Lease | None:
        kinds = self.runtime.handlers.kinds()
        if not kinds:
            return None
        return await self.runtime.store.claim_next(worker_id=self.worker_id, kinds=kinds)

    async def claim(self, job_id: int) -> Lease | None:
        kinds = self.runtime.handlers.kinds()
        if not kinds:
            return None
        return await self.runtime.store.claim(job_id, worker_id=self.worker_id, kinds=kinds)

    async def run(self, lease: Lease) -> None:
        """Run a leased job to its end; cancelling this cancels the handler first."""
        handler = self.runtime.handlers.handler_for(lease.kind)
        context = self.runtime.context(lease)
        stop = _Stop(context.stop)
        logger.info("engine job %d (%s %d) started", lease.job_id, lease.kind, lease.ref_id)
        work = asyncio.create_task(handler.run(lease.ref_id, context))
        watcher = asyncio.create_task(self._watch(lease, work, stop))
        try:
            await asyncio.wait({work})
        except asyncio.CancelledError:
            stop.request(shut_down(self.worker_id))  # no-op if already stopping
            work.cancel()
            await asyncio.wait({work})
            if stop.reason != LEASE_LOST and await end_lost(
                self.runtime,
                lease,
                shut_down(self.worker_id),
                may_resume=stop.reason != STOPPED_BY_USER,
            ):
                self.requeued.add(lease.job_id)
            raise
        finally:
            watcher.cancel()
            await asyncio.wait({watcher})
        await self._end(lease, work, stop)

    async def _watch(self, lease: Lease, work: asyncio.Task[None], stop: _Stop) -> None:
        settings = self.runtime.settings
        loop = asyncio.get_running_loop()
        held = True
        while True:
            await asyncio.sleep(settings.engine_heartbeat_seconds)
            if held:
                try:
                    stop_requested = await self.runtime.store.beat(lease)
                except Exception:
                    logger.exception("heartbeat of engine job %d failed", lease.job_id)
                else:
                    if stop_requested is None:
                        held = False
                        logger.warning("engine job %d: lease lost, stopping it", lease.job_id)
                        stop.request(LEASE_LOST)
                    elif stop_requested:
                        stop.request(STOPPED_BY_USER)
            if stop.reason is not None and loop.time() - stop.since > settings.engine_lease_seconds:
                logger.warning("engine job %d ignored its stop; cancelling it", lease.job_id)
                work.cancel()
                return

    async def _end(self, lease: Lease, work: asyncio.Task[None], stop: _Stop) -> None:
        if work.cancelled():
            if stop.reason == STOPPED_BY_USER:
                await end_lost(self.runtime, lease, STOPPED_BY_USER, may_resume=False)
            return
        exc = work.exception()
        if exc is not None:
            logger.error("engine job %d (%s) failed", lease.job_id, lease.kind, exc_info=exc)
            error: str | None = str(exc) or type(exc).__name__
            if stop.reason == STOPPED_BY_USER:
                error = f"{STOPPED_BY_USER}: {error}"
        else:
            error = STOPPED_BY_USER if stop.reason == STOPPED_BY_USER else None
        if await self.runtime.store.finish(lease, error=error):
            logger.info("engine job %d ended: %s", lease.job_id, error or "done")
        else:
            logger.warning("engine job %d ended after its lease was lost", lease.job_id)
