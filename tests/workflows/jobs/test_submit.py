"""POST /api/v2/project/{p}/job/submit/: the answer, what is recorded, and every rule."""

import re
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from qfractal.auth.models import User
from qfractal.workflows.models import Job, Task, TaskGroup
from tests.conftest import Account
from tests.workflows.conftest import make_local_profile
from tests.workflows.jobs.conftest import (
    Setup,
    engine_job,
    make_setup,
    set_job,
    submit,
    submitted,
)
from tests.workflows.workflow.conftest import MakeTask, add_task, create_workflow

JOB_FIELDS = {
    "id", "project_id", "project_dump", "user_email", "slurm_account", "workflow_id",
    "workflow_dump", "dataset_id", "dataset_dump", "start_timestamp", "end_timestamp",
    "status", "log", "executor_error_log", "working_dir", "working_dir_user",
    "first_task_index", "last_task_index", "worker_init", "attribute_filters", "type_filters",
}  # fmt: skip


async def stored_job(app: FastAPI, job_id: int) -> Job:
    async with app.state.database.sessionmaker() as session:
        job = await session.get(Job, job_id)
        assert job is not None
        return job


async def test_submit_answers_the_submitted_job(
    app: FastAPI, client: httpx.AsyncClient, user: Account, setup: Setup, tmp_path: Path
) -> None:
    before = datetime.now().astimezone()
    job = await submitted(client, user, setup)

    assert set(job) == JOB_FIELDS  # JobReadV2 of fractal-server 2.17.2
    assert job["status"] == "submitted"
    assert (job["project_id"], job["workflow_id"], job["dataset_id"]) == (
        setup.project_id,
        setup.workflow_id,
        setup.dataset_id,
    )
    assert job["user_email"] == user.email
    assert (job["first_task_index"], job["last_task_index"]) == (0, 2)
    assert job["slurm_account"] is None and job["log"] is None and job["end_timestamp"] is None
    assert set(job["project_dump"]) == {"id", "name", "timestamp_created"}
    assert set(job["workflow_dump"]) == {"id", "name", "project_id", "timestamp_created"}
    assert set(job["dataset_dump"]) == {"id", "name", "project_id", "timestamp_created", "zarr_dir"}
    assert job["dataset_dump"]["zarr_dir"] == "/zarr"

    name = Path(job["working_dir"]).name
    assert str(Path(job["working_dir"]).parent) == str(tmp_path / "local" / "jobs")
    expected = (
        f"proj_v2_{setup.project_id:07d}_wf_{setup.workflow_id:07d}_job_{job['id']:07d}_"
        r"\d{8}_\d{6}"
    )
    assert re.fullmatch(expected, name)
    assert job["working_dir_user"] == job["working_dir"]  # a local resource
    assert not Path(job["working_dir"]).exists()  # the runner creates it

    row = await stored_job(app, job["id"])
    assert [t["id"] for t in row.workflow_dump["task_list"]] == setup.wftask_ids
    assert row.workflow_dump["task_list"][1]["task"]["name"] == "illumination"
    assert "images" not in row.dataset_dump

    queued = await engine_job(app, job["id"])
    assert queued is not None and queued.status == "queued" and not queued.stop_requested
    async with app.state.database.sessionmaker() as session:
        used = await session.scalars(
            select(TaskGroup.timestamp_last_used)
            .join(Task, Task.taskgroupv2_id == TaskGroup.id)
            .where(Task.id.in_(setup.task_ids))
        )
        assert all(stamp >= before for stamp in used)


async def test_filters_worker_init_and_range_are_kept(
    app: FastAPI, client: httpx.AsyncClient, user: Account, setup: Setup
) -> None:
    body = {
        "first_task_index": 1,
        "last_task_index": 1,
        "worker_init": "module load python",
        "attribute_filters": {"well": ["A", "B"]},
        "type_filters": {"is_3D": True},
    }
    job = await submitted(client, user, setup, body)
    assert {key: job[key] for key in body} == body
    touched = await stored_job(app, job["id"])
    assert touched.first_task_index == touched.last_task_index == 1


@pytest.mark.parametrize(
    ("first", "last"),
    [(3, None), (0, 3), (2, 1), (None, 7)],
)
async def test_task_indices_out_of_range(
    client: httpx.AsyncClient, user: Account, setup: Setup, first: int | None, last: int | None
) -> None:
    body = {"first_task_index": first, "last_task_index": last}
    response = await submit(client, user, setup, body)
    assert response.status_code == 422
    assert "first_task_index" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"first_task_index": -1},
        {"worker_init": ""},
        {"unknown": 1},
        {"type_filters": {"is_3D": "yes"}},
        {"attribute_filters": {"well": []}},
    ],
)
async def test_invalid_bodies(
    client: httpx.AsyncClient, user: Account, setup: Setup, body: dict
) -> None:
    response = await submit(client, user, setup, body)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)  # a validation error naming the field


async def test_empty_workflow(client: httpx.AsyncClient, user: Account, setup: Setup) -> None:
    empty = await create_workflow(client, user, setup.project_id, "empty")
    response = await client.post(
        setup.submit_url(workflow_id=empty["id"]), json={}, headers=user.headers
    )
    assert response.status_code == 422
    assert response.json()["detail"] == f"Workflow {empty['id']} has no tasks."


async def test_workflow_and_dataset_must_be_in_the_project(
    client: httpx.AsyncClient, user: Account, other_user: Account, setup: Setup, make_task: MakeTask
) -> None:
    foreign = await make_setup(client, user, make_task, "second")  # another project of theirs
    for url in (
        setup.submit_url(workflow_id=foreign.workflow_id),
        setup.submit_url(dataset_id=foreign.dataset_id),
        setup.submit_url(workflow_id=999999),
        setup.submit_url(dataset_id=999999),
    ):
        assert (await client.post(url, json={}, headers=user.headers)).status_code == 404
    response = await client.post(setup.submit_url(), json={}, headers=other_user.headers)
    assert response.status_code == 404  # not their project


async def test_project_on_another_resource(
    app: FastAPI, client: httpx.AsyncClient, user: Account, setup: Setup, tmp_path: Path
) -> None:
    elsewhere = await make_local_profile(app, tmp_path, "elsewhere")
    async with app.state.database.sessionmaker() as session, session.begin():
        await session.execute(update(User).where(User.id == user.id).values(profile_id=elsewhere))
    response = await submit(client, user, setup)
    assert response.status_code == 422
    assert "resource" in response.json()["detail"]


async def test_inactive_task_in_range(
    client: httpx.AsyncClient, user: Account, setup: Setup, set_task_group
) -> None:
    await set_task_group(setup.task_ids[2], active=False)
    response = await submit(client, user, setup)
    assert response.status_code == 422
    assert "Task is not active." in response.json()["detail"]
    # outside the range it does not matter
    await submitted(client, user, setup, {"last_task_index": 1})


async def test_unreadable_task_in_range(
    client: httpx.AsyncClient, user: Account, other_user: Account, setup: Setup, set_task_group
) -> None:
    await set_task_group(setup.task_ids[0], user_id=other_user.id, user_group_id=None)
    response = await submit(client, user, setup)
    assert response.status_code == 422
    assert "has no access" in response.json()["detail"]
    await submitted(client, user, setup, {"first_task_index": 1})


async def test_type_filter_conflict_in_range(
    app: FastAPI, client: httpx.AsyncClient, user: Account, setup: Setup, make_task: MakeTask
) -> None:
    task_id = await make_task(user, "mip", input_types={"is_3D": True})
    await add_task(
        client,
        user,
        setup.project_id,
        setup.workflow_id,
        task_id,
        {"type_filters": {"is_3D": True}},
    )
    async with app.state.database.sessionmaker() as session, session.begin():
        # the task's input types changed after it was added (e.g. a new package version)
        await session.execute(
            update(Task).where(Task.id == task_id).values(input_types={"is_3D": False})
        )
    response = await submit(client, user, setup)
    assert response.status_code == 422
    assert "is_3D" in response.json()["detail"]
    await submitted(client, user, setup, {"last_task_index": 2})


async def test_one_submitted_job_per_dataset(
    app: FastAPI, client: httpx.AsyncClient, user: Account, setup: Setup
) -> None:
    first = await submitted(client, user, setup)
    response = await submit(client, user, setup)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"Dataset {setup.dataset_id} is already in use")
    await set_job(app, first["id"], status="done")
    second = await submitted(client, user, setup)
    assert second["id"] != first["id"]


async def test_slurm_account(
    client: httpx.AsyncClient, user: Account, setup: Setup, app: FastAPI
) -> None:
    patched = await client.patch(
        "/auth/current-user/", json={"slurm_accounts": ["lab", "other"]}, headers=user.headers
    )
    assert patched.status_code == 200, patched.text
    job = await submitted(client, user, setup)
    assert job["slurm_account"] == "lab"  # the user's first
    await set_job(app, job["id"], status="failed")

    refused = await submit(client, user, setup, {"slurm_account": "someone-elses"})
    assert refused.status_code == 422
    assert "someone-elses" in refused.json()["detail"]

    chosen = await submitted(client, user, setup, {"slurm_account": "other"})
    assert chosen["slurm_account"] == "other"


class RecordingEngine:
    """Stands in for the job engine: records wake-ups and what was committed by then."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.woken: list[tuple[int | None, int]] = []

    async def wake(self, engine_job_id: int | None = None) -> None:
        async with self.app.state.database.sessionmaker() as session:
            jobs = len((await session.scalars(select(Job.id))).all())
        self.woken.append((engine_job_id, jobs))


async def test_the_engine_is_woken_after_the_commit(
    app: FastAPI, client: httpx.AsyncClient, user: Account, setup: Setup
) -> None:
    recorder = app.state.engine = RecordingEngine(app)
    try:
        job = await submitted(client, user, setup)
        queued = await engine_job(app, job["id"])
        assert queued is not None
        assert recorder.woken == [(queued.id, 1)]  # the job was visible to the engine
        stop = await client.get(setup.job_url(job["id"], "stop/"), headers=user.headers)
        assert stop.status_code == 202
        assert recorder.woken[-1] == (None, 1)
    finally:
        del app.state.engine
