"""/status/unit-log/ and /status/image-log/: the log file, else the member of the job's
zip archive, else a placeholder text."""

import shutil
import zipfile
from pathlib import Path

import httpx
from fastapi import FastAPI

from tests.conftest import Account
from tests.workflows.jobs.conftest import Setup, UnitSpec, add_run, set_job, submitted

LOG = "1_illumination/par-0000000-log.txt"


async def unit_log(
    client: httpx.AsyncClient, account: Account, setup: Setup, run_id: int, unit_id: int
) -> httpx.Response:
    return await client.get(
        f"{setup.project_url}status/unit-log/",
        params={
            "history_run_id": run_id,
            "history_unit_id": unit_id,
            "workflowtask_id": setup.wftask_ids[1],
            "dataset_id": setup.dataset_id,
        },
        headers=account.headers,
    )


async def image_log(
    client: httpx.AsyncClient, account: Account, setup: Setup, zarr_url: str
) -> httpx.Response:
    return await client.post(
        f"{setup.project_url}status/image-log/",
        json={
            "workflowtask_id": setup.wftask_ids[1],
            "dataset_id": setup.dataset_id,
            "zarr_url": zarr_url,
        },
        headers=account.headers,
    )


async def test_logs_from_the_folder_then_the_archive_then_a_placeholder(
    app: FastAPI, client: httpx.AsyncClient, user: Account, setup: Setup
) -> None:
    job = await submitted(client, user, setup)
    folder = Path(job["working_dir"])
    run_id, (unit_id,) = await add_run(
        app,
        job_id=job["id"],
        dataset_id=setup.dataset_id,
        wftask_id=setup.wftask_ids[1],
        units=[UnitSpec("done", ["/zarr/a"], logfile=str(folder / LOG))],
    )
    (folder / LOG).parent.mkdir(parents=True)
    (folder / LOG).write_text("processing /zarr/a\n")

    response = await unit_log(client, user, setup, run_id, unit_id)
    assert (response.status_code, response.json()) == (200, "processing /zarr/a\n")
    assert (await image_log(client, user, setup, "/zarr/a")).json() == "processing /zarr/a\n"
    assert (await image_log(client, user, setup, "/zarr/a/")).json() == "processing /zarr/a\n"

    # the job ended: its folder was zipped and removed
    await set_job(app, job["id"], status="done")
    with zipfile.ZipFile(f"{folder}.zip", "w") as archive:
        archive.write(folder / LOG, LOG)
    shutil.rmtree(folder)
    assert (await unit_log(client, user, setup, run_id, unit_id)).json() == "processing /zarr/a\n"

    # an archive whose members start with the folder's name
    with zipfile.ZipFile(f"{folder}.zip", "w") as archive:
        archive.writestr(f"{folder.name}/{LOG}", "from the archive\n")
    assert (await image_log(client, user, setup, "/zarr/a")).json() == "from the archive\n"

    Path(f"{folder}.zip").unlink()
    placeholder = f"Logs for task 'illumination' in dataset {setup.dataset_id} are not available."
    assert (await unit_log(client, user, setup, run_id, unit_id)).json() == placeholder


async def test_unknown_units_and_images(
    app: FastAPI, client: httpx.AsyncClient, user: Account, other_user: Account, setup: Setup
) -> None:
    job = await submitted(client, user, setup)
    run_id, (unit_id,) = await add_run(
        app,
        job_id=job["id"],
        dataset_id=setup.dataset_id,
        wftask_id=setup.wftask_ids[1],
        units=[UnitSpec("failed", ["/zarr/a"], logfile="/nowhere/log.txt")],
    )
    other_run, (other_unit,) = await add_run(
        app,
        job_id=job["id"],
        dataset_id=setup.dataset_id,
        wftask_id=setup.wftask_ids[1],
        units=[UnitSpec("done", ["/zarr/b"])],
    )
    assert (await unit_log(client, user, setup, run_id, other_unit)).status_code == 404
    assert (await unit_log(client, user, setup, 999999, unit_id)).status_code == 404
    assert (await unit_log(client, other_user, setup, run_id, unit_id)).status_code == 404
    assert (await unit_log(client, user, setup, other_run, other_unit)).status_code == 200
    missing = await image_log(client, user, setup, "/zarr/c")  # never processed
    assert missing.status_code == 404
    assert "no history" in missing.json()["detail"]
    placeholder = await image_log(client, user, setup, "/zarr/a")
    assert "are not available" in placeholder.json()
