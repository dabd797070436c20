"""What a submitted job protects: its project, dataset, workflow (order) and task groups."""

import httpx
from fastapi import FastAPI

from qfractal.workflows.models import Job, Task
from tests.conftest import Account
from tests.workflows.jobs.conftest import Setup, set_job, submitted


async def task_group_of(app: FastAPI, task_id: int) -> int:
    async with app.state.database.sessionmaker() as session:
        task = await session.get(Task, task_id)
        assert task is not None
        return task.taskgroupv2_id


async def test_a_submitted_job_blocks_changes(
    app: FastAPI, client: httpx.AsyncClient, user: Account, setup: Setup
) -> None:
    job = await submitted(client, user, setup)
    workflow_url = f"{setup.project_url}workflow/{setup.workflow_id}/"
    group_url = f"/api/v2/task-group/{await task_group_of(app, setup.task_ids[0])}/"
    refused = [
        await client.delete(setup.project_url, headers=user.headers),
        await client.delete(
            f"{setup.project_url}dataset/{setup.dataset_id}/", headers=user.headers
        ),
        await client.delete(workflow_url, headers=user.headers),
        await client.patch(
            workflow_url,
            json={"reordered_workflowtask_ids": list(reversed(setup.wftask_ids))},
            headers=user.headers,
        ),
        await client.post(f"{group_url}deactivate/", headers=user.headers),
        await client.post(f"{group_url}delete/", headers=user.headers),
    ]
    for response in refused:
        assert response.status_code == 422, response.request.url
        assert f"submitted job(s) [{job['id']}]" in response.json()["detail"]

    renamed = await client.patch(workflow_url, json={"name": "renamed"}, headers=user.headers)
    assert renamed.status_code == 200  # only the order is protected

    await set_job(app, job["id"], status="done")
    reordered = await client.patch(
        workflow_url,
        json={"reordered_workflowtask_ids": list(reversed(setup.wftask_ids))},
        headers=user.headers,
    )
    assert reordered.status_code == 200
    assert (await client.delete(setup.project_url, headers=user.headers)).status_code == 204

    # the job outlives its project, with its dumps
    jobs = (await client.get("/api/v2/job/", headers=user.headers)).json()
    assert jobs == []  # no longer in a project of the user
    async with app.state.database.sessionmaker() as session:
        kept = await session.get(Job, job["id"])
        assert kept is not None
        assert (kept.project_id, kept.dataset_id, kept.workflow_id) == (None, None, None)
        assert kept.project_dump["id"] == setup.project_id
