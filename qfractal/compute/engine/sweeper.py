"""The sweeper, run periodically by every engine and worker process.

It fails the jobs that can no longer run and tells their handlers (`lost`): running jobs
whose heartbeat is older than `engine_lease_seconds` (their worker died or hangs), and
queued jobs a user stopped before any worker took them. A stale job whose handler says it
is resumable is queued again instead, and `on_requeued` is called with its id. To end a
job the sweeper first takes its lease, so among several sweepers exactly one handles each.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from qfractal.compute.engine.worker import (
    STOPPED_BEFORE_START,
    Runtime,
    end_lost,
    lost_heartbeats,
)
from qfractal.compute.events import wait_event
from qfractal.db.types import utc_now

logger = logging.getLogger(__name__)


OnRequeued = Callable[[int], Awaitable[None]]


async def sweep(runtime: Runtime, *, worker_id: str, on_requeued: OnRequeued | None = None) -> int:
    """End lost and stopped-before-start jobs of this process's kinds; how many were ended."""
    kinds = runtime.handlers.kinds()
    if not kinds:
        return 0
    store = runtime.store
    failed = 0
    before = utc_now() - timedelta(seconds=runtime.settings.engine_lease_seconds)
    for job_id, lost_worker in await store.stale(before=before, kinds=kinds):
        lease = await store.take_over_stale(job_id, before=before, worker_id=worker_id)
        if lease is not None:
            requeued = await end_lost(runtime, lease, lost_heartbeats(lost_worker), may_resume=True)
            if requeued and on_requeued is not None:
                await on_requeued(job_id)
            failed += 1
    for job_id in await store.stopped_before_start(kinds=kinds):
        lease = await store.take_over_queued(job_id, worker_id=worker_id)
        if lease is not None:
            await end_lost(runtime, lease, STOPPED_BEFORE_START, may_resume=False)
            failed += 1
    return failed


async def repeat(step: Callable[[], Awaitable[bool]], *, every: float, wake: asyncio.Event) -> None:
    """Run `step` forever: again at once when it returns True (it found work), else after
    `every` seconds or as soon as `wake` is set. A failing step is logged, never fatal.
    """
    while True:
        wake.clear()
        try:
            busy = await step()
        except Exception:
            logger.exception("engine loop step failed; retrying in %s s", every)
            busy = False
        if not busy:
            await wait_event(wake, every)


def sweeper_step(
    runtime: Runtime, *, worker_id: str, on_requeued: OnRequeued | None = None
) -> Callable[[], Awaitable[bool]]:
    """`sweep` as a `repeat` step (it never asks to run again at once)."""

    async def step() -> bool:
        await sweep(runtime, worker_id=worker_id, on_requeued=on_requeued)
        return False

    return step
