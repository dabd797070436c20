"""Fixtures for job tests: a project with a dataset and a workflow made through the API,
tasks and run history written as rows (the runner writes history; it is tested on its own).

The job engine is stopped in these tests, so a submitted job stays `submitted` until a
test changes it.
"""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select

from qfractal.app import create_app
from qfractal.compute.models import EngineJob
from qfractal.config import Settings
from qfractal.workflows.models import HistoryImageCache, HistoryRun, HistoryUnit, Job
from tests.conftest import Account
from tests.workflows.datasets.helpers import import_dataset
from tests.workflows.workflow.conftest import (
    MakeTask,
    add_task,
    create_project,
    create_workflow,
    make_task,
    set_task_group,
)

__all__ = ["make_task", "set_task_group"]  # fixtures of the workflow tests, used here too

IMAGES = [
    {"zarr_url": "/zarr/a", "attributes": {"well": "A"}, "types": {"is_3D": True}},
    {"zarr_url": "/zarr/b", "attributes": {"well": "B"}, "types": {"is_3D": True}},
    {"zarr_url": "/zarr/c", "attributes": {"well": "A"}, "types": {"is_3D": False}},
    {"zarr_url": "/zarr/d", "attributes": {"well": "C"}, "types": {}},
]


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application):
        engine = getattr(application.state, "engine", None)
        if engine is not None:
            await engine.stop()
            del application.state.engine
        yield application


@dataclass
class Setup:
    """A user's project with a dataset of IMAGES and a workflow of three tasks."""

    project_id: int
    dataset_id: int
    workflow_id: int
    task_ids: list[int]
    wftask_ids: list[int]

    @property
    def project_url(self) -> str:
        return f"/api/v2/project/{self.project_id}/"

    def submit_url(self, workflow_id: int | None = None, dataset_id: int | None = None) -> str:
        return (
            f"{self.project_url}job/submit/?workflow_id={workflow_id or self.workflow_id}"
            f"&dataset_id={dataset_id or self.dataset_id}"
        )

    def job_url(self, job_id: int, action: str = "") -> str:
        return f"{self.project_url}job/{job_id}/{action}"


async def make_setup(
    client: httpx.AsyncClient, account: Account, make_task: MakeTask, name: str = "proj"
) -> Setup:
    project_id = await create_project(client, account, name)
    dataset = await import_dataset(client, account, project_id, IMAGES, name="ds")
    workflow = await create_workflow(client, account, project_id)
    tasks = [
        ("create", "converter_non_parallel", {}),
        ("illumination", "parallel", {"is_3D": True}),
        ("measure", "compound", {}),
    ]
    task_ids = [
        await make_task(
            account, task, task_type=kind, input_types=inputs, pkg_name=f"{name}-{task}"
        )
        for task, kind, inputs in tasks
    ]
    wftask_ids = [
        (await add_task(client, account, project_id, workflow["id"], task_id))["id"]
        for task_id in task_ids
    ]
    return Setup(project_id, dataset["id"], workflow["id"], task_ids, wftask_ids)


@pytest.fixture
async def setup(client: httpx.AsyncClient, user: Account, make_task: MakeTask) -> Setup:
    return await make_setup(client, user, make_task)


async def submit(
    client: httpx.AsyncClient, account: Account, setup: Setup, body: dict | None = None
) -> httpx.Response:
    return await client.post(setup.submit_url(), json=body or {}, headers=account.headers)


async def submitted(
    client: httpx.AsyncClient, account: Account, setup: Setup, body: dict | None = None
) -> dict[str, Any]:
    response = await submit(client, account, setup, body)
    assert response.status_code == 202, response.text
    return response.json()


async def set_job(app: FastAPI, job_id: int, **values: Any) -> None:
    """Change a job row as the runner would (e.g. end it)."""
    async with app.state.database.sessionmaker() as session, session.begin():
        job = await session.get(Job, job_id)
        assert job is not None
        for key, value in values.items():
            setattr(job, key, value)


async def engine_job(app: FastAPI, job_id: int) -> EngineJob | None:
    async with app.state.database.sessionmaker() as session:
        return await session.scalar(
            select(EngineJob).where(EngineJob.kind == "workflow_job", EngineJob.ref_id == job_id)
        )


@dataclass
class UnitSpec:
    status: str
    zarr_urls: Sequence[str] = ()
    logfile: str = ""


async def add_run(
    app: FastAPI,
    *,
    job_id: int,
    dataset_id: int,
    wftask_id: int,
    units: Sequence[UnitSpec],
    status: str = "done",
    num_available_images: int = 4,
    task_id: int | None = None,
    started: Any = None,
) -> tuple[int, list[int]]:
    """A history run with its units, and each unit's images pointed at it (as the runner
    records them: the latest unit that touched an image wins). Returns the ids."""
    async with app.state.database.sessionmaker() as session, session.begin():
        run = HistoryRun(
            dataset_id=dataset_id,
            workflowtask_id=wftask_id,
            job_id=job_id,
            task_id=task_id,
            workflowtask_dump={"id": wftask_id},
            task_group_dump={},
            status=status,
            num_available_images=num_available_images,
        )
        if started is not None:
            run.timestamp_started = started
        session.add(run)
        await session.flush()
        unit_ids = []
        for spec in units:
            unit = HistoryUnit(
                history_run_id=run.id,
                status=spec.status,
                zarr_urls=list(spec.zarr_urls),
                logfile=spec.logfile,
            )
            session.add(unit)
            await session.flush()
            unit_ids.append(unit.id)
            for zarr_url in spec.zarr_urls:
                await session.merge(
                    HistoryImageCache(
                        zarr_url=zarr_url,
                        dataset_id=dataset_id,
                        workflowtask_id=wftask_id,
                        latest_history_unit_id=unit.id,
                    )
                )
        return run.id, unit_ids
