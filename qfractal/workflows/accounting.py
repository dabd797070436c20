"""Accounting: what each user ran, for superusers' queries."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qfractal.workflows.admin.schemas import AccountingQuery
from qfractal.workflows.models import AccountingRecord, AccountingRecordSlurm
from qfractal.workflows.pagination import PageRequest


def _where(
    model: type[AccountingRecord] | type[AccountingRecordSlurm], query: AccountingQuery
) -> list[Any]:
    conditions = []
    if query.user_id is not None:
        conditions.append(model.user_id == query.user_id)
    if query.timestamp_min is not None:
        conditions.append(model.timestamp >= query.timestamp_min)
    if query.timestamp_max is not None:
        conditions.append(model.timestamp <= query.timestamp_max)
    return conditions


async def list_records(
    session: AsyncSession, *, query: AccountingQuery, page: PageRequest
) -> tuple[int, Sequence[AccountingRecord]]:
    """Matching records, oldest first, and how many match in all."""
    conditions = _where(AccountingRecord, query)
    total = int(
        await session.scalar(select(func.count()).select_from(AccountingRecord).where(*conditions))
        or 0
    )
    statement = (
        select(AccountingRecord)
        .where(*conditions)
        .order_by(AccountingRecord.timestamp, AccountingRecord.id)
        .offset(page.offset)
        .limit(page.size)
    )
    return total, (await session.scalars(statement)).all()


async def slurm_job_ids(session: AsyncSession, *, query: AccountingQuery) -> list[int]:
    """Every SLURM job id of the matching submissions, in submission order."""
    statement = (
        select(AccountingRecordSlurm.slurm_job_ids)
        .where(*_where(AccountingRecordSlurm, query))
        .order_by(AccountingRecordSlurm.timestamp, AccountingRecordSlurm.id)
    )
    return [job_id for ids in await session.scalars(statement) for job_id in ids]
