"""Job lists, one job (with its live log), the latest job, stop and download."""

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from qfractal.compute.models import EngineJob
from tests.conftest import Account
from tests.workflows.jobs.conftest import Setup, engine_job, set_job, submitted
from tests.workflows.workflow.conftest import create_workflow


async def get(client: httpx.AsyncClient, account: Account, url: str, **params) -> httpx.Response:
    return await client.get(url, params=params, headers=account.headers)


async def two_jobs(
    app: FastAPI, client: httpx.AsyncClient, user: Account, setup: Setup
) -> tuple[dict, dict]:
    """A finished job with a log, then a submitted one."""
    first = await submitted(client, user, setup)
    await set_job(
        app, first["id"], status="done", log="all went well", end_timestamp=datetime.now(UTC)
    )
    return first, await submitted(client, user, setup, {"first_task_index": 1})


async def test_lists(app: FastAPI, client: httpx.AsyncClient, user: Account, setup: Setup) -> None:
    first, second = await two_jobs(app, client, user, setup)
    ids = [second["id"], first["id"]]  # newest first
    for url in (
        "/api/v2/job/",
        f"{setup.project_url}job/",
        f"{setup.project_url}workflow/{setup.workflow_id}/job/",
    ):
        listed = (await get(client, user, url)).json()
        assert [job["id"] for job in listed] == ids, url
        assert listed[1]["log"] == "all went well" and listed[1]["status"] == "done"
    for url in ("/api/v2/job/", f"{setup.project_url}job/"):
        without = (await get(client, user, url, log="false")).json()
        assert [job["log"] for job in without] == [None, None]

    other = await create_workflow(client, user, setup.project_id, "other")
    listed = await get(client, user, f"{setup.project_url}workflow/{other['id']}/job/")
    assert listed.json() == []
    assert (await get(client, user, f"{setup.project_url}workflow/999999/job/")).status_code == 404


async def test_latest_job(
    app: FastAPI, client: httpx.AsyncClient, user: Account, setup: Setup
) -> None:
    url = f"{setup.project_url}latest-job/"
    params = {"workflow_id": setup.workflow_id, "dataset_id": setup.dataset_id}
    assert (await get(client, user, url, **params)).status_code == 404  # no job yet
    _, second = await two_jobs(app, client, user, setup)
    latest = await get(client, user, url, **params)
    assert latest.status_code == 200
    assert latest.json() == (await get(client, user, setup.job_url(second["id"]))).json()
    missing = await get(client, user, url, workflow_id=999999, dataset_id=setup.dataset_id)
    assert missing.status_code == 404


async def test_show_job_and_its_live_log(
    app: FastAPI, client: httpx.AsyncClient, user: Account, setup: Setup
) -> None:
    job = await submitted(client, user, setup)
    url = setup.job_url(job["id"])
    assert (await get(client, user, url)).json() == job
    assert (await get(client, user, url, show_tmp_logs="true")).json()["log"] is None  # no file yet

    folder = Path(job["working_dir"])
    folder.mkdir(parents=True)
    (folder / "workflow.log").write_text("task 1 started\n")
    assert (await get(client, user, url, show_tmp_logs="true")).json()["log"] == "task 1 started\n"
    assert (await get(client, user, url)).json()["log"] is None

    await set_job(app, job["id"], status="failed", log="final log")
    assert (await get(client, user, url, show_tmp_logs="true")).json()["log"] == "final log"


async def test_jobs_of_others_are_not_found(
    app: FastAPI, client: httpx.AsyncClient, user: Account, other_user: Account, setup: Setup
) -> None:
    job = await submitted(client, user, setup)
    for action in ("", "download/", "stop/"):
        response = await get(client, other_user, setup.job_url(job["id"], action))
        assert response.status_code == 404, action
    assert (await get(client, other_user, "/api/v2/job/")).json() == []
    assert (await get(client, other_user, f"{setup.project_url}job/")).status_code == 404
    assert (await get(client, user, setup.job_url(999999))).status_code == 404


async def test_stop(app: FastAPI, client: httpx.AsyncClient, user: Account, setup: Setup) -> None:
    job = await submitted(client, user, setup)
    response = await get(client, user, setup.job_url(job["id"], "stop/"))
    assert response.status_code == 202
    assert response.content == b""
    queued = await engine_job(app, job["id"])
    assert queued is not None and queued.stop_requested

    # the engine is done with it, but the job row is not ended yet
    async with app.state.database.sessionmaker() as session, session.begin():
        await session.execute(update(EngineJob).values(status="failed"))
    gone = await get(client, user, setup.job_url(job["id"], "stop/"))
    assert gone.status_code == 422
    assert "not running in the job engine" in gone.json()["detail"]

    await set_job(app, job["id"], status="done")
    finished = await get(client, user, setup.job_url(job["id"], "stop/"))
    assert finished.status_code == 422
    assert "only a submitted job" in finished.json()["detail"]


async def test_download(
    app: FastAPI, client: httpx.AsyncClient, user: Account, setup: Setup
) -> None:
    job = await submitted(client, user, setup)
    url = setup.job_url(job["id"], "download/")
    missing = await get(client, user, url)
    assert missing.status_code == 404
    assert "has no files" in missing.json()["detail"]

    folder = Path(job["working_dir"])
    (folder / "1_illumination").mkdir(parents=True)
    (folder / "workflow.log").write_text("log\n")
    (folder / "1_illumination" / "par-0-log.txt").write_bytes(b"x" * 200_000)
    (folder / "link").symlink_to("/etc/hostname")  # links are not followed
    streamed = await get(client, user, url)
    assert streamed.status_code == 200
    assert streamed.headers["content-type"] == "application/x-zip-compressed"
    assert f"{folder.name}_archive.zip" in streamed.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(streamed.content)) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == ["1_illumination/par-0-log.txt", "workflow.log"]
        assert archive.read("1_illumination/par-0-log.txt") == b"x" * 200_000

    # the runner zipped the folder and removed it: the archive is sent as it is
    zipped = Path(f"{folder}.zip")
    zipped.write_bytes(streamed.content)
    for path in sorted(folder.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() and not path.is_symlink() else path.unlink()
    folder.rmdir()
    sent = await get(client, user, url)
    assert sent.status_code == 200
    assert sent.content == zipped.read_bytes()
