"""Every statement the engine runs on `engine_job`: claims, heartbeats, ends, stale leases.

A running row is leased to one worker (`worker_id`, renewed through `heartbeat_at`).
Each method is one short transaction (heartbeats and ends run to their end even when
the caller is cancelled meanwhile), and every write to a running row checks that the
caller still holds the lease, so a worker that lost it (a sweeper took over) changes
nothing. Claims are atomic on both databases: PostgreSQL locks the candidate with
`FOR UPDATE SKIP LOCKED`; SQLite ignores that clause, and the `UPDATE ... WHERE
status = 'queued'` that follows is what decides (one writer at a time).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qfractal.compute.models import EngineJob
from qfractal.db.to_the_end import to_the_end
from qfractal.db.types import utc_now

_CLAIM_ATTEMPTS = 5
"""Candidates tried by one `claim_next` before giving up until the next wake-up."""


@dataclass(frozen=True)
class Lease:
    """A job held by `worker_id`: only the holder may beat, finish or fail it."""

    job_id: int
    kind: str
    ref_id: int
    worker_id: str


def _claimable(kinds: Sequence[str]) -> ColumnElement[bool]:
    return and_(
        EngineJob.status == "queued",
        EngineJob.stop_requested.is_(False),
        EngineJob.kind.in_(kinds),
    )


def _held(lease: Lease) -> ColumnElement[bool]:
    return and_(
        EngineJob.id == lease.job_id,
        EngineJob.status == "running",
        EngineJob.worker_id == lease.worker_id,
    )


class LeaseStore:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def claim_next(self, *, worker_id: str, kinds: Sequence[str]) -> Lease | None:
        """Lease the oldest queued job of `kinds`, if any."""
        for _ in range(_CLAIM_ATTEMPTS):
            async with self._sessionmaker() as session, session.begin():
                candidate = await session.scalar(
                    select(EngineJob.id)
                    .where(_claimable(kinds))
                    .order_by(EngineJob.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
                if candidate is None:
                    return None
                lease = await self._take(
                    session, worker_id, EngineJob.id == candidate, _claimable(kinds), start=True
                )
            if lease is not None:
                return lease
        return None

    async def claim(self, job_id: int, *, worker_id: str, kinds: Sequence[str]) -> Lease | None:
        """Lease this job if it is still queued (not taken, not stopped) and of `kinds`."""
        async with self._sessionmaker() as session, session.begin():
            return await self._take(
                session, worker_id, EngineJob.id == job_id, _claimable(kinds), start=True
            )

    @to_the_end
    async def beat(self, lease: Lease) -> bool | None:
        """Renew the lease; return whether a stop was requested, None if the lease is lost."""
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(
                update(EngineJob)
                .where(_held(lease))
                .values(heartbeat_at=utc_now())
                .returning(EngineJob.stop_requested)
                .execution_options(synchronize_session=False)
            )
            stop_requested = result.scalar_one_or_none()
        return stop_requested

    @to_the_end
    async def finish(self, lease: Lease, *, error: str | None) -> bool:
        """End the job: `done`, or `failed` with `error`. False if the lease was lost."""
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(
                update(EngineJob)
                .where(_held(lease))
                .values(
                    status="done" if error is None else "failed",
                    finished_at=utc_now(),
                    error=error,
                )
                .returning(EngineJob.id)
                .execution_options(synchronize_session=False)
            )
            return result.first() is not None

    @to_the_end
    async def requeue(self, lease: Lease) -> bool:
        """Give the job back to the queue, to be claimed again. False if the lease was lost."""
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(
                update(EngineJob)
                .where(_held(lease))
                .values(status="queued", worker_id=None, heartbeat_at=None)
                .returning(EngineJob.id)
                .execution_options(synchronize_session=False)
            )
            return result.first() is not None

    async def stale(self, *, before: datetime, kinds: Sequence[str]) -> list[tuple[int, str]]:
        """(id, worker_id) of running jobs whose last heartbeat is older than `before`."""
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(EngineJob.id, EngineJob.worker_id)
                .where(
                    EngineJob.status == "running",
                    EngineJob.heartbeat_at < before,
                    EngineJob.kind.in_(kinds),
                )
                .order_by(EngineJob.id)
            )
            return [(job_id, worker or "?") for job_id, worker in rows]

    async def take_over_stale(
        self, job_id: int, *, before: datetime, worker_id: str
    ) -> Lease | None:
        """Take the lease of a job that is still stale, to fail it (one sweeper wins)."""
        async with self._sessionmaker() as session, session.begin():
            return await self._take(
                session,
                worker_id,
                EngineJob.id == job_id,
                EngineJob.status == "running",
                EngineJob.heartbeat_at < before,
            )

    async def stopped_before_start(self, *, kinds: Sequence[str]) -> list[int]:
        async with self._sessionmaker() as session:
            return list(
                await session.scalars(
                    select(EngineJob.id)
                    .where(
                        EngineJob.status == "queued",
                        EngineJob.stop_requested.is_(True),
                        EngineJob.kind.in_(kinds),
                    )
                    .order_by(EngineJob.id)
                )
            )

    async def take_over_queued(self, job_id: int, *, worker_id: str) -> Lease | None:
        """Lease a queued job without starting it, to fail it (one sweeper wins)."""
        async with self._sessionmaker() as session, session.begin():
            return await self._take(
                session, worker_id, EngineJob.id == job_id, EngineJob.status == "queued"
            )

    async def queued(self, *, kinds: Sequence[str]) -> list[int]:
        """Ids of the jobs waiting for a worker, oldest first."""
        async with self._sessionmaker() as session:
            return list(
                await session.scalars(
                    select(EngineJob.id).where(_claimable(kinds)).order_by(EngineJob.id)
                )
            )

    @staticmethod
    async def _take(
        session: AsyncSession, worker_id: str, *where: ColumnElement[bool], start: bool = False
    ) -> Lease | None:
        now = utc_now()
        values: dict[str, Any] = {"status": "running", "worker_id": worker_id, "heartbeat_at": now}
        if start:
            values["started_at"] = now
        result = await session.execute(
            update(EngineJob)
            .where(*where)
            .values(**values)
            .returning(EngineJob.id, EngineJob.kind, EngineJob.ref_id)
            .execution_options(synchronize_session=False)
        )
        row = result.first()
        if row is None:
            return None
        return Lease(job_id=row.id, kind=row.kind, ref_id=row.ref_id, worker_id=worker_id)
