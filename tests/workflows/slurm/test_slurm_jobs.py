"""Workflow jobs on the real single-node SLURM cluster, through sudo and through ssh:
every task type of the mock package, a failing unit, a stop, and a cluster the profile
cannot reach. Jobs are submitted through the API and run by the job engine; the units
run as the cluster user in SLURM jobs."""

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import Account, make_user
from tests.workflows.runner.conftest import MANIFEST
from tests.workflows.runner.helpers import (
    Setup,
    add_images,
    add_wftask,
    dataset_images,
    history,
    job_url,
    make_setup,
    run_job,
    scripted_task,
    submit,
    wait_for_job,
)
from tests.workflows.slurm.conftest import (
    SYSTEM_PYTHON,
    SlurmResource,
    add_profile,
    collect_mock_tasks,
    set_profile,
)
from tests.workflows.slurm.helpers import (
    download,
    slurm_accounting,
    slurm_batches,
    squeue_states,
    wait_for_batches,
    wait_until_no_process_mentions,
    wait_until_running,
)

pytestmark = pytest.mark.slurm

EVERY_TYPE: list[tuple[str, dict[str, Any]]] = [
    ("create_ome_zarr_compound", {"args_non_parallel": {"num_images": 3}}),  # converter
    ("MIP_compound", {}),
    ("illumination_correction", {}),
    ("generic_task", {}),
]


async def _every_type_workflow(
    client: httpx.AsyncClient, user: Account, tasks: dict[str, int], folder: Path
) -> tuple[Setup, list[dict[str, Any]]]:
    setup = await make_setup(client, user, folder)
    wftasks = [
        await add_wftask(client, user, setup, tasks[name], **body) for name, body in EVERY_TYPE
    ]
    return setup, wftasks


def _relative(images: dict[str, dict[str, Any]], zarr_dir: str) -> list[dict[str, Any]]:
    """The images with their zarr_dir cut out of every URL, for comparing two datasets."""

    def cut(url: str | None) -> str | None:
        return None if url is None else url.removeprefix(zarr_dir)

    return [
        image | {"zarr_url": cut(image["zarr_url"]), "origin": cut(image["origin"])}
        for image in images.values()
    ]


async def test_a_workflow_of_every_task_type_runs_in_slurm_jobs(
    app: FastAPI,
    client: httpx.AsyncClient,
    user: Account,
    mock_tasks: dict[str, int],
    slurm_resource: SlurmResource,
    profile_id: int,
    mock_slurm_python: str,
    tmp_path: Path,
) -> None:
    setup, wftasks = await _every_type_workflow(client, user, mock_tasks, slurm_resource.shared)

    job = await run_job(client, user, setup)

    assert job["status"] == "done", job["log"]
    assert job["executor_error_log"] is None
    plate, mip = f"{setup.zarr_dir}/plate.zarr", f"{setup.zarr_dir}/plate_mip.zarr"
    wells = ["A/01", "A/02", "A/03"]
    images = await dataset_images(client, user, setup)
    assert list(images) == [*(f"{plate}/{w}/0" for w in wells), *(f"{mip}/{w}/0" for w in wells)]
    assert images[f"{mip}/A/02/0"]["attributes"] == {
        "well": "A02",
        "plate": "plate.zarr",
        "corrected": True,
    }
    for well in wells:  # written by the tasks, as the cluster user
        assert Path(f"{mip}/{well}/0/.zattrs").is_file()
        assert Path(f"{mip}/{well}/0").owner() == "slurmtest"

    # The same workflow on the local resource makes the same images.
    local_user = await make_user(app, client, "local@example.org", profile_id=profile_id)
    local_tasks = await collect_mock_tasks(client, local_user, mock_slurm_python)
    local_setup, _ = await _every_type_workflow(client, local_user, local_tasks, tmp_path / "l")
    local_job = await run_job(client, local_user, local_setup)
    assert local_job["status"] == "done", local_job["log"]
    local_images = await dataset_images(client, local_user, local_setup)
    assert _relative(images, setup.zarr_dir) == _relative(local_images, local_setup.zarr_dir)

    # History: every unit done, as on the local resource.
    found = await history(app)
    runs = [run for run in found.runs if run.workflowtask_id in {w["id"] for w in wftasks}]
    assert [run.status for run in runs] == ["done"] * 4
    assert [len(found.units[run.id]) for run in runs] == [4, 4, 3, 1]
    assert {unit.status for run in runs for unit in found.units[run.id]} == {"done"}

    # One slurm_batch row per SLURM job: 3 units make 2 jobs (2 CPUs per job at most).
    batches = await slurm_batches(app, job["id"])
    assert [batch.folder.split("/")[0] for batch in batches] == [
        "0_create_ome_zarr_compound",
        *["0_create_ome_zarr_compound"] * 2,
        "1_mip_compound",
        *["1_mip_compound"] * 2,
        *["2_illumination_correction"] * 2,
        "3_generic_task",
    ]
    slurm_ids = [batch.slurm_job_id for batch in batches]
    assert len(set(slurm_ids)) == len(slurm_ids)
    # An AccountingRecordSlurm per submission (each side of each task).
    records = await slurm_accounting(app)
    assert {record.user_id for record in records} == {user.id}
    assert [len(record.slurm_job_ids) for record in records] == [1, 2, 1, 2, 2, 1]
    assert sorted(i for record in records for i in record.slurm_job_ids) == sorted(slurm_ids)

    # The job folder, downloaded, has each SLURM job's script and output.
    with await download(client, user, setup, job["id"]) as archive:
        names = set(archive.namelist())
        script = archive.read(f"{batches[0].folder}/submit.sh").decode()
    for batch in batches:
        assert {
            f"{batch.folder}/submit.sh",
            f"{batch.folder}/slurm-{batch.slurm_job_id}.out",
            f"{batch.folder}/slurm-{batch.slurm_job_id}.err",
        } <= names
    assert "#SBATCH --partition=debug" in script
    assert "1_mip_compound/par-000000-0000002-log.txt" in names


async def test_a_failing_unit_fails_the_job_and_keeps_the_other_outputs(
    app: FastAPI,
    client: httpx.AsyncClient,
    user: Account,
    slurm_resource: SlurmResource,
) -> None:
    setup = await make_setup(client, user, slurm_resource.shared)
    urls = [f"{setup.zarr_dir}/{i}.zarr" for i in range(3)]
    await add_images(client, user, setup, [{"zarr_url": url} for url in urls])
    task = await scripted_task(
        client, user, "fails-on-one", task_type="parallel", python=SYSTEM_PYTHON
    )
    await add_wftask(
        client,
        user,
        setup,
        task,
        args_parallel={"fail_on": [urls[1]], "set_attributes": {"seen": True}},
    )

    job = await run_job(client, user, setup)

    assert job["status"] == "failed"
    assert '"fails-on-one" (workflow task 0): 1 of 3 call(s) failed' in job["log"]
    assert f"failing on purpose ({urls[1]})" in job["log"]  # the tail of its log
    assert job["executor_error_log"] is None  # the task failed, not SLURM
    images = await dataset_images(client, user, setup)
    assert [images[url]["attributes"] for url in urls] == [{"seen": True}, {}, {"seen": True}]
    found = await history(app)
    (run,) = found.runs
    assert run.status == "failed"
    units = found.units[run.id]
    assert [unit.status for unit in units] == ["done", "failed", "done"]
    response = await client.get(
        f"/api/v2/project/{setup.project_id}/status/unit-log/",
        params={
            "history_run_id": run.id,
            "history_unit_id": units[1].id,
            "workflowtask_id": run.workflowtask_id,
            "dataset_id": setup.dataset_id,
        },
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    assert f"failing on purpose ({urls[1]})" in response.json()


async def test_stopping_a_job_cancels_its_slurm_jobs(
    app: FastAPI,
    client: httpx.AsyncClient,
    user: Account,
    mock_tasks: dict[str, int],
    slurm_resource: SlurmResource,
) -> None:
    setup = await make_setup(client, user, slurm_resource.shared)
    urls = [f"{setup.zarr_dir}/{i}.zarr" for i in range(2)]
    await add_images(client, user, setup, [{"zarr_url": url} for url in urls])
    await add_wftask(
        client,
        user,
        setup,
        mock_tasks["generic_task_parallel"],
        args_parallel={"sleep_seconds": 120},
    )
    await add_wftask(client, user, setup, mock_tasks["generic_task"])
    job_id = (await submit(client, user, setup))["id"]
    (batch,) = await wait_for_batches(app, job_id, 1)
    await wait_until_running([batch.slurm_job_id])

    response = await client.get(job_url(setup, job_id, "stop/"), headers=user.headers)
    assert response.status_code == 202, response.text
    stopped_at = time.monotonic()
    job = await wait_for_job(client, user, setup, job_id, timeout=30)
    elapsed = time.monotonic() - stopped_at

    assert elapsed < 5, f"the job ended {elapsed:.1f} s after the stop"
    assert job["status"] == "failed"
    assert job["log"].rstrip().endswith(f"JOB ERROR in job {job_id}:\nstopped by user")
    assert squeue_states([batch.slurm_job_id]) == {}  # cancelled, not just left to run
    await wait_until_no_process_mentions(str(slurm_resource.shared))  # the units too
    assert [b.slurm_job_id for b in await slurm_batches(app, job_id)] == [batch.slurm_job_id]
    found = await history(app)
    (run,) = found.runs  # the second task never started
    assert [unit.status for unit in found.units[run.id]] == ["failed", "failed"]


@pytest.mark.parametrize(
    ("resource_type", "change", "problem"),
    [
        ("slurm_sudo", {"username": "qfractal-nobody"}, "unknown user 'qfractal-nobody'"),
        ("slurm_ssh", {"username": "qfractal-nobody"}, "qfractal-nobody on 127.0.0.1:2222 refused"),
        ("slurm_ssh", {"ssh_key_path": "/nonexistent/id_ed25519"}, "/nonexistent/id_ed25519"),
    ],
    ids=["sudo-unknown-user", "ssh-refused-user", "ssh-missing-key"],
)
async def test_a_cluster_the_profile_cannot_reach_fails_the_job(
    client: httpx.AsyncClient,
    admin: Account,
    user: Account,
    slurm_resource: SlurmResource,
    change: dict[str, str],
    problem: str,
) -> None:
    setup = await make_setup(client, user, slurm_resource.shared)
    await add_images(client, user, setup, [{"zarr_url": f"{setup.zarr_dir}/0.zarr"}])
    task = await scripted_task(
        client, user, "never-runs", task_type="parallel", python=SYSTEM_PYTHON
    )
    await add_wftask(client, user, setup, task)
    profile_id = await add_profile(client, admin, slurm_resource, "bad", **change)
    await set_profile(client, admin, user, profile_id)

    job = await run_job(client, user, setup)

    assert job["status"] == "failed"
    assert job["executor_error_log"] is not None and problem in job["executor_error_log"]
    assert problem in job["log"]
    assert f"JOB ERROR in job {job['id']}" in job["log"]


async def test_custom_collection_on_ssh_needs_the_remote_package_folder(
    client: httpx.AsyncClient, user: Account, mock_slurm_python: str, resource_type: str
) -> None:
    """The server does not look on the remote host: over ssh, `package_root` is required;
    with sudo the package is found by running the interpreter."""
    body = {
        "manifest": json.loads(MANIFEST.read_text()),
        "python_interpreter": mock_slurm_python,
        "label": "mock-without-root",
        "package_name": "qfractal_tasks_mock",
        "version": "1",
    }
    response = await client.post("/api/v2/task/collect/custom/", json=body, headers=user.headers)
    if resource_type == "slurm_ssh":
        assert response.status_code == 422, response.text
        assert "give package_root" in response.text
    else:
        assert response.status_code == 201, response.text
