"""Two submissions on one dataset at the same time: one job, one 422.

The service checks for a submitted job first; two requests can both pass that check, and
then the partial unique index ("one submitted job per dataset") refuses the second insert.
"""

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from qfractal.auth.models import User
from qfractal.compute.models import EngineJob
from qfractal.errors import InvalidInput
from qfractal.workflows.jobs.schemas import JobCreate
from qfractal.workflows.jobs.submission import dataset_busy, submit_job
from qfractal.workflows.models import Job
from tests.conftest import Account
from tests.workflows.jobs.conftest import Setup, submit


async def count_rows(app: FastAPI, model: type) -> int:
    async with app.state.database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_two_requests_at_once(
    app: FastAPI, client: httpx.AsyncClient, user: Account, setup: Setup
) -> None:
    first, second = await asyncio.gather(submit(client, user, setup), submit(client, user, setup))
    assert sorted([first.status_code, second.status_code]) == [202, 422]
    refused = first if first.status_code == 422 else second
    assert refused.json()["detail"] == dataset_busy(setup.dataset_id).detail
    assert await count_rows(app, Job) == 1
    assert await count_rows(app, EngineJob) == 1


async def test_the_index_refuses_a_submission_that_passed_the_check(
    app: FastAPI, user: Account, setup: Setup
) -> None:
    """Session A has inserted its job but not committed when session B checks: B sees no
    submitted job, inserts, waits for A (a row lock on PostgreSQL, the write lock on
    SQLite) and is refused by the index once A commits."""
    sessionmaker = app.state.database.sessionmaker

    async def submit_in(session) -> None:
        await submit_job(
            session,
            await session.get(User, user.id),
            project_id=setup.project_id,
            workflow_id=setup.workflow_id,
            dataset_id=setup.dataset_id,
            data=JobCreate(),
        )

    async with sessionmaker() as session_a, sessionmaker() as session_b:
        await submit_in(session_a)
        racing = asyncio.create_task(submit_in(session_b))
        await asyncio.sleep(0.5)  # B has passed its check and waits on A's insert
        assert not racing.done()
        await session_a.commit()
        with pytest.raises(InvalidInput) as refused:
            await racing
        assert refused.value.detail == dataset_busy(setup.dataset_id).detail
        await session_b.rollback()
    assert await count_rows(app, Job) == 1
