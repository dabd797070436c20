"""Workflows and jobs made through the API, and what the runner left behind, for the
runner tests."""

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from qfractal.workflows.models import (
    AccountingRecord,
    HistoryImageCache,
    HistoryRun,
    HistoryUnit,
)
from tests.conftest import Account
from tests.workflows.datasets.helpers import create_dataset, create_project, images_url
from tests.workflows.runner.conftest import SCRIPTED_TASK
from tests.workflows.workflow.conftest import add_task, create_workflow

JOB_TIMEOUT = 60.0


@dataclass(frozen=True)
class Setup:
    """A project with a dataset (its zarr_dir under the test's folder) and a workflow."""

    project_id: int
    dataset_id: int
    workflow_id: int
    zarr_dir: str


async def make_setup(client: httpx.AsyncClient, user: Account, tmp_path: Path) -> Setup:
    project = await create_project(client, user)
    zarr_dir = str(tmp_path / "zarr")
    dataset = await create_dataset(client, user, project["id"], zarr_dir=zarr_dir)
    workflow = await create_workflow(client, user, project["id"])
    return Setup(project["id"], dataset["id"], workflow["id"], zarr_dir)


async def add_images(
    client: httpx.AsyncClient, user: Account, setup: Setup, images: Sequence[dict[str, Any]]
) -> None:
    dataset = {"id": setup.dataset_id, "project_id": setup.project_id}
    for image in images:
        response = await client.post(images_url(dataset), json=image, headers=user.headers)
        assert response.status_code == 201, response.text


async def add_wftask(
    client: httpx.AsyncClient, user: Account, setup: Setup, task_id: int, **body: Any
) -> dict[str, Any]:
    return await add_task(client, user, setup.project_id, setup.workflow_id, task_id, body)


async def scripted_task(
    client: httpx.AsyncClient,
    user: Account,
    name: str,
    *,
    task_type: str,
    python: str = sys.executable,
    **fields: Any,
) -> int:
    """A task running `scripted_task.py` (the sides its type needs) with `python` (it
    needs only the standard library)."""
    command = f"{python} {SCRIPTED_TASK}"
    body: dict[str, Any] = {"name": name, "type": task_type, **fields}
    if task_type != "parallel":
        body["command_non_parallel"] = command
    if task_type in ("parallel", "compound", "converter_compound"):
        body["command_parallel"] = command
    response = await client.post("/api/v2/task/", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def slow_workflow(
    client: httpx.AsyncClient, user: Account, tmp_path: Path, *, images: int = 3
) -> tuple[Setup, Path]:
    """A workflow of two scripted tasks over `images` images; the first one's calls, two
    at a time, sleep a minute with a child `sleep` in their process group and leave
    their pids in the returned folder (see `started_calls`)."""
    setup = await make_setup(client, user, tmp_path)
    urls = [f"{setup.zarr_dir}/{i}.zarr" for i in range(images)]
    await add_images(client, user, setup, [{"zarr_url": url} for url in urls])
    task = await scripted_task(client, user, "slow", task_type="parallel")
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    await add_wftask(
        client,
        user,
        setup,
        task,
        args_parallel={"sleep": 60, "pid_dir": str(pid_dir)},
        meta_parallel={"parallel_tasks_per_job": 2},
    )
    await add_wftask(client, user, setup, task)
    return setup, pid_dir


async def started_calls(pid_dir: Path, count: int, timeout: float = 30) -> list[tuple[int, int]]:
    """(pid, child pid) of each call of a `slow_workflow`, once `count` calls have started.
    Each call leads its own process group."""
    deadline = asyncio.get_running_loop().time() + timeout
    while len(files := sorted(pid_dir.glob("*.pid"))) < count:
        assert asyncio.get_running_loop().time() < deadline, f"only {len(files)} calls started"
        await asyncio.sleep(0.05)
    return [tuple(map(int, path.read_text().split())) for path in files]  # type: ignore[misc]


def job_url(setup: Setup, job_id: int, action: str = "") -> str:
    return f"/api/v2/project/{setup.project_id}/job/{job_id}/{action}"


async def submit(
    client: httpx.AsyncClient, user: Account, setup: Setup, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v2/project/{setup.project_id}/job/submit/",
        params={"workflow_id": setup.workflow_id, "dataset_id": setup.dataset_id},
        json=body,
        headers=user.headers,
    )
    assert response.status_code == 202, response.text
    return response.json()


async def wait_for_job(
    client: httpx.AsyncClient,
    user: Account,
    setup: Setup,
    job_id: int,
    *,
    archived: bool = True,
    timeout: float = JOB_TIMEOUT,
) -> dict[str, Any]:
    """Poll the job until the engine has ended it and, if `archived`, zipped its folder
    (the runner ends the job first, then archives; the worker may be another process)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await client.get(job_url(setup, job_id), headers=user.headers)
        assert response.status_code == 200, response.text
        job = response.json()
        if job["status"] != "submitted":
            folder = job["working_dir"]
            if not (archived and folder and Path(folder).exists()):
                return job
        assert asyncio.get_running_loop().time() < deadline, f"job {job_id} not ended: {job}"
        await asyncio.sleep(0.1)


async def run_job(
    client: httpx.AsyncClient, user: Account, setup: Setup, **body: Any
) -> dict[str, Any]:
    """Submit a job and wait for its end."""
    job = await submit(client, user, setup, **body)
    return await wait_for_job(client, user, setup, job["id"])


async def dataset_images(
    client: httpx.AsyncClient, user: Account, setup: Setup
) -> dict[str, dict[str, Any]]:
    """zarr_url → image, in the dataset's order."""
    dataset = {"id": setup.dataset_id, "project_id": setup.project_id}
    response = await client.post(images_url(dataset, "query/"), json={}, headers=user.headers)
    assert response.status_code == 200, response.text
    return {image["zarr_url"]: image for image in response.json()["items"]}


@dataclass(frozen=True)
class History:
    runs: list[HistoryRun]
    units: dict[int, list[HistoryUnit]]
    """run id → its units, in id order."""
    cache: dict[tuple[int, str], str]
    """(workflow task id, zarr_url) → status of the image's latest unit."""
    accounting: list[AccountingRecord]


async def history(app: FastAPI) -> History:
    async with app.state.database.sessionmaker() as session:
        runs = list(await session.scalars(select(HistoryRun).order_by(HistoryRun.id)))
        units: dict[int, list[HistoryUnit]] = {run.id: [] for run in runs}
        for unit in await session.scalars(select(HistoryUnit).order_by(HistoryUnit.id)):
            units[unit.history_run_id].append(unit)
        rows = await session.execute(
            select(
                HistoryImageCache.workflowtask_id, HistoryImageCache.zarr_url, HistoryUnit.status
            ).join(HistoryUnit, HistoryUnit.id == HistoryImageCache.latest_history_unit_id)
        )
        cache = {(wftask_id, url): status for wftask_id, url, status in rows}
        records = await session.scalars(select(AccountingRecord).order_by(AccountingRecord.id))
        return History(runs=runs, units=units, cache=cache, accounting=list(records))
