"""Recording work for the engine, inside the caller's transaction."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.compute.models import EngineJob
from qfractal.db.integrity import flush_or_raise
from qfractal.errors import Conflict


async def enqueue(session: AsyncSession, *, kind: str, ref_id: int) -> EngineJob:
    """Queue `ref_id` for the handler of `kind`; the engine sees it once the caller commits."""
    job = EngineJob(kind=kind, ref_id=ref_id, status="queued")
    session.add(job)
    await flush_or_raise(session, Conflict(f"{kind} {ref_id} is already queued."))
    return job


async def find(session: AsyncSession, *, kind: str, ref_id: int) -> EngineJob | None:
    return await session.scalar(
        select(EngineJob).where(EngineJob.kind == kind, EngineJob.ref_id == ref_id)
    )


async def request_stop(session: AsyncSession, *, kind: str, ref_id: int) -> bool:
    """Ask the engine to stop the work (queued: never started; running: cancelled).

    False if there is nothing to stop (unknown, or already finished).
    """
    job = await find(session, kind=kind, ref_id=ref_id)
    if job is None or job.status in ("done", "failed"):
        return False
    job.stop_requested = True
    await session.flush()
    return True
