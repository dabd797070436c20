"""/admin/v2/job/...: every user's jobs, filtered and paged; forcing a job to `failed`."""

import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from qfractal.workflows.models import HistoryRun, HistoryUnit
from tests.conftest import Account
from tests.workflows.jobs.conftest import (
    Setup,
    UnitSpec,
    add_run,
    engine_job,
    make_setup,
    set_job,
    submitted,
)
from tests.workflows.workflow.conftest import MakeTask

ADMIN_JOBS = "/admin/v2/job/"


async def admin_list(client: httpx.AsyncClient, admin: Account, **params) -> dict:
    response = await client.get(ADMIN_JOBS, params=params, headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()


def ids(page: dict) -> list[int]:
    return [job["id"] for job in page["items"]]


async def test_list_filters_and_pages(
    app: FastAPI,
    client: httpx.AsyncClient,
    user: Account,
    other_user: Account,
    superuser: Account,
    setup: Setup,
    make_task: MakeTask,
) -> None:
    done = await submitted(client, user, setup)
    ended = datetime.now(UTC)
    await set_job(app, done["id"], status="done", log="log", end_timestamp=ended)
    running = await submitted(client, user, setup)
    others = await make_setup(client, other_user, make_task, "theirs")
    theirs = await submitted(client, other_user, others)

    everything = await admin_list(client, superuser)
    assert ids(everything) == [theirs["id"], running["id"], done["id"]]  # newest first
    assert everything["total_count"] == 3 and everything["page_size"] == 3
    assert everything["items"][2]["log"] == "log"
    assert [job["log"] for job in (await admin_list(client, superuser, log="false"))["items"]] == [
        None
    ] * 3

    filtered = {
        "id": [done["id"]],
        "user_id": [running["id"], done["id"]],
        "project_id": [theirs["id"]],
        "dataset_id": [theirs["id"]],
        "workflow_id": [running["id"], done["id"]],
    }
    values = {
        "id": done["id"],
        "user_id": user.id,
        "project_id": others.project_id,
        "dataset_id": others.dataset_id,
        "workflow_id": setup.workflow_id,
    }
    for key, expected in filtered.items():
        assert ids(await admin_list(client, superuser, **{key: values[key]})) == expected, key
    assert ids(await admin_list(client, superuser, status="done")) == [done["id"]]
    assert ids(await admin_list(client, superuser, user_id=999999)) == []
    later = (ended + timedelta(seconds=1)).isoformat()
    earlier = (ended - timedelta(seconds=1)).isoformat()
    assert ids(await admin_list(client, superuser, start_timestamp_min=later)) == []
    assert ids(await admin_list(client, superuser, end_timestamp_min=earlier)) == [done["id"]]
    assert ids(await admin_list(client, superuser, end_timestamp_max=earlier)) == []

    page = await admin_list(client, superuser, page=2, page_size=2)
    assert (page["current_page"], page["page_size"], page["total_count"]) == (2, 2, 3)
    assert ids(page) == [done["id"]]

    naive = await client.get(
        ADMIN_JOBS, params={"start_timestamp_min": "2024-01-01T00:00:00"}, headers=superuser.headers
    )
    assert naive.status_code == 422
    assert (await client.get(ADMIN_JOBS, headers=user.headers)).status_code == 403


async def test_single_job_stop_and_download(
    app: FastAPI, client: httpx.AsyncClient, user: Account, superuser: Account, setup: Setup
) -> None:
    job = await submitted(client, user, setup)
    url = f"{ADMIN_JOBS}{job['id']}/"
    assert (await client.get(url, headers=superuser.headers)).json() == job
    assert (await client.get(f"{ADMIN_JOBS}999999/", headers=superuser.headers)).status_code == 404

    folder = Path(job["working_dir"])
    folder.mkdir(parents=True)
    (folder / "workflow.log").write_text("running\n")
    live = await client.get(url, params={"show_tmp_logs": True}, headers=superuser.headers)
    assert live.json()["log"] == "running\n"

    downloaded = await client.get(f"{url}download/", headers=superuser.headers)
    assert downloaded.status_code == 200
    (folder.parent / "out.zip").write_bytes(downloaded.content)
    with zipfile.ZipFile(folder.parent / "out.zip") as archive:
        assert archive.namelist() == ["workflow.log"]

    assert (await client.get(f"{url}stop/", headers=superuser.headers)).status_code == 202
    queued = await engine_job(app, job["id"])
    assert queued is not None and queued.stop_requested
    assert (await client.get(f"{url}stop/", headers=user.headers)).status_code == 403


async def test_patch_to_failed(
    app: FastAPI, client: httpx.AsyncClient, user: Account, superuser: Account, setup: Setup
) -> None:
    job = await submitted(client, user, setup)
    common = {"job_id": job["id"], "dataset_id": setup.dataset_id}
    older_run, _ = await add_run(
        app, wftask_id=setup.wftask_ids[0], units=[UnitSpec("done")], **common
    )
    latest_run, latest_units = await add_run(
        app,
        wftask_id=setup.wftask_ids[1],
        status="submitted",
        units=[UnitSpec("done", ["/zarr/a"]), UnitSpec("submitted", ["/zarr/b"])],
        **common,
    )
    url = f"{ADMIN_JOBS}{job['id']}/"
    for body in ({"status": "done"}, {"status": "submitted"}):
        refused = await client.patch(url, json=body, headers=superuser.headers)
        assert refused.status_code == 422
    assert (
        await client.patch(url, json={"status": "x"}, headers=superuser.headers)
    ).status_code == 422
    assert (
        await client.patch(url, json={"status": "failed", "log": ""}, headers=superuser.headers)
    ).status_code == 422

    failed = await client.patch(url, json={"status": "failed"}, headers=superuser.headers)
    assert failed.status_code == 200, failed.text
    body = failed.json()
    assert body["status"] == "failed" and body["end_timestamp"] is not None
    assert "manually marked as 'failed' by an admin" in body["log"]

    async with app.state.database.sessionmaker() as session:
        runs = dict((await session.execute(select(HistoryRun.id, HistoryRun.status))).all())
        units = dict((await session.execute(select(HistoryUnit.id, HistoryUnit.status))).all())
    assert runs == {older_run: "done", latest_run: "failed"}
    assert [units[unit_id] for unit_id in latest_units] == ["done", "failed"]
    queued = await engine_job(app, job["id"])
    assert queued is not None and queued.stop_requested

    again = await client.patch(url, json={"status": "failed"}, headers=superuser.headers)
    assert again.status_code == 422
    # the dataset is free again
    await submitted(client, user, setup)
